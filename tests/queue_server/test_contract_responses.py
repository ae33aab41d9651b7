"""Every route, driven with a real token of each role: each real answer (status and body)
must be one the generated OpenAPI document declares, and match its schema.

This is what keeps the document true: a field added to a response but not to its model,
a status a route answers but does not declare, or a model that says more than the server
sends, fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from queue_server.app import create_app
from queue_server.auth import create_token
from queue_server.domain.clock import FakeClock
from queue_server.domain.model import CounterState, EventKind, TicketStatus
from queue_server.web.openapi import openapi_document
from tests.conftest import auth, local, make_config

API = "/api/v1"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    application = create_app(
        make_config(tmp_path, test_hooks=True), clock=FakeClock(local(2026, 11, 26, 9, 0))
    )
    yield application
    application.extensions["motcua"].db.dispose()


class Checked:
    """A test client that checks every answer against the app's own OpenAPI document."""

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()
        self.doc = self.client.get(f"{API}/openapi.json").get_json()
        self.seen: set[tuple[str, str]] = set()
        self.statuses: set[tuple[str, str, int]] = set()
        self.ops = {
            (method.upper(), path): op
            for path, item in self.doc["paths"].items()
            for method, op in item.items()
        }

    def op_for(self, method: str, url: str) -> tuple[str, dict[str, Any]]:
        """The documented operation a concrete URL belongs to."""
        parts = url.split("?")[0].split("/")
        for (m, path), op in self.ops.items():
            pattern = path.split("/")
            if (
                m == method
                and len(pattern) == len(parts)
                and all(
                    p == q or (p.startswith("{") and q) for p, q in zip(pattern, parts, strict=True)
                )
            ):
                return path, op
        raise AssertionError(f"{method} {url} is not in the document")

    def call(self, method: str, url: str, who: str | None = None, **kw: Any) -> Any:
        headers = {**(auth(who) if who else {}), **kw.pop("headers", {})}
        resp = self.client.open(f"{API}{url}", method=method, headers=headers, **kw)
        path, op = self.op_for(method, f"{API}{url}")
        status = str(resp.status_code)
        assert status in op["responses"], (method, url, status, resp.get_data(as_text=True))
        content = op["responses"][status]["content"]
        if "text/csv" in content:  # an export: documented as text, checked as such
            assert resp.mimetype == "text/csv", (method, url, status)
            self.seen.add((method, path))
            return resp
        schema = content["application/json"]["schema"]
        body = resp.get_json()
        validator = Draft202012Validator({**schema, "components": self.doc["components"]})
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, (method, url, status, [e.message for e in errors][:3], body)
        self.seen.add((method, path))
        self.statuses.add((method, path, resp.status_code))
        return resp


def test_the_document_is_valid_openapi_3_1(app):
    doc = Checked(app).doc
    assert doc["openapi"] == "3.1.0"
    validate_spec(doc)  # raises on any violation of the OpenAPI 3.1 schema
    validate_spec(openapi_document())


def test_enums_are_the_domains_own(app):
    schemas = Checked(app).doc["components"]["schemas"]
    assert set(schemas["TicketStatus"]["enum"]) == {s.value for s in TicketStatus}
    assert set(schemas["CounterState"]["enum"]) == {s.value for s in CounterState}
    assert set(schemas["EventKind"]["enum"]) == {s.value for s in EventKind}


def test_every_route_answers_as_documented_for_every_role(app):
    ext = app.extensions["motcua"]

    def tok(role: str, counter: int | None = None, site: str = "test") -> str:
        return create_token(ext.db, ext.desk.clock, role=role, site=site, counter=counter)

    kiosk, display, agent, admin = tok("kiosk"), tok("display"), tok("agent"), tok("admin")
    clerk1, clerk3 = tok("clerk", 1), tok("clerk", 3)
    c = Checked(app)
    roles = (None, kiosk, display, clerk1, agent, admin)

    # Reading, by everyone.
    for who in roles:
        c.call("GET", "/health", who)
        c.call("GET", "/openapi.json", who)
        c.call("GET", "/services", who)
        c.call("GET", "/services?site=nowhere", who)
        c.call("GET", "/queue", who)
        c.call("GET", "/counters/1/waiting", who)
        c.call("GET", "/counters/99/waiting", who)
        for staff_only in ("/printers", "/devices", "/counters/1/stats"):
            c.call("GET", staff_only, who)

    # Issuing: kiosk and admin may, others may not; bad bodies are 400 with the field named.
    issued = [c.call("POST", "/tickets", kiosk, json={"service": "HT", "print": True})]
    issued += [c.call("POST", "/tickets", admin, json={"service": s}) for s in ("HT", "CT", "DD")]
    issued.append(c.call("POST", "/tickets", kiosk, json={"service": "HT", "priority": True}))
    assert all(r.status_code == 201 for r in issued)
    for who in (None, display, clerk1, agent):
        c.call("POST", "/tickets", who, json={"service": "HT"})
    for bad in ({}, {"service": 1}, {"service": "HT", "x": 1}, {"service": "ZZ"}):
        resp = c.call("POST", "/tickets", kiosk, json=bad)
        assert resp.status_code in (400, 404)
    c.call("POST", "/tickets", kiosk, data=b"{oops", content_type="application/json")
    c.call("POST", "/tickets", kiosk, json={"service": "HT", "procedure": "nope"})
    c.call("POST", "/tickets", kiosk, json={"service": "KD"})  # capped and open on Thursday
    ids = [r.get_json()["ticket"]["id"] for r in issued]
    for who in roles:
        c.call("GET", f"/tickets/{ids[0]}", who)
        c.call("GET", f"/tickets/{ids[0]}/events", who)
    c.call("GET", "/tickets/nope", None)
    c.call("GET", "/tickets/nope/events", None)
    c.call("POST", f"/tickets/{ids[0]}/print", kiosk, json={})
    c.call("POST", f"/tickets/{ids[0]}/print", clerk1, json={})
    c.call("POST", "/tickets/nope/print", admin, json={})

    # A counter's day, by its clerk; other counters' clerks and kiosks are refused.
    for action in ("call-next", "recall", "start", "complete", "call-next", "no-show"):
        c.call("POST", f"/counters/1/{action}", clerk1, json={})
        c.call("POST", f"/counters/1/{action}", clerk3, json={})
        c.call("POST", f"/counters/1/{action}", kiosk, json={})
    c.call("POST", "/counters/1/complete", clerk1, json={})  # nothing current: 409
    c.call(
        "POST",
        "/counters/1/call",
        clerk1,
        json={"ticket": issued[2].get_json()["ticket"]["number"]},
    )
    c.call("POST", "/counters/1/call", clerk1, json={})
    c.call("POST", "/counters/1/transfer", clerk1, json={"service": "DD"})
    c.call("POST", "/counters/1/transfer", clerk1, json={"service": "ZZ"})
    c.call("POST", "/counters/3/call-next", agent, json={})
    c.call("POST", "/counters/3/start", agent, json={})
    c.call("POST", "/counters/3/complete", agent, json={})
    c.call("POST", "/counters/3/rating", agent, json={"score": 3})
    c.call("POST", "/counters/3/rating", agent, json={"score": 9})
    c.call("POST", "/counters/3/rating", agent, json={"score": "3"})
    # The status page's rating, by the ticket's id (this centre has status_rating off).
    for who in (None, kiosk):
        c.call("POST", f"/tickets/{ids[0]}/rating", who, json={"score": 3})
    c.call("POST", f"/tickets/{ids[0]}/rating", None, json={"score": 9})
    c.call("POST", "/tickets/nope/rating", None, json={"score": 3})
    c.call("POST", "/counters/99/call-next", admin, json={})
    c.call("POST", "/counters/1/call-next?site=nowhere", admin, json={})
    for action in ("open", "pause", "resume", "close", "resume", "close", "open"):
        c.call("POST", f"/counters/2/{action}", admin, json={})
    c.call("POST", "/counters/2/pause", admin, json={})
    c.call("POST", "/counters/2/call-next", admin, json={})  # paused: 409
    c.call("GET", "/counters/1/stats", clerk1)
    c.call("GET", "/counters/1/waiting", clerk1)

    # Corrections by ticket id.
    no_show = c.call("POST", "/counters/1/call-next", clerk1, json={})
    c.call("POST", "/counters/1/no-show", clerk1, json={"requeue": False})
    tid = no_show.get_json()["ticket"]["id"]
    c.call("POST", f"/tickets/{tid}/return", clerk1, json={})
    c.call("POST", f"/tickets/{tid}/return", clerk1, json={})  # already waiting: 409
    c.call("POST", f"/tickets/{tid}/cancel", admin, json={})
    c.call("POST", f"/tickets/{tid}/cancel", kiosk, json={})
    c.call("POST", "/tickets/nope/cancel", admin, json={})

    # Corrections by printed number, as a clerk types it.
    for _ in range(2):
        c.call("POST", "/tickets", admin, json={"service": "HT"})
    again = c.call("POST", "/counters/1/call-next", clerk1, json={"unstarted": "no_show"})
    gone = c.call("POST", "/counters/1/call-next", clerk1, json={"unstarted": "no_show"})
    number = again.get_json()["ticket"]["number"]
    for action in ("return", "return", "cancel", "cancel"):  # the second of each: 409
        c.call("POST", f"/tickets/by-number/{number}/{action}", clerk1, json={})
    c.call("POST", f"/tickets/by-number/{number.lower()}/cancel", clerk3, json={})  # 403
    c.call("POST", "/tickets/by-number/A9999/return", admin, json={})  # 404
    c.call("POST", "/tickets/by-number/oops/return", admin, json={})  # 404
    c.call("POST", "/tickets/by-number/1/cancel", kiosk, json={})  # 403
    c.call("POST", "/counters/1/call-next", clerk1, json={"unstarted": "maybe"})  # 400
    assert gone.status_code == 200

    # Devices: the agent reports, staff read.
    report = {"name": "PC quầy", "devices": [{"id": "k1", "kind": "keypad", "state": "ok",
                                               "counter": 1, "counts": {"frames": 3}}]}  # fmt: skip
    c.call("POST", "/agent/health", agent, json=report)
    c.call("POST", "/agent/health", agent, json={"devices": [{"id": "k1", "state": "on fire"}]})
    c.call("POST", "/agent/health", clerk1, json=report)
    c.call("GET", "/devices", admin)

    # Idempotent replays answer the first answer.
    key = {"Idempotency-Key": "press-1"}
    first = c.call("POST", "/counters/1/call-next", clerk1, json={}, headers=key)
    again = c.call("POST", "/counters/1/call-next", clerk1, json={}, headers=key)
    assert again.get_data() == first.get_data()

    # Test hooks (this app has them on).
    c.call("POST", "/_test/printer-fault", None, json={"fault": "paper_out"})
    c.call("POST", "/tickets", kiosk, json={"service": "CT", "print": True})
    c.call("POST", "/_test/printer-fault", None, json={})
    c.call("POST", "/_test/drop-next-event", None)
    c.call("POST", "/_test/disconnect-displays", None)

    # Staff sign-in: wrong password, a counter not theirs, right; me; sign out.
    from queue_server.accounts import create_user

    create_user(ext.db, ext.desk.clock, username="lan", password="mat-khau-2026", role="clerk",
                site="test", counters=[1])  # fmt: skip
    for who in (None, admin):
        c.call("GET", "/me", who)
        c.call("DELETE", "/session", who)
    c.call("POST", "/session", json={"username": "lan", "password": "sai-mat-khau"})
    c.call("POST", "/session", json={"username": "lan", "password": "mat-khau-2026", "counter": 2})
    c.call("POST", "/session", json={"username": "lan", "password": "mat-khau-2026", "counter": 99})
    c.call("POST", "/session", json={"username": "lan"})
    signed = c.call("POST", "/session", json={"username": "lan", "password": "mat-khau-2026"})
    csrf = signed.get_json()["csrf_token"]
    c.call("GET", "/me")
    # Choosing a counter (one not theirs: 403; unknown: 404), taking one over (Đổi ca).
    create_user(ext.db, ext.desk.clock, username="minh", password="mat-khau-2026", role="clerk",
                site="test", counters=[1, 2])  # fmt: skip
    own = {"X-CSRF-Token": csrf}
    c.call("POST", "/counters/1/open", json={}, headers=own)
    c.call("POST", "/session/counter", json={"counter": 3}, headers=own)
    c.call("POST", "/session/counter", json={"counter": 99}, headers=own)
    c.call("POST", "/session/counter", json={"counter": 1}, headers=own)
    c.call("POST", "/session", json={"username": "minh", "password": "mat-khau-2026",
                                     "counter": 1})  # fmt: skip  # 409 counter_taken
    c.call("POST", "/session", json={"username": "minh", "password": "mat-khau-2026",
                                     "counter": 1, "handover": True})  # fmt: skip
    c.call("GET", "/me")
    # Unlocking an account: an admin (the supervisor of its site too), unknown, a kiosk.
    c.call("POST", "/users/lan/unlock", admin, json={})
    c.call("POST", "/users/nobody/unlock", admin, json={})
    c.call("POST", "/users/lan/unlock", kiosk, json={})
    relog = c.call("POST", "/session", json={"username": "minh", "password": "mat-khau-2026"})
    csrf = relog.get_json()["csrf_token"]
    c.call("DELETE", "/session")  # no CSRF token
    c.call("DELETE", "/session", headers={"X-CSRF-Token": csrf})
    c.call("GET", "/me")

    # Accounts administered, the audit log, a supervisor's corrections.
    for username, role in (("chi", "admin"), ("hoa", "supervisor")):
        create_user(ext.db, ext.desk.clock, username=username, password="mat-khau-2026",
                    role=role, site="test")  # fmt: skip
    for who in (None, admin, clerk1):
        c.call("GET", "/users", who)
        c.call("GET", "/audit", who)
        c.call("GET", "/audit.csv", who)  # refusals are JSON; the CSV itself is not
    c.call("POST", "/users", admin, json={"username": "x", "role": "clerk", "password": "12345678"})
    signed = c.call("POST", "/session", json={"username": "chi", "password": "mat-khau-2026"})
    h = {"X-CSRF-Token": signed.get_json()["csrf_token"]}
    new_user = {"username": "mai", "name": "Lê Mai", "role": "clerk", "counters": [1],
                "password": "mat-khau-2026"}  # fmt: skip
    c.call("POST", "/users", json=new_user, headers=h)
    c.call("POST", "/users", json=new_user, headers=h)  # taken: 409
    c.call("POST", "/users", json={**new_user, "username": "a", "counters": [99]}, headers=h)
    c.call("POST", "/users", json={"username": "b"}, headers=h)  # 400
    c.call("GET", "/users")
    c.call("PATCH", "/users/mai", json={"name": "Lê Thị Mai", "counters": [1, 2]}, headers=h)
    c.call("PATCH", "/users/nobody", json={}, headers=h)
    c.call("PATCH", "/users/chi", json={"active": False}, headers=h)  # own: 409
    c.call("PATCH", "/users/mai", json={"role": "boss"}, headers=h)
    c.call("POST", "/users/mai/password", json={"password": "mat-khau-moi"}, headers=h)
    c.call("POST", "/users/mai/password", json={"password": "short"}, headers=h)
    c.call("POST", "/users/mai/lock", json={}, headers=h)
    c.call("POST", "/users/mai/lock", json={})  # no CSRF token
    c.call("POST", "/users/mai/unlock", json={}, headers=h)
    c.call("POST", "/users/nobody/unlock", json={}, headers=h)
    c.call("GET", "/audit?limit=2")
    c.call("GET", "/audit?from=yesterday")
    c.call("GET", "/audit?site=nowhere")
    c.call("GET", "/audit?actor=admin@chi&action=user.lock&q=mai&from=2026-11-26&to=2026-11-26")
    c.call("DELETE", "/session", headers=h)
    signed = c.call("POST", "/session", json={"username": "hoa", "password": "mat-khau-2026"})
    h = {"X-CSRF-Token": signed.get_json()["csrf_token"]}
    c.call("POST", "/users/mai/lock", json={}, headers=h)  # a supervisor may not: 403
    c.call("POST", "/counters/1/force-close", json={}, headers=h)
    c.call("POST", "/counters/99/force-close", json={}, headers=h)
    c.call("POST", "/counters/1/force-close", clerk1, json={})
    c.call("PUT", "/counters/3/services", json={"services": ["DD", "HT"]}, headers=h)
    c.call("PUT", "/counters/3/services", json={"services": ["ZZ"]}, headers=h)
    c.call("PUT", "/counters/3/services", json={"services": []}, headers=h)
    c.call("PUT", "/counters/3/services", clerk1, json={"services": ["DD"]})
    c.call("POST", "/tickets/by-number/A9999/cancel", json={}, headers=h)
    c.call("GET", "/audit")
    # Device tokens, by an admin; a kiosk is refused. A page's own device.
    for who in (admin, kiosk, None):
        c.call("GET", "/tokens", who)
    c.call("GET", "/tokens?site=nowhere", admin)
    made = c.call("POST", "/tokens", admin, json={"role": "counter", "name": "PC 1", "counter": 1})
    c.call("POST", "/tokens", admin, json={"role": "counter", "name": "PC"})  # 400
    c.call("POST", "/tokens", admin, json={"role": "kiosk", "name": "K", "expires_at": "soon"})
    c.call("POST", "/tokens", admin, json={"role": "clerk", "name": "Q", "counter": 99})  # 404
    c.call("POST", "/tokens", kiosk, json={"role": "kiosk", "name": "K"})  # 403
    made_id = made.get_json()["token"]["id"]
    again_made = c.call("POST", f"/tokens/{made_id}/reissue", admin, json={})
    c.call("POST", "/tokens/999999/reissue", admin, json={})
    for _ in range(2):
        c.call("DELETE", f"/tokens/{again_made.get_json()['token']['id']}", admin)
    c.call("DELETE", "/tokens/999999", admin)
    c.call("DELETE", f"/tokens/{made_id}", kiosk)
    slot = {"X-Motcua-Device": "kiosk"}
    c.call("GET", "/device", kiosk)
    c.call("GET", "/device", None)
    c.call("POST", "/device", None, json={"token": kiosk}, headers=slot)
    c.call("POST", "/device", None, json={"token": "mc_kiosk_nope"}, headers=slot)
    c.call("POST", "/device", None, json={"token": kiosk})  # 400: no slot
    c.call("DELETE", "/device", None, headers=slot)
    c.call("DELETE", "/device", None)

    missing = set(c.ops) - c.seen
    assert not missing, f"routes never exercised: {sorted(missing)}"
    # The drive reached the interesting answers, not only refusals.
    for expected in (("POST", "/api/v1/tickets", 201), ("POST", "/api/v1/tickets", 400),
                     ("POST", "/api/v1/tickets", 401), ("POST", "/api/v1/tickets", 403),
                     ("POST", "/api/v1/counters/{number}/call-next", 200),
                     ("POST", "/api/v1/counters/{number}/complete", 409),
                     ("POST", "/api/v1/counters/{number}/call-next", 404)):  # fmt: skip
        assert expected in c.statuses, expected
