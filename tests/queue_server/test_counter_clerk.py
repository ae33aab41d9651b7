"""A counter is open with its clerk: the clerk on counters, events and the snapshot,
hand-over (Đổi ca), sign-out and the end of the day."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from queue_server.storage.schema import counter_events, counters, ticket_events
from tests.conftest import STAFF_PASSWORD, auth, sign_in


def _post(client: Any, csrf: str, path: str, **body: Any) -> Any:
    return client.post(f"/api/v1{path}", json=body, headers={"X-CSRF-Token": csrf})


def _counter(client: Any, number: int) -> dict[str, Any]:
    snap = client.get("/api/v1/queue").get_json()
    return next(c for c in snap["counters"] if c["number"] == number)  # type: ignore[no-any-return]


def _events(app: Any) -> list[Any]:
    got: list[Any] = []
    app.extensions["motcua"].desk.bus.subscribe(got.append)
    return got


def test_a_clerk_opens_the_counter_with_their_name(app, client, staff, token):
    staff("lan", counters=[3], name="Nguyễn Thị Lan")
    got = _events(app)
    assert _counter(client, 3)["clerk"] is None and _counter(client, 3)["state"] == "closed"
    csrf = sign_in(client, "lan", 3)
    assert _counter(client, 3)["state"] == "closed"  # signing in alone opens nothing
    opened = _post(client, csrf, "/counters/3/open")
    assert opened.status_code == 200
    lan = {"username": "lan", "name": "Nguyễn Thị Lan"}
    assert opened.get_json()["counter"]["clerk"] == lan
    assert _counter(client, 3)["clerk"] == lan
    states = [e for e in got if e.name == "counter.state"]
    assert states[-1].clerk.username == "lan"
    # pausing and resuming keep the clerk; closing leaves nobody
    assert _post(client, csrf, "/counters/3/pause").get_json()["counter"]["clerk"] == lan
    assert _post(client, csrf, "/counters/3/resume").get_json()["counter"]["clerk"] == lan
    closed = _post(client, csrf, "/counters/3/close").get_json()["counter"]
    assert closed["state"] == "closed" and closed["clerk"] is None
    # a device's code opening a counter names nobody
    tok = token("clerk", counter=4)
    other = app.test_client()
    assert other.post("/api/v1/counters/4/open", json={}, headers=auth(tok)).status_code == 200
    assert _counter(client, 4)["clerk"] is None and _counter(client, 4)["state"] == "open"


def test_the_first_call_opens_it_with_the_clerk_and_every_event_names_them(
    app, client, staff, token
):
    staff("lan", counters=[3])
    kiosk = token("kiosk")
    issued = client.post("/api/v1/tickets", json={"service": "DD"}, headers=auth(kiosk))
    ticket_id = issued.get_json()["ticket"]["id"]
    csrf = sign_in(client, "lan", 3)
    called = _post(client, csrf, "/counters/3/call-next")
    assert called.status_code == 200, called.get_json()
    assert _counter(client, 3)["clerk"]["username"] == "lan"
    assert _post(client, csrf, "/counters/3/complete").status_code == 200
    db = app.extensions["motcua"].db
    with db.read() as conn:
        actors = conn.execute(
            select(ticket_events.c.kind, ticket_events.c.actor).where(
                ticket_events.c.ticket_id == ticket_id
            )
        ).all()
        log = conn.execute(select(counter_events.c.kind, counter_events.c.actor)).all()
    assert [a for k, a in actors if k != "issued"] == ["clerk@lan", "clerk@lan"]
    assert ("opened", "clerk@lan") in [tuple(r) for r in log]


def test_hand_over_keeps_the_counter_open_under_the_next_clerk(app, client, staff, token):
    staff("lan", counters=[3], name="Nguyễn Thị Lan")
    staff("minh", counters=[3, 4], name="Trần Văn Minh")
    kiosk = token("kiosk")
    client.post("/api/v1/tickets", json={"service": "DD"}, headers=auth(kiosk))
    csrf = sign_in(client, "lan", 3)
    assert _post(client, csrf, "/counters/3/call-next").get_json()["ticket"]
    got = _events(app)

    second = app.test_client()
    body = {"username": "minh", "password": STAFF_PASSWORD, "counter": 3}
    taken = second.post("/api/v1/session", json=body)
    assert taken.status_code == 409
    error = taken.get_json()["error"]
    assert error["code"] == "counter_taken"
    assert "Nguyễn Thị Lan" in error["message"] and "Đổi ca" in error["message"]
    assert "Nguyễn Thị Lan" in error["message_en"]

    over = second.post("/api/v1/session", json={**body, "handover": True})
    assert over.status_code == 200, over.get_json()
    minh = {"username": "minh", "name": "Trần Văn Minh"}
    now = _counter(client, 3)
    assert now["state"] == "open" and now["clerk"] == minh and now["ticket"] is not None
    # no close/open in between: one counter.state naming the new clerk
    states = [e for e in got if e.name == "counter.state"]
    assert [(e.counter_state.value, e.clerk.username) for e in states] == [("open", "minh")]
    db = app.extensions["motcua"].db
    with db.read() as conn:
        log = conn.execute(
            select(counter_events.c.kind, counter_events.c.actor).order_by(counter_events.c.id)
        ).all()
    assert tuple(log[-1]) == ("handover", "clerk@minh")
    # the first clerk's session there is over, and says why
    gone = client.post("/api/v1/counters/3/complete", json={}, headers={"X-CSRF-Token": csrf})
    assert gone.status_code == 401
    assert gone.get_json()["error"]["code"] == "session_expired"
    assert "Trần Văn Minh" in gone.get_json()["error"]["message"]
    # the second one carries on with the ticket the counter holds
    done = _post(second, over.get_json()["csrf_token"], "/counters/3/complete")
    assert done.status_code == 200, done.get_json()


def test_hand_over_after_signing_in_by_choosing_the_counter(app, client, staff):
    staff("lan", counters=[3])
    staff("minh", counters=[3, 4])
    csrf = sign_in(client, "lan", 3)
    _post(client, csrf, "/counters/3/open")
    second = app.test_client()
    csrf2 = sign_in(second, "minh")  # two counters: none chosen yet
    assert second.get("/api/v1/me").get_json()["counter"] is None
    refused = _post(second, csrf2, "/session/counter", counter=3)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "counter_taken"
    not_theirs = _post(second, csrf2, "/session/counter", counter=1)
    assert not_theirs.status_code == 403
    ok = _post(second, csrf2, "/session/counter", counter=3, handover=True)
    assert ok.status_code == 200 and ok.get_json()["counter"] == 3
    assert _counter(client, 3)["clerk"]["username"] == "minh"


def test_sign_out_closes_the_counter_unless_it_holds_a_ticket(app, client, staff, token):
    staff("lan", counters=[3])
    csrf = sign_in(client, "lan", 3)
    _post(client, csrf, "/counters/3/open")
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 200
    after = _counter(client, 3)
    assert after["state"] == "closed" and after["opened_today"] and after["clerk"] is None
    db = app.extensions["motcua"].db
    with db.read() as conn:
        last = conn.execute(
            select(counter_events.c.kind, counter_events.c.cause).order_by(
                counter_events.c.id.desc()
            )
        ).first()
    assert tuple(last) == ("closed", "sign_out")

    # holding a called ticket, it stays open with the clerk, for a supervisor to close
    client.post("/api/v1/tickets", json={"service": "DD"}, headers=auth(token("kiosk")))
    csrf = sign_in(client, "lan", 3)
    assert _post(client, csrf, "/counters/3/call-next").get_json()["ticket"]
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 200
    held = _counter(client, 3)
    assert held["state"] == "open" and held["clerk"]["username"] == "lan" and held["ticket"]


def test_the_end_of_the_day_closes_it_with_nobody(app, client, staff, clock):
    staff("lan", counters=[3])
    csrf = sign_in(client, "lan", 3)
    _post(client, csrf, "/counters/3/open")
    clock.advance(hours=24)
    desk = app.extensions["motcua"].desk
    got = _events(app)
    assert desk.close_stale_counters() >= 1
    assert [e.clerk for e in got if e.name == "counter.state" and e.counter.number == 3] == [None]
    with app.extensions["motcua"].db.read() as conn:
        row = conn.execute(
            select(counters.c.state, counters.c.clerk).where(counters.c.number == 3)
        ).first()
    assert tuple(row) == ("closed", None)
    assert _counter(client, 3)["clerk"] is None and _counter(client, 3)["state"] == "closed"


def test_a_clerk_allowed_only_counter_3_cannot_act_on_counter_4(client, staff):
    staff("lan", counters=[3])
    csrf = sign_in(client, "lan", 3)
    for path in ("/counters/4/open", "/counters/4/call-next", "/counters/4/close"):
        refused = _post(client, csrf, path)
        assert refused.status_code == 403, path
        error = refused.get_json()["error"]
        assert error["code"] == "forbidden"
        assert error["message"] == "Tài khoản lan không được làm việc tại quầy số 4."
    body = {"username": "lan", "password": STAFF_PASSWORD, "counter": 4}
    refused = client.post("/api/v1/session", json=body)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "counter_not_allowed"


def test_a_supervisor_unlocks_an_account_of_their_site(app, client, staff, clock):
    from queue_server.accounts import LOCK_AFTER, find_user

    staff("lan", counters=[3])
    staff("hoa", "supervisor", name="Lê Thị Hoa")
    body = {"username": "lan", "password": "wrong password"}
    for _ in range(LOCK_AFTER):
        client.post("/api/v1/session", json=body)
    locked = client.post("/api/v1/session", json={**body, "password": STAFF_PASSWORD})
    assert locked.status_code == 403
    assert locked.get_json()["error"]["code"] == "account_locked"
    assert "khóa" in locked.get_json()["error"]["message"]

    clerk = app.test_client()
    staff("minh", counters=[4])
    refused = _post(clerk, sign_in(clerk, "minh"), "/users/lan/unlock")
    assert refused.status_code == 403  # a clerk may not

    sup = app.test_client()
    csrf = sign_in(sup, "hoa")
    assert _post(sup, csrf, "/users/nobody/unlock").status_code == 404
    done = _post(sup, csrf, "/users/lan/unlock")
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["user"]["state"] == "active"
    assert done.get_json()["user"]["username"] == "lan"
    assert find_user(app.extensions["motcua"].db, "lan").locked is False
    sign_in(client, "lan")  # the right password works again


def test_next_is_only_a_path_of_this_site():
    from queue_server.web.login import safe_next

    assert safe_next("/counter/3?site=test") == "/counter/3?site=test"
    for bad in ("//evil.example/x", "https://evil.example", "/\\evil", "javascript:x", "",
                None, "/a\nb", "counter/3", "/" + "a" * 600):  # fmt: skip
        assert safe_next(bad) == "", bad


def test_the_login_page_sends_signed_in_staff_on(client, staff):
    page = client.get("/login?next=//evil.example&counter=3")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-next=""' in html and 'data-counter="3"' in html and "Đăng nhập cán bộ" in html
    assert "<script>" not in html and 'src="/static/login/login.js"' in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    staff("hoa", "supervisor")
    sign_in(client, "hoa")
    assert client.get("/login").headers["Location"] == "/admin"
    assert client.get("/login?next=/display").headers["Location"] == "/display"
    assert client.get("/login?counter=3").status_code == 200  # Đổi ca: the form again
    other = client.application.test_client()
    staff("lan", counters=[3])
    sign_in(other, "lan")
    assert other.get("/login").headers["Location"] == "/counter/3"
