"""Device tokens managed: last use noted without a write per request, the tokens API
(list, create, revoke, re-issue) and its scope, the counter PC's role, and a page's token
moved out of its URL into a cookie that the API accepts only from our own pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from sqlalchemy import event, select

from queue_server.app import create_app
from queue_server.auth import ALL_SITES, ROLES, create_token, list_tokens
from queue_server.contract import models as m
from queue_server.domain.clock import FakeClock
from queue_server.storage.schema import audit_log, idempotency
from tests.conftest import auth, centre_text, local, make_config, second_site

API = "/api/v1"


def test_the_contract_names_every_role() -> None:
    assert get_args(m.TokenRole) == ROLES
    assert "counter" in ROLES


# -- last use -----------------------------------------------------------------------------------


def _updates_of_tokens(db: Any) -> list[str]:
    """Every UPDATE of the tokens table the app sends from now on."""
    seen: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _watch(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE TOKENS"):
            seen.append(statement)

    return seen


def test_last_use_is_noted_at_most_once_a_minute(app: Any, client: Any, clock: FakeClock) -> None:
    """On SQLite and PostgreSQL: the first use is written, then nothing for a minute however
    many requests come, then the next use with its (new) address."""
    ext = app.extensions["motcua"]
    kiosk = create_token(ext.db, clock, role="kiosk", site="test", name="Kiosk sảnh")
    updates = _updates_of_tokens(ext.db)

    def services(address: str) -> None:
        at = {"REMOTE_ADDR": address}
        resp = client.get(f"{API}/device", headers=auth(kiosk), environ_base=at)
        assert resp.status_code == 200, resp.get_json()

    services("10.0.0.7")
    first = clock.now()
    for _ in range(30):
        clock.advance(seconds=1)
        services("10.0.0.8")
    (row,) = list_tokens(ext.db)
    assert (row.last_used_at, row.last_used_from) == (first, "10.0.0.7")
    assert len(updates) == 1
    clock.advance(seconds=31)
    services("10.0.0.8")
    (row,) = list_tokens(ext.db)
    assert (row.last_used_at, row.last_used_from) == (clock.now(), "10.0.0.8")
    assert len(updates) == 2


# -- the tokens API -----------------------------------------------------------------------------


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[tuple[Any, FakeClock, dict[str, str]]]:
    """Two sites on SQLite; admins of each and of every site, a kiosk of each site."""
    clock = FakeClock(local(2026, 11, 26, 9, 0))
    app = create_app(make_config(tmp_path, centre_text() + second_site()), clock=clock)
    db = app.extensions["motcua"].db
    made = {
        "admin": create_token(db, clock, role="admin", site="test", name="QT"),
        "admin other": create_token(db, clock, role="admin", site="other", name="QT xã"),
        "admin all": create_token(db, clock, role="admin", site=ALL_SITES, name="QT tỉnh"),
        "kiosk": create_token(db, clock, role="kiosk", site="test", name="Kiosk sảnh"),
        "kiosk other": create_token(db, clock, role="kiosk", site="other", name="Kiosk xã"),
    }
    yield app, clock, made
    db.dispose()


def names(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.get_json()
    return [t["name"] for t in resp.get_json()["tokens"]]


def test_an_admin_lists_its_sites_tokens_and_the_every_site_ones(centre: Any) -> None:
    app, _, tok = centre
    client = app.test_client()
    listed = client.get(f"{API}/tokens", headers=auth(tok["admin"]))
    assert names(listed) == ["QT", "QT tỉnh", "Kiosk sảnh"]
    one = listed.get_json()["tokens"][2]
    assert set(one) == {
        "id", "role", "name", "site", "counter", "counters", "created_at", "expires_at",
        "revoked_at", "last_used_at", "last_used_from", "state",
    }  # fmt: skip
    assert one["role"] == "kiosk" and one["state"] == "active" and one["last_used_at"] is None
    assert tok["kiosk"] not in listed.get_data(as_text=True)
    assert names(client.get(f"{API}/tokens", headers=auth(tok["admin other"]))) == [
        "QT xã", "QT tỉnh", "Kiosk xã",
    ]  # fmt: skip
    assert len(names(client.get(f"{API}/tokens", headers=auth(tok["admin all"])))) == 5
    assert names(client.get(f"{API}/tokens?site=other", headers=auth(tok["admin all"]))) == [
        "QT xã", "QT tỉnh", "Kiosk xã",
    ]  # fmt: skip
    assert client.get(f"{API}/tokens?site=other", headers=auth(tok["admin"])).status_code == 403
    assert client.get(f"{API}/tokens", headers=auth(tok["kiosk"])).status_code == 403
    assert client.get(f"{API}/tokens").status_code == 401


def _id(app: Any, name: str) -> int:
    return int(next(r.id for r in list_tokens(app.extensions["motcua"].db) if r.name == name))


def test_revoking_is_at_once_scoped_and_answers_the_first_revocation(centre: Any) -> None:
    app, clock, tok = centre
    client = app.test_client()
    kiosk = _id(app, "Kiosk sảnh")
    issue = lambda: client.post(  # noqa: E731
        f"{API}/tickets", json={"service": "HT"}, headers=auth(tok["kiosk"])
    )
    assert issue().status_code == 201
    for who in ("admin other", "kiosk"):
        resp = client.delete(f"{API}/tokens/{kiosk}", headers=auth(tok[who]))
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden", who
    # A site's admin sees the every-site tokens but may not change them.
    resp = client.delete(f"{API}/tokens/{_id(app, 'QT tỉnh')}", headers=auth(tok["admin"]))
    assert resp.status_code == 403
    assert "mọi điểm phục vụ" in resp.get_json()["error"]["message"]
    assert issue().status_code == 201

    first = client.delete(f"{API}/tokens/{kiosk}", headers=auth(tok["admin"]))
    assert first.status_code == 200, first.get_json()
    body = first.get_json()["token"]
    assert body["state"] == "revoked" and body["revoked_at"].startswith("2026-11-26T02:00:00")
    refused = issue()
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unauthorized"
    clock.advance(minutes=5)
    again = client.delete(f"{API}/tokens/{kiosk}", headers=auth(tok["admin"]))
    assert again.get_json()["token"]["revoked_at"] == body["revoked_at"]
    missing = client.delete(f"{API}/tokens/4242", headers=auth(tok["admin"]))
    assert missing.status_code == 404
    assert missing.get_json()["error"] == {
        "code": "unknown_token", "message": "Không có mã truy cập số 4242.",
        "message_en": "No token with id 4242.",
    }  # fmt: skip
    db = app.extensions["motcua"].db
    with db.read() as conn:
        actions = [(r.action, r.target) for r in conn.execute(select(audit_log))]
    assert actions == [("token.revoke", f"token {kiosk}")]  # once, by whom it may concern


def test_an_admin_creates_a_named_token_shown_once(centre: Any) -> None:
    app, _, tok = centre
    client = app.test_client()
    resp = client.post(
        f"{API}/tokens", json={"role": "kiosk", "name": "Kiosk tầng 2"},
        headers={**auth(tok["admin"]), "Idempotency-Key": "make-1"},
    )  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    made = resp.get_json()
    assert made["token"]["site"] == "test" and made["token"]["name"] == "Kiosk tầng 2"
    secret = made["secret"]
    assert secret.startswith("mc_kiosk_") and made["open_url"].endswith(f"/kiosk?token={secret}")
    issued = client.post(f"{API}/tickets", json={"service": "HT"}, headers=auth(secret))
    assert issued.status_code == 201
    db = app.extensions["motcua"].db
    with db.read() as conn:  # never kept in clear for a replay
        assert not [r for r in conn.execute(select(idempotency)) if secret in r.body]
        assert [r.action for r in conn.execute(select(audit_log))] == ["token.create"]
    # Another site's page and a counter PC's page carry their site and counter.
    other = client.post(
        f"{API}/tokens", json={"role": "counter", "name": "Máy quầy 1", "site": "other",
                               "counter": 1}, headers=auth(tok["admin all"]),
    ).get_json()  # fmt: skip
    assert other["token"]["counter"] == 1
    assert other["open_url"].endswith(f"/login?site=other&token={other['secret']}")
    clerk = client.post(
        f"{API}/tokens", json={"role": "clerk", "name": "Quầy 3", "counter": 3},
        headers=auth(tok["admin"]),
    ).get_json()  # fmt: skip
    assert "/counter/3?token=" in clerk["open_url"]
    agent = client.post(
        f"{API}/tokens", json={"role": "agent", "name": "PC", "counters": [1, 2]},
        headers=auth(tok["admin"]),
    ).get_json()  # fmt: skip
    assert agent["token"]["counters"] == [1, 2] and agent["open_url"] is None


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("admin", {"role": "counter", "name": "PC"}, 400, "token_needs_counter"),
        ("admin", {"role": "counter", "name": "PC", "counter": 9}, 404, "unknown_counter"),
        ("admin", {"role": "kiosk", "name": "K", "counter": 1}, 400, "invalid_field"),
        ("admin", {"role": "kiosk", "name": "K", "counters": [1]}, 400,
         "token_counters_agent_only"),
        ("admin", {"role": "agent", "name": "A", "counters": [1, 9]}, 404, "unknown_counter"),
        ("admin", {"role": "kiosk", "name": "K", "site": "other"}, 403, "forbidden"),
        ("admin", {"role": "kiosk", "name": "K", "site": "nowhere"}, 404, "unknown_site"),
        ("admin", {"role": "admin", "name": "A", "site": "*"}, 403, "forbidden"),
        ("admin all", {"role": "kiosk", "name": "K", "site": "*"}, 400,
         "token_all_sites_admin_only"),
        ("admin", {"role": "kiosk", "name": "K", "expires_at": "2026-11-26T08:00:00+07:00"}, 400,
         "invalid_expiry"),
        ("admin", {"role": "kiosk", "name": "K", "expires_at": "2027-01-31T00:00:00"}, 400,
         "invalid_expiry"),
        ("admin", {"role": "kiosk", "name": ""}, 400, "invalid_field"),
        ("admin", {"role": "root", "name": "R"}, 400, "invalid_field"),
        ("kiosk", {"role": "kiosk", "name": "K"}, 403, "forbidden"),
    ],
)  # fmt: skip
def test_a_token_a_role_cannot_have_is_refused_by_name(
    centre: Any, who: str, body: dict[str, Any], status: int, code: str
) -> None:
    app, _, tok = centre
    resp = app.test_client().post(f"{API}/tokens", json=body, headers=auth(tok[who]))
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"] and error["message_en"]
    assert len(list_tokens(app.extensions["motcua"].db)) == 5  # nothing made


def test_an_expiry_is_kept_and_refuses_the_token_after_it(centre: Any) -> None:
    app, clock, tok = centre
    client = app.test_client()
    made = client.post(
        f"{API}/tokens", headers=auth(tok["admin"]),
        json={"role": "kiosk", "name": "K", "expires_at": "2026-11-26T10:00:00+07:00"},
    ).get_json()  # fmt: skip
    assert made["token"]["expires_at"] == "2026-11-26T03:00:00+00:00"
    clock.advance(hours=1)
    resp = client.get(f"{API}/device", headers=auth(made["secret"]))
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "token_expired"
    listed = client.get(f"{API}/tokens", headers=auth(tok["admin"])).get_json()["tokens"]
    assert listed[-1]["state"] == "expired"


def test_reissue_revokes_and_makes_the_same_kind_with_a_new_secret(centre: Any) -> None:
    app, clock, tok = centre
    client = app.test_client()
    kiosk = _id(app, "Kiosk sảnh")
    assert client.post(f"{API}/tokens/{kiosk}/reissue", json={},
                       headers=auth(tok["admin other"])).status_code == 403  # fmt: skip
    resp = client.post(f"{API}/tokens/{kiosk}/reissue", json={}, headers=auth(tok["admin"]))
    assert resp.status_code == 201, resp.get_json()
    new = resp.get_json()
    assert new["token"]["id"] != kiosk and new["secret"] != tok["kiosk"]
    kept = {k: new["token"][k] for k in ("role", "name", "site", "counter", "counters")}
    assert kept == {"role": "kiosk", "name": "Kiosk sảnh", "site": "test", "counter": None,
                    "counters": None}  # fmt: skip
    assert client.get(f"{API}/device", headers=auth(tok["kiosk"])).status_code == 401
    assert client.get(f"{API}/device", headers=auth(new["secret"])).get_json()["role"] == "kiosk"
    assert client.post(f"{API}/tokens/4242/reissue", json={},
                       headers=auth(tok["admin"])).status_code == 404  # fmt: skip
    # An expired token re-issued works again (its past expiry is not carried over).
    old = client.post(
        f"{API}/tokens", headers=auth(tok["admin"]),
        json={"role": "display", "name": "TV", "expires_at": "2026-11-26T09:30:00+07:00"},
    ).get_json()  # fmt: skip
    clock.advance(hours=1)
    again = client.post(
        f"{API}/tokens/{old['token']['id']}/reissue", json={}, headers=auth(tok["admin"])
    ).get_json()
    assert again["token"]["state"] == "active" and again["token"]["expires_at"] is None


def test_a_counter_pc_says_which_counter_it_is_and_may_do_nothing_else(centre: Any) -> None:
    app, clock, _ = centre
    client = app.test_client()
    pc = create_token(app.extensions["motcua"].db, clock, role="counter", site="test", counter=2,
                      name="Máy quầy 2")  # fmt: skip
    device = client.get(f"{API}/device", headers=auth(pc)).get_json()
    assert device == {"role": "counter", "site": "test", "counter": 2, "name": "Máy quầy 2",
                      "expires_at": None}  # fmt: skip
    for url in ("/counters/2/stats", "/printers", "/devices", "/tokens"):
        assert client.get(f"{API}{url}", headers=auth(pc)).status_code == 403, url
    with pytest.raises(ValueError, match="needs a counter"):
        create_token(app.extensions["motcua"].db, clock, role="counter", site="test")


# -- a page's token: out of its URL, into its own cookie ----------------------------------------


def test_a_page_with_token_in_its_url_moves_it_to_a_cookie_and_redirects(centre: Any) -> None:
    app, _, tok = centre
    client = app.test_client()
    resp = client.get(f"/kiosk?lang=en&token={tok['kiosk']}&x=1&x=2")
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/kiosk?lang=en&x=1&x=2"
    assert resp.headers["Cache-Control"] == "no-store"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith(f"motcua_device.kiosk={tok['kiosk']};")
    for part in ("HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="):
        assert part in cookie, part
    assert "Secure" not in cookie
    page = client.get("/kiosk?lang=en")
    assert page.status_code == 200 and b'data-device="kiosk"' in page.data
    # Each page its own cookie: the console of counter 2 of site other beside the kiosk.
    resp = client.get(f"/counter/1?site=other&token={tok['admin other']}")
    assert resp.headers["Location"] == "/counter/1?site=other"
    assert resp.headers["Set-Cookie"].startswith("motcua_device.counter-1.other=")
    assert b'data-device="counter-1.other"' in client.get("/counter/1?site=other").data
    # The API reads tokens from headers only: no redirect there.
    assert client.get(f"{API}/services?token=x").status_code == 200


def test_secure_cookies_behind_https(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, public_url="https://hcc.example.gov.vn/"))
    try:
        resp = app.test_client().get("/kiosk?token=mc_kiosk_x")
        assert "Secure" in resp.headers["Set-Cookie"]
        plain = app.test_client().get("/kiosk?token=mc_kiosk_x", base_url="https://localhost")
        assert "Secure" in plain.headers["Set-Cookie"]
    finally:
        app.extensions["motcua"].db.dispose()


def test_the_device_cookie_counts_only_with_our_pages_header(centre: Any) -> None:
    """A cross-site form posting to the API sends the cookie but cannot send the header:
    it is not signed in. Our page's fetch names its slot and is."""
    app, _, tok = centre
    client = app.test_client()
    client.get(f"/kiosk?token={tok['kiosk']}")
    ticket = {"service": "HT"}
    forged = client.post(
        f"{API}/tickets", data={"service": "HT"}, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 401 and forged.get_json()["error"]["code"] == "missing_token"
    assert client.post(f"{API}/tickets", json=ticket).status_code == 401
    ours = client.post(f"{API}/tickets", json=ticket, headers={"X-Motcua-Device": "kiosk"})
    assert ours.status_code == 201, ours.get_json()
    # Another page's slot has no cookie here; a made-up slot is none of ours.
    for slot in ("display", "kiosk/../x", "KIOSK", "x" * 200):
        resp = client.post(f"{API}/tickets", json=ticket, headers={"X-Motcua-Device": slot})
        assert resp.status_code == 401, slot
    # A bearer header wins over the cookie (agents, other systems).
    other = client.post(
        f"{API}/tickets?site=other", json=ticket,
        headers={"X-Motcua-Device": "kiosk", **auth(tok["kiosk other"])},
    )  # fmt: skip
    assert other.status_code == 201 and other.get_json()["ticket"]["site"] == "other"


def test_a_typed_code_is_checked_then_kept_in_the_pages_cookie(centre: Any) -> None:
    app, _, tok = centre
    client = app.test_client()
    slot = {"X-Motcua-Device": "counter-1"}
    bad = client.post(f"{API}/device", json={"token": "mc_kiosk_nope"}, headers=slot)
    assert bad.status_code == 401 and "Set-Cookie" not in bad.headers
    assert client.post(f"{API}/device", json={"token": tok["kiosk"]}).status_code == 400
    good = client.post(f"{API}/device", json={"token": f" {tok['kiosk']} "}, headers=slot)
    assert good.status_code == 200 and good.get_json()["role"] == "kiosk"
    assert "HttpOnly" in good.headers["Set-Cookie"]
    assert client.get(f"{API}/device", headers=slot).get_json()["name"] == "Kiosk sảnh"
    out = client.delete(f"{API}/device", headers=slot)
    assert out.status_code == 200
    resp = client.get(f"{API}/device", headers=slot)
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "missing_token"
