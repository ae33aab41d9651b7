"""The queue's corrections for supervisors: cancel or return any ticket by its printed
number at their site, close a counter left open without losing its ticket, and move a
counter's fields for the rest of the day."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from queue_server.audit import PAGE_MAX, AuditFilter, read_page
from queue_server.storage.schema import counters
from tests.conftest import STAFF_PASSWORD, auth, centre_text, local, make_config, second_site

API = "/api/v1"


def person(app: Any, username: str, counter: int | None = None) -> tuple[Any, dict[str, str]]:
    client = app.test_client()
    body: dict[str, Any] = {"username": username, "password": STAFF_PASSWORD}
    if counter is not None:
        body["counter"] = counter
    resp = client.post(f"{API}/session", json=body)
    assert resp.status_code == 200, resp.get_json()
    return client, {"X-CSRF-Token": resp.get_json()["csrf_token"]}


def issue(client: Any, kiosk: str, service: str = "HT") -> dict[str, Any]:
    resp = client.post(f"{API}/tickets", json={"service": service}, headers=auth(kiosk))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["ticket"]  # type: ignore[no-any-return]


def audit_rows(app: Any) -> list[Any]:
    rows, _ = read_page(app.extensions["motcua"].db, AuditFilter(), limit=PAGE_MAX)
    return rows


def status(client: Any, ticket: dict[str, Any]) -> dict[str, Any]:
    return client.get(f"{API}/tickets/{ticket['id']}").get_json()["ticket"]  # type: ignore[no-any-return]


def test_a_supervisor_cancels_and_returns_any_ticket_by_number_at_their_site(
    app, client, staff, token
):
    staff("hoa", "supervisor")
    kiosk, clerk = token("kiosk"), token("clerk", counter=3)
    land = issue(client, kiosk, "DD")
    civil = issue(client, kiosk, "HT")
    sup, h = person(app, "hoa")
    # a no-show at counter 3 comes back by its number, typed as digits
    assert (
        client.post(f"{API}/counters/3/call-next", json={}, headers=auth(clerk)).status_code == 200
    )
    client.post(f"{API}/counters/3/no-show", json={}, headers=auth(clerk))
    back = sup.post(f"{API}/tickets/by-number/1001/return", json={}, headers=h)
    assert back.status_code == 200, back.get_json()
    assert back.get_json()["ticket"]["status"] == "waiting"
    cancelled = sup.post(f"{API}/tickets/by-number/{civil['number']}/cancel", json={}, headers=h)
    assert cancelled.status_code == 200
    assert status(client, civil)["status"] == "cancelled"
    rows = audit_rows(app)
    assert [(r.action, r.target, r.actor) for r in rows[:2]] == [
        ("ticket.cancel", f"ticket {civil['number']}", "supervisor@hoa"),
        ("ticket.return", f"ticket {land['number']}", "supervisor@hoa"),
    ]
    # without the CSRF token, nothing
    again = sup.post(f"{API}/tickets/by-number/{land['number']}/cancel", json={})
    assert again.status_code == 403


def test_a_supervisor_acts_only_at_their_own_site(tmp_path, clock, db):
    from queue_server.accounts import create_user
    from queue_server.app import create_app
    from queue_server.auth import create_token

    app = create_app(make_config(tmp_path, centre_text() + second_site()), clock=clock, db=db)
    ext = app.extensions["motcua"]
    create_user(ext.db, clock, username="hoa", password=STAFF_PASSWORD, role="supervisor",
                site="test")  # fmt: skip
    kiosk = create_token(ext.db, clock, role="kiosk", site="other")
    client = app.test_client()
    theirs = client.post(f"{API}/tickets?site=other", json={"service": "HT"}, headers=auth(kiosk))
    number = theirs.get_json()["ticket"]["number"]
    sup, h = person(app, "hoa")
    refused = sup.post(f"{API}/tickets/by-number/{number}/cancel?site=other", json={}, headers=h)
    assert refused.status_code == 403
    # at their own site the same number is another ticket, or none
    mine = sup.post(f"{API}/tickets/by-number/{number}/cancel", json={}, headers=h)
    assert mine.status_code == 404
    for path in ("/counters/1/force-close?site=other", "/counters/1/services?site=other"):
        method = "PUT" if path.startswith("/counters/1/services") else "POST"
        body = {"services": ["HT"]} if method == "PUT" else {}
        resp = sup.open(f"{API}{path}", method=method, json=body, headers=h)
        assert resp.status_code == 403, path
    assert audit_rows(app) == []


def test_force_close_returns_a_called_ticket_to_its_field(app, client, staff, token):
    staff("hoa", "supervisor")
    staff("lan", "clerk", counters=[1])
    kiosk = token("kiosk")
    first, second = issue(client, kiosk), issue(client, kiosk)
    lan, lh = person(app, "lan")
    assert lan.post(f"{API}/counters/1/call-next", json={}, headers=lh).status_code == 200
    ext = app.extensions["motcua"]
    with ext.db.write() as conn:  # the counter is open with lan (set at sign-in on main)
        conn.execute(
            update(counters).where(counters.c.number == 1).values(clerk="lan", clerk_name="Lan")
        )
    seen: list[Any] = []
    ext.desk.bus.subscribe(seen.append)
    sup, h = person(app, "hoa")
    resp = sup.post(f"{API}/counters/1/force-close", json={}, headers=h)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["counter"]["state"] == "closed" and body["counter"]["ticket"] is None
    assert body["ticket"]["number"] == first["number"] and body["ticket"]["status"] == "waiting"
    assert body["ticket"]["ahead"] == 0  # its place kept: first in line again
    assert [e.name for e in seen] == ["ticket.no_show", "ticket.returned", "counter.state"]
    with ext.db.read() as conn:
        row = conn.execute(select(counters.c.clerk, counters.c.clerk_name).where(
            counters.c.number == 1)).one()  # fmt: skip
    assert tuple(row) == (None, None)
    # never lost: the next counter of the field calls it
    other = client.post(f"{API}/counters/2/call-next", json={}, headers=auth(token("clerk", 2)))
    assert other.get_json()["ticket"]["number"] == first["number"]
    assert status(client, second)["status"] == "waiting"
    row = audit_rows(app)[0]
    assert (row.action, row.target, row.actor) == (
        "counter.force_close",
        "counter 1",
        "supervisor@hoa",
    )
    assert row.before == {"state": "open", "clerk": "lan", "ticket": {
        "number": first["number"], "service": "HT", "status": "called", "counter": 1}}  # fmt: skip
    assert row.after["state"] == "closed" and row.after["clerk"] is None
    assert row.after["ticket"]["status"] == "waiting"
    log = [e.kind.value for e in ext.desk.history(first["id"])]
    assert log[-3:] == ["no_show", "returned", "called"]


def test_force_close_completes_a_ticket_being_served(app, client, staff, token):
    staff("hoa", "supervisor")
    kiosk, clerk = token("kiosk"), token("clerk", counter=1)
    ticket = issue(client, kiosk)
    client.post(f"{API}/counters/1/call-next", json={}, headers=auth(clerk))
    client.post(f"{API}/counters/1/start", json={}, headers=auth(clerk))
    sup, h = person(app, "hoa")
    resp = sup.post(f"{API}/counters/1/force-close", json={}, headers=h)
    assert resp.status_code == 200
    assert resp.get_json()["ticket"]["status"] == "done"
    assert status(client, ticket)["status"] == "done"
    # the plain close had refused it
    again = issue(client, kiosk)
    client.post(f"{API}/counters/2/call-next", json={}, headers=auth(token("clerk", 2)))
    plain = client.post(f"{API}/counters/2/close", json={}, headers=auth(token("admin")))
    assert plain.status_code == 409
    # an empty counter closes too, and a clerk may not force-close
    empty = sup.post(f"{API}/counters/4/force-close", json={}, headers=h)
    assert empty.status_code == 200 and empty.get_json()["ticket"] is None
    denied = client.post(f"{API}/counters/1/force-close", json={}, headers=auth(clerk))
    assert denied.status_code == 403
    assert status(client, again)["status"] == "called"


def test_todays_fields_change_routing_until_midnight(app, client, staff, token, clock):
    staff("hoa", "supervisor")
    kiosk, clerk = token("kiosk"), token("clerk", counter=3)  # counter 3 serves DD only
    ht = issue(client, kiosk, "HT")
    clock.advance(seconds=60)
    dd = issue(client, kiosk, "DD")
    seen: list[Any] = []
    app.extensions["motcua"].desk.bus.subscribe(seen.append)
    sup, h = person(app, "hoa")
    resp = sup.put(f"{API}/counters/3/services", json={"services": ["HT", "DD"]}, headers=h)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"number": 3, "services": ["HT", "DD"], "policy": "field_order",
                               "day": "2026-11-26"}  # fmt: skip
    assert [e.name for e in seen] == ["counter.state"]
    assert seen[0].counter.services == ("HT", "DD")
    snap = client.get(f"{API}/queue").get_json()
    assert {c["number"]: c["services"] for c in snap["counters"]}[3] == ["HT", "DD"]
    waiting = client.get(f"{API}/counters/3/waiting").get_json()["tickets"]
    assert [t["number"] for t in waiting] == [ht["number"], dd["number"]]
    called = client.post(f"{API}/counters/3/call-next", json={}, headers=auth(clerk))
    assert called.get_json()["ticket"]["number"] == ht["number"]  # HT first, as set
    row = next(r for r in audit_rows(app) if r.action == "counter.services")
    assert row.before == {"services": ["DD"], "policy": "field_order"}
    assert row.after == {"services": ["HT", "DD"], "policy": "field_order"}
    # oldest first across them, then the day ends
    oldest = sup.put(f"{API}/counters/3/services", json={"services": ["HT", "DD"],
                     "policy": "oldest_first"}, headers=h)  # fmt: skip
    assert oldest.status_code == 200 and oldest.get_json()["policy"] == "oldest_first"
    clock.advance(seconds=60)
    issue(client, kiosk, "HT")  # newer than DD's: DD goes first now
    oldest_call = client.post(f"{API}/counters/3/call-next", json={}, headers=auth(clerk))
    assert oldest_call.get_json()["ticket"]["number"] == dd["number"]
    clock.set(local(2026, 11, 27, 0, 1))
    issue(client, kiosk, "HT")
    tomorrow = issue(client, kiosk, "DD")
    snap = client.get(f"{API}/queue").get_json()
    assert {c["number"]: c["services"] for c in snap["counters"]}[3] == ["DD"]
    nxt = client.post(f"{API}/counters/3/call-next", json={}, headers=auth(clerk))
    assert nxt.get_json()["ticket"]["number"] == tomorrow["number"]


def test_todays_fields_bad_input(app, client, staff, token):
    staff("hoa", "supervisor")
    sup, h = person(app, "hoa")
    for body, code in (({"services": []}, "invalid_field"),
                       ({"services": ["ZZ"]}, "unknown_service"),
                       ({"services": ["HT", "HT"]}, "no_services"), ({}, "missing_field"),
                       ({"services": ["HT"], "policy": "random"}, "invalid_field"),
                       ({"services": "HT"}, "invalid_field")):  # fmt: skip
        resp = sup.put(f"{API}/counters/3/services", json=body, headers=h)
        assert 400 <= resp.status_code < 500 and resp.get_json()["error"]["code"] == code, body
    assert (
        sup.put(f"{API}/counters/9/services", json={"services": ["HT"]}, headers=h).status_code
        == 404
    )
    clerk = token("clerk", counter=3)
    resp = client.put(f"{API}/counters/3/services", json={"services": ["HT"]}, headers=auth(clerk))
    assert resp.status_code == 403
    assert audit_rows(app) == []


def test_a_clerk_acts_on_the_fields_of_today(app, client, staff, token):
    staff("hoa", "supervisor")
    kiosk, clerk = token("kiosk"), token("clerk", counter=3)
    ht = issue(client, kiosk, "HT")
    refused = client.post(f"{API}/tickets/{ht['id']}/cancel", json={}, headers=auth(clerk))
    assert refused.status_code == 403  # counter 3 serves DD only
    sup, h = person(app, "hoa")
    sup.put(f"{API}/counters/3/services", json={"services": ["DD", "HT"]}, headers=h)
    called = client.post(f"{API}/counters/3/call", json={"ticket": "1"}, headers=auth(clerk))
    assert called.status_code == 200 and called.get_json()["ticket"]["number"] == ht["number"]
    client.post(f"{API}/counters/3/no-show", json={}, headers=auth(clerk))
    back = client.post(
        f"{API}/tickets/by-number/{ht['number']}/return", json={}, headers=auth(clerk)
    )
    assert back.status_code == 200
