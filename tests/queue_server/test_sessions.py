"""Staff sign-in: sessions in the database, CSRF on changes, lockout, a clerk's counters."""

from __future__ import annotations

import statistics
import time

from queue_server.accounts import LOCK_AFTER, set_locked
from tests.conftest import STAFF_PASSWORD, auth, sign_in


def test_sign_in_me_and_sign_out(client, staff):
    staff("lan", "clerk", counters=[1], name="Nguyễn Thị Lan")
    resp = client.post("/api/v1/session", json={"username": "lan", "password": STAFF_PASSWORD})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["user"] == {
        "username": "lan", "name": "Nguyễn Thị Lan", "role": "clerk", "site": "test",
        "counters": [1],
    }  # fmt: skip
    assert body["counter"] == 1  # a clerk's only counter
    cookie = resp.headers["Set-Cookie"]
    assert "motcua_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.get_json()["csrf_token"] == body["csrf_token"]
    # signing out needs the CSRF token too
    assert client.delete("/api/v1/session").status_code == 403
    out = client.delete("/api/v1/session", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status_code == 200
    assert client.get("/api/v1/me").status_code == 401  # the cookie is gone
    secret = cookie.split("motcua_session=")[1].split(";")[0]
    client.set_cookie("motcua_session", secret)  # and kept elsewhere, it is over
    gone = client.get("/api/v1/me")
    assert gone.status_code == 401
    assert gone.get_json()["error"]["code"] == "session_expired"


def test_a_change_without_the_csrf_token_is_refused(client, staff):
    staff("lan", "clerk", counters=[1])
    csrf = sign_in(client, "lan")
    refused = client.post("/api/v1/counters/1/open", json={})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    wrong = client.post("/api/v1/counters/1/open", json={}, headers={"X-CSRF-Token": "x" + csrf})
    assert wrong.status_code == 403
    ok = client.post("/api/v1/counters/1/open", json={}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200, ok.get_json()


def test_a_cross_site_form_post_with_the_cookie_is_refused(client, staff):
    staff("lan", "clerk", counters=[1])
    sign_in(client, "lan")
    resp = client.post(
        "/api/v1/counters/1/open",
        data={"x": "1"},
        headers={
            "Origin": "http://evil.example",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert resp.status_code in (403, 415)
    assert resp.get_json()["error"]["code"] in ("csrf_failed", "unsupported_media_type")


def test_a_clerk_acts_only_at_the_counter_of_the_session(client, staff):
    staff("lan", "clerk", counters=[1, 2])
    chosen = client.post(
        "/api/v1/session", json={"username": "lan", "password": STAFF_PASSWORD, "counter": 4}
    )
    assert chosen.status_code == 403
    assert chosen.get_json()["error"]["code"] == "counter_not_allowed"
    assert "quầy số 4" in chosen.get_json()["error"]["message"]
    csrf = sign_in(client, "lan", counter=2)
    headers = {"X-CSRF-Token": csrf}
    assert client.post("/api/v1/counters/2/open", json={}, headers=headers).status_code == 200
    other = client.post("/api/v1/counters/1/open", json={}, headers=headers)
    assert other.status_code == 403


def test_a_clerk_with_several_counters_must_choose(client, staff):
    staff("lan", "clerk", counters=[1, 2])
    csrf = sign_in(client, "lan")
    assert client.get("/api/v1/me").get_json()["counter"] is None
    resp = client.post("/api/v1/counters/1/open", json={}, headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "no_counter_chosen"


def test_events_name_the_clerk_account(client, staff, token):
    staff("lan", "clerk", counters=[1])
    kiosk = token("kiosk")
    issued = client.post("/api/v1/tickets", json={"service": "HT"}, headers=auth(kiosk))
    ticket_id = issued.get_json()["ticket"]["id"]
    csrf = sign_in(client, "lan")
    called = client.post("/api/v1/counters/1/call-next", json={}, headers={"X-CSRF-Token": csrf})
    assert called.status_code == 200
    desk = client.application.extensions["motcua"].desk
    actors = [e.actor for e in desk.history(ticket_id)]
    assert "clerk@lan" in actors
    # ...which the public log never shows
    log = client.get(f"/api/v1/tickets/{ticket_id}/events").get_json()
    assert all("lan" not in e["actor"] for e in log["events"])


def test_wrong_user_and_wrong_password_answer_alike(client, staff):
    staff("lan", "clerk", counters=[1])

    def attempt(username: str) -> tuple[float, int, dict]:
        start = time.perf_counter()
        resp = client.post(
            "/api/v1/session", json={"username": username, "password": "sai-mat-khau"}
        )
        return time.perf_counter() - start, resp.status_code, resp.get_json()

    wrong_user = [attempt("khong-co") for _ in range(5)]
    wrong_password = [attempt("lan") for _ in range(5)]
    assert {s for _, s, _ in wrong_user + wrong_password} == {401}
    assert wrong_user[0][2] == wrong_password[0][2]
    a = statistics.median(t for t, _, _ in wrong_user)
    b = statistics.median(t for t, _, _ in wrong_password)
    # both verify one argon2 hash; the wrong password also counts the failure (a write)
    assert 0.5 < a / b < 2.0, (a, b)


def test_twenty_wrong_passwords_lock_the_account_until_unlocked(client, staff):
    staff("lan", "clerk", counters=[1])
    for _ in range(LOCK_AFTER - 1):
        resp = client.post("/api/v1/session", json={"username": "lan", "password": "sai"})
        assert resp.status_code == 401
    locked = client.post("/api/v1/session", json={"username": "lan", "password": "sai"})
    assert locked.status_code == 403
    assert locked.get_json()["error"]["code"] == "account_locked"
    assert "khóa" in locked.get_json()["error"]["message"]
    right = client.post("/api/v1/session", json={"username": "lan", "password": STAFF_PASSWORD})
    assert right.status_code == 403  # the right password does not open a locked account
    ext = client.application.extensions["motcua"]
    set_locked(ext.db, ext.desk.clock, "lan", False)
    assert sign_in(client, "lan")


def test_locking_ends_open_sessions_at_once(client, staff):
    staff("lan", "clerk", counters=[1])
    sign_in(client, "lan")
    ext = client.application.extensions["motcua"]
    set_locked(ext.db, ext.desk.clock, "lan", True)
    assert client.get("/api/v1/me").status_code == 401


def test_an_idle_session_ends(client, staff, clock):
    staff("lan", "clerk", counters=[1])
    sign_in(client, "lan")
    clock.advance(seconds=29 * 60)
    assert client.get("/api/v1/me").status_code == 200  # in use: it goes on
    clock.advance(seconds=29 * 60)
    assert client.get("/api/v1/me").status_code == 200
    clock.advance(seconds=31 * 60)
    assert client.get("/api/v1/me").status_code == 401


def test_a_bearer_token_is_not_a_session(client, token):
    resp = client.get("/api/v1/me", headers=auth(token("admin")))
    assert resp.status_code == 403
