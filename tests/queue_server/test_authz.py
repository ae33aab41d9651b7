"""Who may do what: every write route × caller × ticket state, in a centre with two sites.

The rule (web.routes.authorise): a token acts at its own site (an admin token made for all
sites: at any); a clerk on its own counter, and on tickets at its counter or waiting for a
field its counter serves; an agent on the counters listed with its token (none: all).
Staff accounts (signed in with a real session, the cookie and its CSRF token) follow the
same rule by role: a clerk at the counter they chose, a supervisor corrects the queue at
their site (cancel, return, open, pause, close a counter) but neither calls nor serves.
"Allowed" means the answer is not 403: a success, or the domain's own 404/409 when the
ticket's state forbids the action. Every refusal is a 403 naming what is refused, and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from queue_server.accounts import create_user
from queue_server.app import create_app
from queue_server.auth import ALL_SITES, create_token, new_token, revoke_token
from queue_server.domain.clock import FakeClock
from queue_server.domain.model import CounterState
from queue_server.storage.database import Database
from queue_server.web.openapi import openapi_document
from tests.conftest import STAFF_PASSWORD, auth, centre_text, local, make_config, second_site

API = "/api/v1"

OTHER_SITE = second_site()


@dataclass(frozen=True)
class Who:
    """A token to create: role, site (ALL_SITES for every site), counter or counters."""

    role: str
    site: str = "test"
    counter: int | None = None
    counters: tuple[int, ...] | None = None


# Site "test": counter 1 serves HT and CT, counter 2 CT and HT, counter 3 DD.
WHO = {
    "kiosk": Who("kiosk"),
    "kiosk of other site": Who("kiosk", "other"),
    "display": Who("display"),
    "clerk 1": Who("clerk", counter=1),
    "clerk 3": Who("clerk", counter=3),
    "clerk 1 of other site": Who("clerk", "other", counter=1),
    # A counter PC only says which counter it is: it may act on nothing.
    "counter PC 1": Who("counter", counter=1),
    "agent (all counters)": Who("agent"),
    "agent of 1,2": Who("agent", counters=(1, 2)),
    "agent of 3": Who("agent", counters=(3,)),
    "agent of other site": Who("agent", "other"),
    "admin": Who("admin"),
    "admin of other site": Who("admin", "other"),
    "admin of all sites": Who("admin", ALL_SITES),
    # staff accounts, signed in: role, site, the counters allowed and the one chosen
    "clerk account at 1": Who("clerk", counter=1, counters=(1, 2)),
    "clerk account of 3 only": Who("clerk", counter=3, counters=(3,)),
    "supervisor": Who("supervisor"),
    "supervisor of other site": Who("supervisor", "other"),
    "admin account": Who("admin"),
}
PEOPLE = frozenset(n for n in WHO if "account" in n or n.startswith("supervisor"))
ADMIN_ACCOUNT = frozenset({"admin account"})

STATES = ("waiting HT", "waiting DD", "called by 1", "called by 2", "no-show at 1", "no-show at 2")
ALL, NONE = frozenset(STATES), frozenset[str]()

# Ticket routes: for each token, the states of a ticket of site "test" it may act on.
CLERK_ROUTES = {
    **{w: NONE for w in WHO},
    # A no-show belongs to its field again: any counter serving it may take the citizen back.
    "clerk 1": frozenset({"waiting HT", "called by 1", "no-show at 1", "no-show at 2"}),
    "clerk 3": frozenset({"waiting DD"}),
    "admin": ALL,
    "admin of all sites": ALL,
    "clerk account at 1": frozenset({"waiting HT", "called by 1", "no-show at 1", "no-show at 2"}),
    "clerk account of 3 only": frozenset({"waiting DD"}),
    "supervisor": ALL,
    "admin account": ALL,
}
KIOSK_ROUTES = {
    **{w: NONE for w in WHO},
    "kiosk": ALL,
    "admin": ALL,
    "admin of all sites": ALL,
    "admin account": ALL,
}
# Counter routes, on counter 1 of site "test": who may act there.
AT_COUNTER_1 = frozenset({"clerk 1", "agent (all counters)", "agent of 1,2", "admin",
                          "admin of all sites", "clerk account at 1", "admin account"})  # fmt: skip
# Opening, pausing, resuming and closing it: a supervisor of its site too.
STATE_OF_COUNTER_1 = AT_COUNTER_1 | {"supervisor"}
AT_SITE = frozenset({"kiosk", "admin", "admin of all sites", "admin account"})
AGENTS = frozenset(w for w, who in WHO.items() if who.role == "agent")
ADMINS_OF_TEST = frozenset({"admin", "admin of all sites"})

COUNTER_BODIES: dict[str, dict[str, Any]] = {
    "call-next": {}, "recall": {}, "start": {}, "complete": {}, "no-show": {},
    "transfer": {"service": "DD"}, "rating": {"score": 3}, "pause": {}, "resume": {},
    "open": {}, "close": {},
}  # fmt: skip


@dataclass(frozen=True)
class Row:
    """How to drive one write route: what the URL and body are, and who may."""

    kind: str  # "ticket": the ticket's id in the path, "number": its printed number;
    # "counter": counter 1; "site"; "agent"; "token": a fresh kiosk token of site "test"
    allowed: dict[str, frozenset[str]] | frozenset[str]
    body: dict[str, Any]


ROWS: dict[str, Row] = {
    "/tickets": Row("site", AT_SITE, {"service": "HT"}),
    "/tickets/{ticket_id}/print": Row("ticket", KIOSK_ROUTES, {}),
    "/tickets/{ticket_id}/cancel": Row("ticket", CLERK_ROUTES, {}),
    "/tickets/{ticket_id}/return": Row("ticket", CLERK_ROUTES, {}),
    # The status page's rating: the ticket's secret id is the authority, whoever sends it
    # (a token changes nothing); served-only and once-only are the desk's 409s.
    "/tickets/{ticket_id}/rating": Row("ticket", {w: ALL for w in WHO}, {"score": 3}),
    # By printed number: the same scope as by id, the ticket found from what was typed.
    "/tickets/by-number/{ticket_number}/cancel": Row("number", CLERK_ROUTES, {}),
    "/tickets/by-number/{ticket_number}/return": Row("number", CLERK_ROUTES, {}),
    "/counters/{number}/call": Row("call", AT_COUNTER_1, {}),
    **{
        f"/counters/{{number}}/{action}": Row(
            "counter",
            STATE_OF_COUNTER_1 if action in ("open", "pause", "resume", "close") else AT_COUNTER_1,
            body,
        )
        for action, body in COUNTER_BODIES.items()
    },
    "/agent/health": Row("agent", AGENTS, {"devices": []}),
    # A supervisor's correction (sessions), or an admin token's.
    "/counters/{number}/force-close": Row(
        "counter", frozenset({"admin", "admin of all sites", "supervisor", "admin account"}), {}
    ),
    # Accounts are administered by people signed in, never with a token (even an admin's):
    # an admin account; a supervisor only lifts a lockout.
    "/users": Row(
        "users", ADMIN_ACCOUNT, {"username": "x", "role": "clerk", "password": "12345678"}
    ),
    "/users/{username}/password": Row("users", ADMIN_ACCOUNT, {"password": "12345678"}),
    "/users/{username}/lock": Row("users", ADMIN_ACCOUNT, {}),
    "/users/{username}/unlock": Row("users", ADMIN_ACCOUNT | {"supervisor"}, {}),
    # Device tokens: the site's admins (web.tokens_api).
    "/tokens": Row("site", ADMINS_OF_TEST | ADMIN_ACCOUNT, {"role": "kiosk", "name": "authz"}),
    "/tokens/{token_id}/reissue": Row("token", ADMINS_OF_TEST | ADMIN_ACCOUNT, {}),
}


def write_routes(app: Any) -> list[str]:
    """Every POST of the app's own OpenAPI document."""
    doc = openapi_document(app)
    return sorted(path[len(API) :] for path, ops in doc["paths"].items() if "post" in ops)


@dataclass(frozen=True)
class Caller:
    """How a row of WHO calls: a bearer token on a shared client, or a person's own client
    holding their session cookie, sending its CSRF token."""

    client: Any
    headers: dict[str, str]

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self.headers, **kw)

    def get(self, url: str) -> Any:
        return self.client.get(url, headers=self.headers)


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Any]:
    """The two-site centre on SQLite, and a caller for every row of WHO: a token, or an
    account signed in through POST /api/v1/session."""
    clock = FakeClock(local(2026, 11, 26, 9, 0))
    config = make_config(tmp_path, centre_text() + OTHER_SITE)
    app = create_app(config, clock=clock)
    ext = app.extensions["motcua"]
    shared = app.test_client()
    callers: dict[str, Caller] = {}
    for name, w in WHO.items():
        if name not in PEOPLE:
            token = create_token(
                ext.db, clock, role=w.role, site=w.site, counter=w.counter, counters=w.counters,
                name=name,
            )  # fmt: skip
            callers[name] = Caller(shared, auth(token))
            continue
        username = name.replace(" ", "-")
        create_user(
            ext.db, clock, username=username, password=STAFF_PASSWORD, role=w.role, site=w.site,
            name=name, counters=w.counters,
        )  # fmt: skip
        own = app.test_client()
        body: dict[str, Any] = {"username": username, "password": STAFF_PASSWORD}
        if w.counter is not None:
            body["counter"] = w.counter
        signed = own.post(f"{API}/session", json=body)
        assert signed.status_code == 200, signed.get_json()
        callers[name] = Caller(own, {"X-CSRF-Token": signed.get_json()["csrf_token"]})
    yield app, callers
    ext.db.dispose()


SIGN_IN = {"/session", "/session/counter", "/device"}
"""Write routes that take no token: signing in and choosing a counter (test_sessions.py,
test_counter_clerk.py), a page's device code (test_tokens_api.py)."""


def test_every_write_route_has_a_row(centre: Any) -> None:
    """A new write route fails here until this table says who may use it."""
    assert write_routes(centre[0]) == sorted({*ROWS, *SIGN_IN})


def ticket_in(desk: Any, state: str) -> str:
    """A fresh ticket of site "test" in one of STATES; its id."""
    service = "DD" if state == "waiting DD" else "HT"
    tid: str = desk.issue(service, site_code="test").ticket.id
    if state.startswith(("called", "no-show")):
        counter = int(state[-1])
        desk.set_counter_state(counter, CounterState.OPEN, site_code="test")
        desk.call_ticket(counter, tid, site_code="test")
        if state.startswith("no-show"):
            desk.no_show(counter, site_code="test")
    return tid


def check(resp: Any, allowed: bool, where: str, failures: list[str]) -> None:
    """Allowed: anything but 403 (and never a 5xx); refused: a clear 403."""
    body = resp.get_json() or {}
    if resp.status_code >= 500:
        failures.append(f"{where}: {resp.status_code}")
    elif allowed and resp.status_code == 403:
        failures.append(f"{where}: refused but allowed ({body['error']['message_en']})")
    elif not allowed:
        error = body.get("error", {})
        if resp.status_code != 403 or error.get("code") != "forbidden":
            failures.append(f"{where}: {resp.status_code}, not refused")
        elif not (error.get("message") and error.get("message_en")):
            failures.append(f"{where}: 403 without a message")


@pytest.mark.parametrize("route", sorted(ROWS))
def test_who_may_use_each_write_route(centre: Any, route: str) -> None:
    app, callers = centre
    desk = app.extensions["motcua"].desk
    row = ROWS[route]
    failures: list[str] = []
    for name, caller in callers.items():
        if row.kind in ("ticket", "number", "call"):
            for state in STATES:
                tid = ticket_in(desk, state)
                before = desk.get(tid).ticket
                if row.kind == "call":
                    url = f"{API}/counters/1/call?site=test"
                    body = {"ticket": tid}
                    allowed = name in row.allowed
                elif row.kind == "number":
                    number = desk.get(tid).ticket.number
                    url = f"{API}{route.replace('{ticket_number}', number)}?site=test"
                    body = row.body
                    assert isinstance(row.allowed, dict)
                    allowed = state in row.allowed[name]
                else:
                    url = f"{API}{route.replace('{ticket_id}', tid)}"
                    body = row.body
                    assert isinstance(row.allowed, dict)
                    allowed = state in row.allowed[name]
                resp = caller.post(url, json=body)
                check(resp, allowed, f"{name} × {state}", failures)
                if resp.status_code == 403 and desk.get(tid).ticket != before:
                    failures.append(f"{name} × {state}: refused, yet the ticket changed")
        else:
            if row.kind == "counter":
                desk.set_counter_state(1, CounterState.OPEN, site_code="test")
                ticket_in(desk, "called by 1")
            url = f"{API}{route.replace('{number}', '1').replace('{username}', 'nobody')}"
            if row.kind == "token":
                fresh = new_token(desk.db, desk.clock, role="kiosk", site="test")
                url = f"{API}{route.replace('{token_id}', str(fresh[1]))}"
            elif row.kind != "agent":
                url += "?site=test"
            resp = caller.post(url, json=row.body)
            check(resp, name in row.allowed, name, failures)
    assert not failures, "\n".join([route, *failures])


def test_refusals_name_what_is_refused(centre: Any) -> None:
    app, callers = centre
    desk = app.extensions["motcua"].desk

    def error(who: str, url: str, **body: Any) -> tuple[str, str]:
        resp = callers[who].post(f"{API}{url}", json=body)
        assert resp.status_code == 403, resp.get_data(as_text=True)
        e = resp.get_json()["error"]
        return e["message"], e["message_en"]

    served = ticket_in(desk, "called by 2")
    assert error("clerk 1", f"/tickets/{served}/cancel") == (
        "Mã này của quầy số 1 không được thao tác trên phiếu của quầy số 2.",
        "This token of counter 1 may not act on a ticket of counter 2.",
    )
    land = ticket_in(desk, "waiting DD")
    number = desk.get(land).ticket.number
    assert error("clerk 1", f"/tickets/{land}/cancel") == (
        f"Mã này của quầy số 1 không được thao tác trên số {number}: "
        "quầy không phục vụ lĩnh vực Đất đai.",
        f"This token of counter 1 may not act on ticket {number}: "
        "the counter does not serve Đất đai.",
    )
    waiting = ticket_in(desk, "waiting HT")
    assert error("clerk 1 of other site", f"/tickets/{waiting}/cancel") == (
        "Mã này của điểm other không được thao tác tại điểm test.",
        "This token of site other may not act at site test.",
    )
    assert error("admin of other site", "/counters/1/pause?site=test")[1] == (
        "This token of site other may not act at site test."
    )
    assert error("clerk 1", "/counters/3/call-next")[0] == (
        "Mã này của quầy số 1 không được thao tác trên quầy số 3."
    )
    assert error("agent of 1,2", "/counters/3/call-next") == (
        "Mã thiết bị này không được cấp cho quầy số 3 (chỉ quầy 1, 2).",
        "This agent token is not for counter 3 (only 1, 2).",
    )
    # Calling another site's ticket by id at one's own counter: refused as such, not unknown.
    assert error("clerk 1 of other site", "/counters/1/call", ticket=waiting)[1] == (
        "This token of site other may not act at site test."
    )
    assert desk.get(waiting).ticket.status.value == "waiting"
    # People are named as such: their account, the counter they chose, their role.
    assert error("clerk account of 3 only", "/counters/1/call-next") == (
        "Tài khoản clerk-account-of-3-only không được làm việc tại quầy số 1.",
        "Account clerk-account-of-3-only may not work at counter 1.",
    )
    assert error("clerk account at 1", "/counters/2/call-next")[0] == (
        "Bạn đang làm việc tại quầy số 1. Để làm việc tại quầy số 2, xin đăng nhập lại và "
        "chọn quầy đó."
    )
    assert error("supervisor", "/counters/1/call-next?site=test")[1] == (
        "Not allowed: for role supervisor."
    )


def test_reads_for_staff_are_scoped_too(centre: Any) -> None:
    """A counter's figures are its clerk's (and its agent's, and the site's admins');
    printers and device reports are the token's site's."""
    _, callers = centre

    def status(who: str, url: str) -> int:
        return int(callers[who].get(f"{API}{url}").status_code)

    stats = "/counters/1/stats?site=test"
    readers = ("clerk 1", "agent of 1,2", "admin", "admin of all sites", "clerk account at 1",
               "supervisor", "admin account")  # fmt: skip
    assert [status(w, stats) for w in readers] == [200] * len(readers)
    for who in ("clerk 3", "agent of 3", "admin of other site", "clerk 1 of other site",
                "clerk account of 3 only", "supervisor of other site"):  # fmt: skip
        assert status(who, stats) == 403, who
    callers["agent of 3"].post(f"{API}/agent/health", json={"devices": []})
    callers["agent of other site"].post(f"{API}/agent/health", json={"devices": []})

    def sites(who: str, url: str, key: str) -> set[str]:
        body = callers[who].get(f"{API}{url}").get_json()
        return {item["site"] for item in body[key]}

    assert sites("admin", "/devices", "agents") == {"test"}
    assert sites("supervisor", "/devices", "agents") == {"test"}
    assert sites("supervisor of other site", "/devices", "agents") == {"other"}
    assert sites("supervisor", "/printers", "printers") <= {"test"}
    assert sites("admin of other site", "/devices", "agents") == {"other"}
    assert sites("admin of all sites", "/devices", "agents") == {"test", "other"}
    assert sites("admin", "/printers", "printers") <= {"test"}
    assert sites("admin of all sites", "/printers", "printers") == {"test", "other"}


def test_an_all_sites_admin_works_at_the_first_site_without_site(centre: Any) -> None:
    _, callers = centre
    resp = callers["admin of all sites"].post(f"{API}/tickets", json={"service": "HT"})
    assert resp.status_code == 201 and resp.get_json()["ticket"]["site"] == "test"
    resp = callers["admin"].post(f"{API}/tickets?site=other", json={"service": "HT"})
    assert resp.status_code == 403


# -- the token's life: revoked at once, expired with its own code ----------------------------


@pytest.fixture
def one_site(tmp_path: Path) -> Iterator[tuple[Any, FakeClock]]:
    clock = FakeClock(local(2026, 11, 26, 9, 0))
    app = create_app(make_config(tmp_path), clock=clock)
    yield app, clock
    app.extensions["motcua"].db.dispose()


def _token_id(db: Database, name: str) -> int:
    from queue_server.auth import list_tokens

    return int(next(r.id for r in list_tokens(db) if r.name == name))


def test_a_revoked_token_is_refused_on_its_very_next_request(one_site: Any) -> None:
    app, clock = one_site
    ext, client = app.extensions["motcua"], app.test_client()
    kiosk = create_token(ext.db, clock, role="kiosk", site="test", name="kiosk 1")
    issue: Callable[[], Any] = lambda: client.post(  # noqa: E731
        f"{API}/tickets", json={"service": "HT"}, headers=auth(kiosk)
    )
    assert issue().status_code == 201  # now known to the verifier
    assert revoke_token(ext.db, clock, _token_id(ext.db, "kiosk 1")) == clock.now()
    resp = issue()
    assert resp.status_code == 401
    assert resp.get_json()["error"] == {
        "code": "unauthorized",
        "message": "Mã truy cập đã bị thu hồi.",
        "message_en": "This token has been revoked.",
    }
    assert revoke_token(ext.db, clock, 10_000) is None


def test_an_expired_token_gets_its_own_code(one_site: Any) -> None:
    app, clock = one_site
    ext, client = app.extensions["motcua"], app.test_client()
    clerk = create_token(
        ext.db, clock, role="clerk", site="test", counter=1,
        expires_at=clock.now() + timedelta(hours=1),
    )  # fmt: skip
    stats = f"{API}/counters/1/stats"
    assert client.get(stats, headers=auth(clerk)).status_code == 200
    clock.advance(minutes=59, seconds=59)
    assert client.get(stats, headers=auth(clerk)).status_code == 200
    clock.advance(seconds=1)
    resp = client.get(stats, headers=auth(clerk))
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "token_expired"
