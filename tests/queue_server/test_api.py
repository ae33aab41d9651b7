"""HTTP API v1 end to end through the Flask test client, as ../shared/docs/contract.md says.

Every test runs on SQLite and on PostgreSQL (the `client` fixture sits on `database_url`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from queue_server.app import create_app
from queue_server.auth import create_token
from queue_server.storage.schema import day_counters, ticket_events, tickets
from tests.conftest import auth, centre_text, local, make_config

API = "/api/v1"
ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,}$")
# A Vietnamese message has at least one letter English does not use.
VI_LETTER = re.compile(
    r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.IGNORECASE
)
TICKET_FIELDS = {
    "id",
    "number",
    "service",
    "status",
    "priority",
    "ahead",
    "issued_at",
    "counter",
    "status_url",
}


# -- helpers ---------------------------------------------------------------------------


def assert_error(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The documented JSON error: {"error": {"code", "message" (Vietnamese), "message_en"}}."""
    text = resp.get_data(as_text=True)
    assert resp.status_code == status, text
    assert resp.mimetype == "application/json", text
    err = resp.get_json()["error"]
    assert isinstance(err["code"], str) and err["code"], text
    if code is not None:
        assert err["code"] == code, text
    assert isinstance(err["message"], str) and VI_LETTER.search(err["message"]), text
    assert isinstance(err["message_en"], str) and err["message_en"].strip(), text
    return err  # type: ignore[no-any-return]


def counts(app: Any) -> tuple[int, int, int]:
    """Tickets, log events and numbers handed out, straight from the database."""
    with app.extensions["motcua"].db.read() as conn:
        n_tickets = conn.execute(select(func.count()).select_from(tickets)).scalar_one()
        n_events = conn.execute(select(func.count()).select_from(ticket_events)).scalar_one()
        n_numbers = conn.execute(select(func.coalesce(func.sum(day_counters.c.last), 0))).scalar()
    return int(n_tickets), int(n_events), int(n_numbers or 0)


def rows_of(app: Any) -> list[tuple[Any, ...]]:
    """Every ticket row, to show a failed request changed nothing."""
    with app.extensions["motcua"].db.read() as conn:
        return [tuple(r) for r in conn.execute(select(tickets).order_by(tickets.c.id))]


def waiting(client: Any) -> dict[str, int]:
    return client.get(f"{API}/queue").get_json()["waiting"]  # type: ignore[no-any-return]


@pytest.fixture
def admin(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("admin"))


@pytest.fixture
def kiosk(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("kiosk"))


@pytest.fixture
def clerk1(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("clerk", counter=1))


@pytest.fixture
def issue(client: Any, kiosk: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Issue a ticket through the API and return TICKET."""

    def make(service: str = "HT", priority: bool | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"service": service}
        if priority is not None:
            payload["priority"] = priority
        resp = client.post(f"{API}/tickets", json=payload, headers=kiosk)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        return resp.get_json()["ticket"]  # type: ignore[no-any-return]

    return make


def act(client: Any, headers: dict[str, str], number: int, action: str, **payload: Any) -> Any:
    return client.post(
        f"{API}/counters/{number}/{action}", json=payload if payload else None, headers=headers
    )


# -- the happy paths -------------------------------------------------------------------


def test_health(client):
    resp = client.get(f"{API}/health")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_services_list_codes_names_prefixes_and_open_flag(client, clock):
    resp = client.get(f"{API}/services")
    assert resp.status_code == 200
    services = {s["code"]: s for s in resp.get_json()["services"]}
    assert list(services) == ["HT", "CT", "DD", "KD", "XS"]
    assert services["HT"]["name"] == "Hộ tịch"
    assert services["CT"]["name"] == "Chứng thực"
    assert services["DD"]["name"] == "Đất đai"
    assert services["KD"]["name"] == "Đăng ký kinh doanh"
    assert {c: s["prefix"] for c, s in services.items()} == {
        "HT": "A",
        "CT": "B",
        "DD": "",
        "KD": "",
        "XS": "X",
    }
    assert (services["DD"]["first_number"], services["DD"]["last_number"]) == ("1001", "1999")
    assert (services["XS"]["first_number"], services["XS"]["last_number"]) == ("X1", "X3")
    assert services["KD"]["daily_cap"] == 3
    assert all(s["open"] is True for s in services.values())  # Thursday 09:00

    clock.set(local(2026, 11, 26, 12, 0))  # lunch break for KD; the others are always open
    services = {s["code"]: s for s in client.get(f"{API}/services").get_json()["services"]}
    assert services["KD"]["open"] is False
    assert all(s["open"] is True for c, s in services.items() if c != "KD")


def test_services_say_which_counters_serve_each_field_and_where_to_wait(client):
    services = {s["code"]: s for s in client.get(f"{API}/services").get_json()["services"]}
    assert {c: s["counters"] for c, s in services.items()} == {
        "HT": [1, 2],
        "CT": [1, 2],
        "DD": [3, 4],
        "KD": [4],
        "XS": [4],
    }
    assert all(s["waiting_area"] == "" for s in services.values())  # none configured


def test_issue_returns_every_ticket_field(client, kiosk):
    resp = client.post(f"{API}/tickets", json={"service": "HT", "priority": False}, headers=kiosk)
    assert resp.status_code == 201
    assert resp.mimetype == "application/json"
    t = resp.get_json()["ticket"]
    assert set(t) >= TICKET_FIELDS
    assert ID_RE.match(t["id"]), t["id"]
    assert t["number"] == "A0001"
    assert t["service"] == "HT"
    assert t["status"] == "waiting"
    assert t["priority"] is False
    assert t["ahead"] == 0
    assert t["issued_at"] == "2026-11-26T09:00:00+07:00"
    assert datetime.fromisoformat(t["issued_at"]).utcoffset() == timedelta(hours=7)
    assert t["counter"] is None
    assert t["status_url"] == f"/t/{t['id']}"  # relative: the test client's Host is not trusted


def test_ids_are_opaque_and_distinct_numbers_consecutive(client, issue):
    made = [issue("HT") for _ in range(12)]
    ids = [t["id"] for t in made]
    assert len(set(ids)) == len(ids)
    assert all(ID_RE.match(i) for i in ids)
    assert all(t["number"] not in t["id"] for t in made)  # the id does not reveal the number
    assert [t["number"] for t in made] == [f"A{k:04d}" for k in range(1, 13)]
    assert [t["ahead"] for t in made] == list(range(12))
    # The numeric block and a priority ticket.
    dd = issue("DD", priority=True)
    assert (dd["number"], dd["priority"], dd["ahead"]) == ("1001", True, 0)
    assert issue("DD")["number"] == "1002"


def test_get_ticket_by_id(client, issue):
    t = issue("CT")
    resp = client.get(f"{API}/tickets/{t['id']}")  # anyone holding the id, no token
    assert resp.status_code == 200
    assert resp.get_json()["ticket"] == t
    assert_error(client.get(f"{API}/tickets/{'x' * 16}"), 404, "unknown_ticket")


def test_counter_lifecycle(client, issue, clerk1, admin):
    a1, a2, b1 = issue("HT"), issue("HT"), issue("CT")

    resp = act(client, clerk1, 1, "call-next")
    assert resp.status_code == 200
    t = resp.get_json()["ticket"]
    assert (t["id"], t["status"], t["counter"], t["number"]) == (a1["id"], "called", 1, "A0001")
    assert set(t) >= TICKET_FIELDS

    t = act(client, clerk1, 1, "recall").get_json()["ticket"]
    assert (t["id"], t["status"], t["counter"]) == (a1["id"], "called", 1)
    t = act(client, clerk1, 1, "start").get_json()["ticket"]
    assert (t["id"], t["status"]) == (a1["id"], "serving")
    t = act(client, clerk1, 1, "complete").get_json()["ticket"]
    assert (t["id"], t["status"]) == (a1["id"], "done")
    assert client.get(f"{API}/tickets/{a1['id']}").get_json()["ticket"]["status"] == "done"

    t = act(client, clerk1, 1, "call-next").get_json()["ticket"]
    assert t["id"] == a2["id"]
    t = act(client, clerk1, 1, "no-show").get_json()["ticket"]
    assert (t["id"], t["status"]) == (a2["id"], "no_show")

    # Counter 1 serves HT then CT: B001 is next.
    t = act(client, clerk1, 1, "call-next").get_json()["ticket"]
    assert t["id"] == b1["id"]
    t = act(client, clerk1, 1, "transfer", service="DD").get_json()["ticket"]
    assert (t["id"], t["status"], t["service"], t["number"]) == (b1["id"], "waiting", "DD", "B001")

    # Nobody waits for HT or CT any more.
    resp = act(client, clerk1, 1, "call-next")
    assert resp.status_code == 200 and resp.get_json() == {"ticket": None}

    # Counter 3 serves DD: the transferred ticket, still B001.
    t = act(client, admin, 3, "call-next").get_json()["ticket"]
    assert (t["id"], t["number"], t["counter"], t["status"]) == (b1["id"], "B001", 3, "called")

    # The no-show comes back, then is called by number; cancel works on a waiting ticket.
    t = client.post(f"{API}/tickets/{a2['id']}/return", headers=admin).get_json()["ticket"]
    assert t["status"] == "waiting"
    t = act(client, clerk1, 1, "call", ticket="A0002").get_json()["ticket"]
    assert (t["id"], t["status"], t["counter"]) == (a2["id"], "called", 1)
    a3 = issue("HT")
    t = client.post(f"{API}/tickets/{a3['id']}/cancel", headers=clerk1).get_json()["ticket"]
    assert t["status"] == "cancelled"


def test_call_specific_ticket_by_id(client, issue, clerk1):
    issue("HT")
    second = issue("HT")
    t = act(client, clerk1, 1, "call", ticket=second["id"]).get_json()["ticket"]
    assert (t["id"], t["status"], t["counter"]) == (second["id"], "called", 1)


def test_pause_resume_close(client, issue, clerk1):
    issue("HT")
    resp = act(client, clerk1, 1, "pause")
    assert resp.status_code == 200
    counter = resp.get_json()["counter"]
    assert (counter["number"], counter["state"], counter["ticket"]) == (1, "paused", None)
    assert_error(act(client, clerk1, 1, "call-next"), 409, "counter_paused")
    assert waiting(client)["HT"] == 1  # nothing was called

    assert act(client, clerk1, 1, "resume").get_json()["counter"]["state"] == "open"
    assert act(client, clerk1, 1, "call-next").get_json()["ticket"]["number"] == "A0001"

    # Closing for the day is refused while the counter holds a ticket: it is nobody's then.
    refused = assert_error(act(client, clerk1, 1, "close"), 409, "counter_has_ticket")
    assert "A0001" in refused["message"] and "đóng quầy" in refused["message"]
    snap = client.get(f"{API}/queue").get_json()
    one = next(c for c in snap["counters"] if c["number"] == 1)
    assert (one["state"], one["ticket"]["number"]) == ("open", "A0001")

    act(client, clerk1, 1, "complete")
    closed = act(client, clerk1, 1, "close").get_json()["counter"]
    assert (closed["state"], closed["state_text"], closed["opened_today"]) == (
        "closed", "Đã đóng quầy", True,
    )  # fmt: skip
    issue("HT")  # a call on a closed counter opens it again (a keypad has no open key)
    assert act(client, clerk1, 1, "call-next").get_json()["ticket"]["number"] == "A0002"
    snap = client.get(f"{API}/queue").get_json()
    assert next(c for c in snap["counters"] if c["number"] == 1)["state"] == "open"


def test_open_route_opens_a_counter_for_the_day(client, clerk1, admin):
    snap = client.get(f"{API}/queue").get_json()
    one = next(c for c in snap["counters"] if c["number"] == 1)
    assert (one["state"], one["state_text"], one["opened_today"]) == ("closed", "Chưa mở", False)
    resp = act(client, clerk1, 1, "open")
    assert resp.status_code == 200
    counter = resp.get_json()["counter"]
    assert (counter["number"], counter["state"], counter["opened_today"]) == (1, "open", True)
    assert act(client, clerk1, 1, "open").get_json()["counter"]["state"] == "open"  # idempotent
    act(client, clerk1, 1, "pause")
    assert act(client, clerk1, 1, "open").get_json()["counter"]["state"] == "open"  # resumes
    snap = client.get(f"{API}/queue").get_json()
    assert [c["state"] for c in snap["counters"]] == ["open", "closed", "closed", "closed"]
    assert_error(act(client, admin, 9, "open"), 404, "unknown_counter")


def test_oldest_first_counter_through_the_api(tmp_path, clock):
    """A counter with policy oldest_first calls the longest-waiting ticket across its fields;
    the field_order one beside it still takes its first field first."""
    text = centre_text().replace(
        'number = 2\nservices = ["CT", "HT"]',
        'number = 2\nservices = ["CT", "HT"]\npolicy = "oldest_first"',
    )
    assert 'policy = "oldest_first"' in text
    app = create_app(make_config(tmp_path, text), clock=clock, heartbeat=False)
    ext = app.extensions["motcua"]
    kiosk = auth(create_token(ext.db, clock, role="kiosk", site="test"))
    admin = auth(create_token(ext.db, clock, role="admin", site="test"))
    client = app.test_client()
    numbers = []
    for service in ("HT", "CT", "HT", "CT"):  # issued a minute apart
        resp = client.post(f"{API}/tickets", json={"service": service}, headers=kiosk)
        numbers.append(resp.get_json()["ticket"]["number"])
        clock.advance(minutes=1)
    assert numbers == ["A0001", "B001", "A0002", "B002"]
    order = client.get(f"{API}/counters/2/waiting", headers=admin).get_json()["tickets"]
    assert [t["number"] for t in order] == ["A0001", "B001", "A0002", "B002"]
    calls = [act(client, admin, 2, "call-next").get_json()["ticket"]["number"] for _ in range(2)]
    assert calls == ["A0001", "B001"]  # counter 2 lists CT first, yet the older HT goes first
    assert act(client, admin, 1, "call-next").get_json()["ticket"]["number"] == "A0002"
    assert act(client, admin, 1, "call-next").get_json()["ticket"]["number"] == "B002"
    ext.db.dispose()


def test_queue_snapshot(client, issue, clerk1):
    snap = client.get(f"{API}/queue").get_json()
    assert isinstance(snap["epoch"], str) and snap["epoch"]
    assert isinstance(snap["seq"], int)
    assert [c["number"] for c in snap["counters"]] == [1, 2, 3, 4]
    for c in snap["counters"]:
        assert {"number", "name", "state", "ticket"} <= set(c)
        assert c["state"] == "closed" and c["ticket"] is None  # until a clerk opens it
        assert (c["state_text"], c["opened_today"]) == ("Chưa mở", False)
        assert isinstance(c["name"], str) and c["name"]
    assert snap["waiting"] == {"HT": 0, "CT": 0, "DD": 0, "KD": 0, "XS": 0}
    seq0 = snap["seq"]

    issue("HT")
    issue("HT")
    issue("CT")
    snap = client.get(f"{API}/queue").get_json()
    assert snap["waiting"] == {"HT": 2, "CT": 1, "DD": 0, "KD": 0, "XS": 0}
    assert snap["seq"] == seq0 + 3  # one event per issue

    act(client, clerk1, 1, "call-next")
    snap = client.get(f"{API}/queue").get_json()
    assert snap["waiting"]["HT"] == 1
    one = next(c for c in snap["counters"] if c["number"] == 1)
    assert one["ticket"]["number"] == "A0001"
    assert one["ticket"]["status"] == "called"
    assert one["state"] == "open"  # the first call opened it
    # Open to anyone: the public shape, without the id behind the status page.
    assert set(one["ticket"]) >= TICKET_FIELDS - {"id", "status_url"}
    assert not {"id", "status_url"} & set(one["ticket"])
    assert snap["seq"] == seq0 + 5  # counter.state (opened), then ticket.called


def test_ticket_events_and_wait_seconds(client, issue, clerk1, clock):
    t = issue("HT")
    clock.advance(minutes=5)
    act(client, clerk1, 1, "call-next")
    clock.advance(seconds=30)
    act(client, clerk1, 1, "start")
    clock.advance(minutes=3)
    act(client, clerk1, 1, "complete")

    resp = client.get(f"{API}/tickets/{t['id']}/events")
    assert resp.status_code == 200
    log = resp.get_json()
    assert [e["kind"] for e in log["events"]] == ["issued", "called", "started", "completed"]
    assert log["events"][0]["at"].startswith("2026-11-26T09:00:00")
    assert all(e["at"].endswith("+07:00") for e in log["events"])
    assert [e["counter"] for e in log["events"][1:]] == [1, 1, 1]
    assert log["wait_seconds"] == 300
    assert log["service_seconds"] == 180
    assert log["calls"] == 1
    assert_error(client.get(f"{API}/tickets/{'y' * 16}/events"), 404, "unknown_ticket")


def test_waiting_list_for_a_counter(client, issue):
    issue("CT")
    issue("HT")
    issue("HT", priority=True)
    tickets_ = client.get(f"{API}/counters/1/waiting").get_json()["tickets"]
    assert [t["number"] for t in tickets_] == ["A0002", "A0001", "B001"]
    assert_error(client.get(f"{API}/counters/99/waiting"), 404, "unknown_counter")


# -- authorization ---------------------------------------------------------------------

COUNTER_ACTIONS = (
    "call-next",
    "recall",
    "start",
    "complete",
    "no-show",
    "pause",
    "resume",
    "close",
)


def test_missing_and_bad_tokens_get_401(client, app, issue):
    issue("HT")
    before = counts(app)
    for headers in ({}, {"Authorization": ""}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        assert_error(
            client.post(f"{API}/tickets", json={"service": "HT"}, headers=headers),
            401,
            "missing_token",
        )
        assert_error(act(client, headers, 1, "call-next"), 401, "missing_token")
    for bad in ("nope", "mc_admin_" + "A" * 32, "x" * 500):
        assert_error(
            client.post(f"{API}/tickets", json={"service": "HT"}, headers=auth(bad)),
            401,
            "unauthorized",
        )
        assert_error(act(client, auth(bad), 1, "call-next"), 401)
    assert counts(app) == before
    assert waiting(client)["HT"] == 1


def test_roles(client, app, token, issue):
    kiosk, display, agent = auth(token("kiosk")), auth(token("display")), auth(token("agent"))
    clerk1, clerk2 = auth(token("clerk", counter=1)), auth(token("clerk", counter=2))
    issue("HT")
    before = counts(app)

    for action in COUNTER_ACTIONS:
        assert_error(act(client, kiosk, 1, action), 403, "forbidden")
        assert_error(act(client, display, 1, action), 403, "forbidden")
        assert_error(act(client, clerk1, 2, action), 403, "forbidden")
        assert_error(act(client, clerk2, 1, action), 403, "forbidden")
    assert_error(act(client, clerk1, 2, "transfer", service="DD"), 403, "forbidden")
    assert_error(act(client, clerk1, 2, "call", ticket="A0001"), 403, "forbidden")
    for who in (display, clerk1, agent):
        assert_error(
            client.post(f"{API}/tickets", json={"service": "HT"}, headers=who), 403, "forbidden"
        )
    t = client.get(f"{API}/queue").get_json()
    assert counts(app) == before and t["waiting"]["HT"] == 1
    assert all(c["ticket"] is None for c in t["counters"])

    # The clerk of counter 1 can act on counter 1, the agent on any counter.
    assert act(client, clerk1, 1, "call-next").get_json()["ticket"]["number"] == "A0001"
    assert act(client, clerk1, 1, "complete").status_code == 200
    assert act(client, agent, 2, "pause").status_code == 200
    assert act(client, agent, 2, "resume").status_code == 200


def test_admin_can_do_everything(client, admin):
    resp = client.post(f"{API}/tickets", json={"service": "CT"}, headers=admin)
    assert resp.status_code == 201
    tid = resp.get_json()["ticket"]["id"]
    for number in (1, 2):
        assert act(client, admin, number, "pause").status_code == 200
        assert act(client, admin, number, "resume").status_code == 200
    assert act(client, admin, 2, "call-next").get_json()["ticket"]["id"] == tid
    for action in ("recall", "start", "complete"):
        assert act(client, admin, 2, action).status_code == 200, action
    assert act(client, admin, 4, "close").status_code == 200


def test_display_token_and_anyone_can_read(client, token):
    display = auth(token("display"))
    for path in ("/health", "/services", "/queue", "/openapi.json", "/counters/1/waiting"):
        assert client.get(f"{API}{path}", headers=display).status_code == 200, path
        assert client.get(f"{API}{path}").status_code == 200, path


def test_token_of_another_site_cannot_act_here(client, token):
    other = auth(token("admin", site="elsewhere"))
    assert_error(client.get(f"{API}/queue?site=nowhere"), 404, "unknown_site")
    resp = client.post(f"{API}/tickets", json={"service": "HT"}, headers=other)
    assert 400 <= resp.status_code < 500
    assert_error(resp, resp.status_code)


# -- bad input: documented 4xx JSON, never a 500, nothing half-written -----------------


def test_unknown_service(client, app, kiosk, issue):
    issue("HT")
    before, rows = counts(app), rows_of(app)
    for code in ("ZZ", "ht", "", "Hộ tịch", "A" * 200):
        resp = client.post(f"{API}/tickets", json={"service": code}, headers=kiosk)
        if code == "":
            assert 400 <= resp.status_code < 500
            assert_error(resp, resp.status_code)
        else:
            assert_error(resp, 404, "unknown_service")
    assert counts(app) == before and rows_of(app) == rows


def test_closed_hours(client, app, kiosk, clock):
    clock.set(local(2026, 11, 26, 12, 0))  # Thursday lunch break
    before = counts(app)
    err = assert_error(
        client.post(f"{API}/tickets", json={"service": "KD"}, headers=kiosk), 409, "closed_hours"
    )
    assert "Đăng ký kinh doanh" in err["message"]
    assert counts(app) == before and waiting(client)["KD"] == 0
    # Other fields are open around the clock.
    assert client.post(f"{API}/tickets", json={"service": "HT"}, headers=kiosk).status_code == 201

    clock.set(local(2026, 11, 29, 9, 0))  # Sunday
    assert_error(
        client.post(f"{API}/tickets", json={"service": "KD"}, headers=kiosk), 409, "closed_hours"
    )
    clock.set(local(2026, 11, 30, 7, 30))  # Monday, first minute of the morning session
    resp = client.post(f"{API}/tickets", json={"service": "KD"}, headers=kiosk)
    assert resp.status_code == 201 and resp.get_json()["ticket"]["number"] == "2001"


def test_daily_cap_reached(client, app, kiosk, issue, clock):
    assert [issue("KD")["number"] for _ in range(3)] == ["2001", "2002", "2003"]
    before, rows = counts(app), rows_of(app)
    for _ in range(2):
        err = assert_error(
            client.post(f"{API}/tickets", json={"service": "KD"}, headers=kiosk),
            409,
            "daily_cap_reached",
        )
        assert "3" in err["message"]
    assert counts(app) == before and rows_of(app) == rows
    assert waiting(client)["KD"] == 3
    clock.set(local(2026, 11, 27, 8, 0))  # the next day starts again from 2001
    assert issue("KD")["number"] == "2001"


def test_numbers_exhausted_never_wrap(client, app, kiosk, issue):
    assert [issue("XS")["number"] for _ in range(3)] == ["X1", "X2", "X3"]
    before, rows = counts(app), rows_of(app)
    for _ in range(3):
        assert_error(
            client.post(f"{API}/tickets", json={"service": "XS"}, headers=kiosk),
            409,
            "numbers_exhausted",
        )
    assert counts(app) == before and rows_of(app) == rows
    assert waiting(client)["XS"] == 3


def test_illegal_transitions(client, app, issue, clerk1, admin):
    for action in ("complete", "recall", "start", "no-show"):
        assert_error(act(client, clerk1, 1, action), 409, "no_current_ticket")
    assert_error(act(client, clerk1, 1, "transfer", service="DD"), 409, "no_current_ticket")

    t = issue("HT")
    assert_error(
        client.post(f"{API}/tickets/{t['id']}/return", headers=admin), 409, "illegal_transition"
    )
    act(client, clerk1, 1, "call-next")
    act(client, clerk1, 1, "complete")
    before, rows = counts(app), rows_of(app)

    assert_error(act(client, clerk1, 1, "call", ticket=t["id"]), 409, "illegal_transition")
    assert_error(act(client, clerk1, 1, "call", ticket="A0001"), 409, "illegal_transition")
    assert_error(
        client.post(f"{API}/tickets/{t['id']}/cancel", headers=admin), 409, "illegal_transition"
    )
    assert_error(
        client.post(f"{API}/tickets/{t['id']}/return", headers=admin), 409, "illegal_transition"
    )
    assert_error(act(client, clerk1, 1, "complete"), 409, "no_current_ticket")
    assert counts(app) == before and rows_of(app) == rows
    assert client.get(f"{API}/tickets/{t['id']}").get_json()["ticket"]["status"] == "done"


def test_bad_transfer_and_call_leave_the_ticket_where_it_was(client, app, issue, clerk1):
    issue("HT")
    dd = issue("DD")
    called = act(client, clerk1, 1, "call-next").get_json()["ticket"]
    before, rows = counts(app), rows_of(app)
    assert_error(act(client, clerk1, 1, "transfer", service="ZZ"), 404, "unknown_service")
    assert_error(act(client, clerk1, 1, "transfer", service="HT"), 409, "same_service")
    assert_error(act(client, clerk1, 1, "transfer", service=5), 400, "invalid_field")
    assert_error(act(client, clerk1, 1, "transfer"), 400, "missing_field")
    assert_error(act(client, clerk1, 1, "call", ticket=dd["number"]), 409, "wrong_counter")
    assert_error(act(client, clerk1, 1, "call", ticket="A9999"), 404, "unknown_ticket")
    assert_error(act(client, clerk1, 1, "call"), 400, "missing_field")
    assert_error(act(client, clerk1, 1, "no-show", requeue="yes"), 400, "invalid_field")
    assert counts(app) == before and rows_of(app) == rows
    now = client.get(f"{API}/tickets/{called['id']}").get_json()["ticket"]
    assert (now["status"], now["counter"], now["service"]) == ("called", 1, "HT")


BAD_ISSUE_BODIES: list[tuple[bytes, int, str]] = [
    (b'{"service": "HT"', 400, "malformed_json"),
    (b"{service: HT}", 400, "malformed_json"),
    (b"{'service': 'HT'}", 400, "malformed_json"),
    (b'{"service": "HT",}', 400, "malformed_json"),
    (b"\xff\xfe\x00{", 400, "malformed_json"),
    (b"null", 400, "malformed_json"),
    (b"[" * 4000 + b"]" * 4000, 400, "malformed_json"),  # deeper than the parser recurses
    (b'{"service": "\\ud800"}', 400, "malformed_json"),  # lone surrogate
    (b'{"servi\\udfffce": "HT"}', 400, "malformed_json"),
    (b"[]", 400, "invalid_body"),
    (b'["HT"]', 400, "invalid_body"),
    (b'[{"service": "HT"}]', 400, "invalid_body"),
    (b'"HT"', 400, "invalid_body"),
    (b"5", 400, "invalid_body"),
    (b'{"service": 5}', 400, "invalid_field"),
    (b'{"service": null}', 400, "invalid_field"),
    (b'{"service": ["HT"]}', 400, "invalid_field"),
    (b'{"service": {"code": "HT"}}', 400, "invalid_field"),
    (b'{"service": "HT", "priority": "yes"}', 400, "invalid_field"),
    (b'{"service": "HT", "priority": 1}', 400, "invalid_field"),
    (b'{"service": "HT", "priority": 0}', 400, "invalid_field"),
    (b'{"service": "HT", "priority": null}', 400, "invalid_field"),
    (b'{"service": "HT", "extra": 1}', 400, "unknown_field"),
    (b'{"Service": "HT"}', 400, "unknown_field"),
    (b'{"service": "HT", "site": "test"}', 400, "unknown_field"),
    (b"{}", 400, "missing_field"),
    (b'{"priority": true}', 400, "missing_field"),
    (b"", 400, "missing_field"),
    (b"   \n ", 400, "missing_field"),
]


def test_bad_issue_bodies(client, app, kiosk, issue):
    issue("HT")
    before, rows = counts(app), rows_of(app)
    headers = {**kiosk, "Content-Type": "application/json"}
    for raw, status, code in BAD_ISSUE_BODIES:
        resp = client.post(f"{API}/tickets", data=raw, headers=headers)
        try:
            assert_error(resp, status, code)
        except AssertionError as err:
            raise AssertionError(f"body {raw[:60]!r}: {err}") from None
    assert counts(app) == before and rows_of(app) == rows
    assert waiting(client)["HT"] == 1


def test_body_with_another_media_type(client, app, kiosk):
    before = counts(app)
    resp = client.post(
        f"{API}/tickets", data=b'{"service": "HT"}', headers={**kiosk, "Content-Type": "text/plain"}
    )
    assert resp.status_code in (400, 415)
    assert_error(resp, resp.status_code, "unsupported_media_type")
    assert counts(app) == before
    # No Content-Type at all is read as JSON (curl -d without -H).
    resp = client.post(f"{API}/tickets", data=b'{"service": "HT"}', headers=kiosk)
    assert resp.status_code == 201


def test_oversized_body(client, app, kiosk, clerk1, issue):
    issue("HT")
    before, rows = counts(app), rows_of(app)
    big = json.dumps({"service": "HT", "pad": "x" * 17 * 1024}).encode()
    assert len(big) > 16 * 1024
    headers = {**kiosk, "Content-Type": "application/json"}
    assert_error(client.post(f"{API}/tickets", data=big, headers=headers), 413, "payload_too_large")
    big_array = b"[" + b"1," * 10000 + b"1]"
    assert_error(
        client.post(f"{API}/tickets", data=big_array, headers=headers), 413, "payload_too_large"
    )
    c_headers = {**clerk1, "Content-Type": "application/json"}
    assert_error(
        client.post(f"{API}/counters/1/call-next", data=big, headers=c_headers),
        413,
        "payload_too_large",
    )
    assert counts(app) == before and rows_of(app) == rows
    assert waiting(client)["HT"] == 1
    # Just under the limit is fine (and then refused for its unknown field).
    ok = json.dumps({"service": "HT", "pad": "x" * 15 * 1024}).encode()
    assert_error(client.post(f"{API}/tickets", data=ok, headers=headers), 400, "unknown_field")


def test_unknown_route_and_wrong_method(client, admin):
    for path in (
        "/nope",
        "/tickets/abc/nope",
        "/counters/abc/call-next",
        "/counters/1/fly",
        "/v2/queue",
        "/counters/-1/call-next",
    ):
        assert_error(client.post(f"{API}{path}", headers=admin), 404)
        assert_error(client.get(f"{API}{path}", headers=admin), 404)
    for method, path in (
        ("GET", "/tickets"),
        ("DELETE", "/health"),
        ("PUT", "/queue"),
        ("GET", "/counters/1/call-next"),
        ("PATCH", "/tickets/abc"),
        ("POST", "/services"),
        ("POST", "/openapi.json"),
    ):
        resp = client.open(f"{API}{path}", method=method, headers=admin)
        assert_error(resp, 405, "method_not_allowed")
        assert resp.headers.get("Allow"), path


def test_unknown_counter(client, app, admin, issue):
    issue("HT")
    before = counts(app)
    for action in (*COUNTER_ACTIONS, "transfer", "call"):
        payload = {"service": "DD"} if action == "transfer" else {}
        if action == "call":
            payload = {"ticket": "A0001"}
        assert_error(act(client, admin, 99, action, **payload), 404, "unknown_counter")
    assert_error(act(client, admin, 0, "call-next"), 404, "unknown_counter")
    assert_error(act(client, admin, 10**30, "call-next"), 404, "unknown_counter")
    assert counts(app) == before


def test_nul_and_odd_ticket_ids(client, app, admin, issue):
    issue("HT")
    before = counts(app)
    for tid in ("%00", "a%00b", "%ED%A0%80", "x" * 300, "..", "A0001"):
        assert_error(client.get(f"{API}/tickets/{tid}"), 404, "unknown_ticket")
        assert_error(client.get(f"{API}/tickets/{tid}/events"), 404, "unknown_ticket")
        assert_error(
            client.post(f"{API}/tickets/{tid}/cancel", headers=admin), 404, "unknown_ticket"
        )
    for ref in ("\x00", "A\x00", "x" * 300, "", "9" * 5000, "²", "٣", "１٢", " 0 "):
        resp = act(client, admin, 1, "call", ticket=ref)
        assert_error(resp, 404, "unknown_ticket")
    assert counts(app) == before


def test_token_with_a_long_name_can_act(client, app, issue):
    """The actor logged for a token is cut to fit the log column (PostgreSQL enforces it)."""
    ext = app.extensions["motcua"]
    long_kiosk = create_token(ext.db, ext.desk.clock, role="kiosk", site="test", name="k" * 128)
    long_clerk = create_token(
        ext.db, ext.desk.clock, role="clerk", site="test", counter=1, name="Nguyễn Văn " * 12
    )
    resp = client.post(f"{API}/tickets", json={"service": "HT"}, headers=auth(long_kiosk))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    tid = resp.get_json()["ticket"]["id"]
    assert act(client, auth(long_clerk), 1, "call-next").status_code == 200
    log = client.get(f"{API}/tickets/{tid}/events").get_json()["events"]
    assert [e["kind"] for e in log] == ["issued", "called"]
    assert all(0 < len(e["actor"]) <= 64 for e in log)
    # The log is open to anyone: it names the role or the counter, never the token or name.
    assert [e["actor"] for e in log] == ["kiosk", "Quầy số 01"]


# -- fuzz-ish: every POST route, odd bodies and headers --------------------------------

ODD_BODIES: list[bytes] = [
    b"",
    b"{}",
    b"null",
    b"true",
    b"0",
    b"-1e999",
    b'""',
    b"[]",
    b"[[]]",
    b"{",
    b"}",
    b"{{}}",
    b'{"": ""}',
    b'{"service": "HT", "service": "CT"}',
    b'{"service": NaN}',
    b'{"priority": Infinity}',
    b'{"ticket": "' + b"9" * 5000 + b'"}',
    b'{"ticket": ' + b"9" * 5000 + b"}",
    b'{"requeue": true, "service": "DD", "ticket": "A0001"}',
    b'{"ticket": "\\u0000"}',
    b'{"service": "\\u0000"}',
    b'{"ticket": "\\ud83d"}',
    b"\x00\x00\x00",
    b"\xef\xbb\xbf{}",
    b"\xc3\x28",
    '{"service": "Hộ tịch"}'.encode(),
    '{"ticket": "Ａ0001"}'.encode(),
    b"{" * 3000,
    b'{"a":' * 2000 + b"1" + b"}" * 2000,
    b"<xml/>",
    '{"ticket": "²"}'.encode(),
    b"service=HT&priority=1",
    b"[" * 5000,
]
ODD_HEADERS: list[dict[str, str]] = [
    {"Content-Type": "application/json"},
    {"Content-Type": "application/json; charset=latin-1"},
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Type": "multipart/form-data; boundary=x"},
    {"Content-Type": "text/plain"},
    {},
]


def post_routes(app: Any, ticket_id: str) -> list[str]:
    """Every POST rule under /api/v1, filled in with counter 1 and a real ticket id."""
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API) and "POST" in (rule.methods or ()):
            path = rule.rule.replace("<int:number>", "1").replace("<ticket_id>", ticket_id)
            paths.append(path)
    return sorted(paths)


def test_fuzz_post_routes_never_500(client, app, token, issue):
    routes = post_routes(app, issue("HT")["id"])
    assert len(routes) >= 14
    admin = auth(token("admin"))
    callers = [auth(token("clerk", counter=1)), auth(token("kiosk")), {}]
    seen: set[int] = set()
    for i, raw in enumerate(ODD_BODIES):
        # Each body as JSON from the admin (so it is always parsed), and once more with an odd
        # media type from another caller.
        odd = {**callers[i % len(callers)], **ODD_HEADERS[i % len(ODD_HEADERS)]}
        for headers in ({**admin, "Content-Type": "application/json"}, odd):
            for path in routes:
                resp = client.post(path, data=raw, headers=headers)
                where = f"POST {path} body={raw[:40]!r} headers={headers}"
                assert resp.status_code < 500, where + " " + resp.get_data(as_text=True)
                assert resp.mimetype == "application/json", where
                seen.add(resp.status_code)
                if resp.status_code >= 400:
                    assert_error(resp, resp.status_code)
    assert {200, 400, 401, 403, 404, 409} <= seen
    # Odd Authorization headers on the issue route.
    for value in (
        "Bearer",
        "Bearer ",
        "bearer   ",
        "Bearer a b c",
        "Token abc",
        "Bearer " + "z" * 10_000,
        "BEARER " + token("kiosk"),
        "Bearer\t" + "q" * 8,
    ):
        resp = client.post(
            f"{API}/tickets", json={"service": "HT"}, headers={"Authorization": value}
        )
        assert resp.status_code in (201, 401), value
        if resp.status_code == 401:
            assert_error(resp, 401)
    snap = client.get(f"{API}/queue")
    assert snap.status_code == 200
