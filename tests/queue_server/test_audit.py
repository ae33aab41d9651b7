"""The audit log: every correction and every admin or supervisor action recorded with who,
when, from where, before and after, in the change's own transaction; read with filters and
pages, exported as CSV, never changed or deleted."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from queue_server.audit import PAGE_MAX, AuditEntry, AuditFilter, read_page, record
from queue_server.storage.schema import audit_log
from tests.conftest import STAFF_PASSWORD, auth, local, motcua, sign_in

API = "/api/v1"


def entries(app: Any) -> list[Any]:
    """Every audit row, newest first."""
    rows, _ = read_page(app.extensions["motcua"].db, AuditFilter(), limit=PAGE_MAX)
    return rows


def count(app: Any) -> int:
    with app.extensions["motcua"].db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def person(app: Any, username: str, counter: int | None = None) -> tuple[Any, dict[str, str]]:
    """A new test client signed in as `username`, and its CSRF header."""
    client = app.test_client()
    return client, {"X-CSRF-Token": sign_in(client, username, counter)}


def issue(client: Any, kiosk: str, service: str = "HT") -> dict[str, Any]:
    resp = client.post(f"{API}/tickets", json={"service": service}, headers=auth(kiosk))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["ticket"]  # type: ignore[no-any-return]


def test_corrections_by_a_clerk_are_recorded_with_who_when_where(app, client, staff, token):
    staff("lan", "clerk", counters=[1])
    kiosk = token("kiosk")
    a1, a2, a3 = (issue(client, kiosk) for _ in range(3))
    lan, h = person(app, "lan")
    # a call of a specific number
    called = lan.post(f"{API}/counters/1/call", json={"ticket": "3"}, headers=h)
    assert called.status_code == 200, called.get_json()
    # not there: no-show, then returned by number, then transferred
    assert lan.post(f"{API}/counters/1/no-show", json={}, headers=h).status_code == 200
    back = lan.post(f"{API}/tickets/by-number/{a3['number']}/return", json={}, headers=h)
    assert back.status_code == 200
    assert (
        lan.post(f"{API}/counters/1/call", json={"ticket": a1["number"]}, headers=h).status_code
        == 200
    )
    moved = lan.post(f"{API}/counters/1/transfer", json={"service": "CT"}, headers=h)
    assert moved.status_code == 200
    # cancelled by id and by number
    assert lan.post(f"{API}/tickets/{a2['id']}/cancel", json={}, headers=h).status_code == 200
    assert (
        lan.post(f"{API}/tickets/by-number/{a3['number']}/cancel", json={}, headers=h).status_code
        == 200
    )

    rows = list(reversed(entries(app)))
    assert [r.action for r in rows] == [
        "ticket.call", "ticket.return", "ticket.call", "ticket.transfer", "ticket.cancel",
        "ticket.cancel",
    ]  # fmt: skip
    first = rows[0]
    assert first.actor == "clerk@lan" and first.role == "clerk"
    assert first.address == "127.0.0.1" and first.site == "test"
    assert first.at == local(2026, 11, 26, 9, 0)
    assert first.target == "ticket A0003"
    assert first.before == {"number": "A0003", "service": "HT", "status": "waiting",
                            "counter": None}  # fmt: skip
    assert first.after["status"] == "called" and first.after["counter"] == 1
    assert rows[1].before["status"] == "no_show" and rows[1].after["status"] == "waiting"
    assert rows[3].before["service"] == "HT" and rows[3].after["service"] == "CT"
    assert rows[4].target == f"ticket {a2['number']}" and rows[4].after["status"] == "cancelled"


def test_a_clerks_own_work_is_not_audited_an_admins_is(app, client, staff, token):
    staff("lan", "clerk", counters=[1])
    kiosk, admin = token("kiosk"), token("admin")
    issue(client, kiosk)
    lan, h = person(app, "lan")
    for action in ("open", "call-next", "start", "complete", "pause", "resume", "close"):
        assert lan.post(f"{API}/counters/1/{action}", json={}, headers=h).status_code == 200
    assert count(app) == 0  # the ticket and counter logs hold a clerk's own day
    issue(client, kiosk)
    for action in ("open", "call-next", "recall", "start", "complete", "pause", "close"):
        resp = client.post(f"{API}/counters/2/{action}", json={}, headers=auth(admin))
        assert resp.status_code == 200, (action, resp.get_json())
    rows = list(reversed(entries(app)))
    assert [r.action for r in rows] == [
        "counter.open", "ticket.call_next", "ticket.recall", "ticket.start", "ticket.complete",
        "counter.pause", "counter.close",
    ]  # fmt: skip
    assert all(r.role == "admin" and r.actor.startswith("admin#") for r in rows)
    assert rows[0].target == "counter 2"
    assert rows[0].before == {"state": "closed"} and rows[0].after == {"state": "open"}
    assert rows[1].target == "counter 2" and rows[1].after["number"] == "A0002"


def test_a_failing_change_writes_no_row_and_a_failing_row_undoes_the_change(
    app, client, token, monkeypatch
):
    kiosk, admin = token("kiosk"), token("admin")
    ticket = issue(client, kiosk)
    cancel = f"{API}/tickets/{ticket['id']}/cancel"
    assert client.post(cancel, json={}, headers=auth(admin)).status_code == 200
    again = client.post(cancel, json={}, headers=auth(admin))
    assert again.status_code == 409  # already cancelled
    assert count(app) == 1

    other = issue(client, kiosk)

    def broken(self: AuditEntry, conn: Any, at: Any) -> None:
        raise RuntimeError("the audit row could not be written")

    monkeypatch.setattr(AuditEntry, "write", broken)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    failed = client.post(f"{API}/tickets/{other['id']}/cancel", json={}, headers=auth(admin))
    assert failed.status_code == 500
    status = client.get(f"{API}/tickets/{other['id']}").get_json()["ticket"]["status"]
    assert status == "waiting"  # not cancelled without its record
    closing = client.post(f"{API}/counters/3/open", json={}, headers=auth(admin))
    assert closing.status_code == 500
    snap = client.get(f"{API}/queue").get_json()
    assert {c["number"]: c["state"] for c in snap["counters"]}[3] == "closed"
    assert count(app) == 1


def test_users_api_changes_are_audited_without_passwords(app, staff):
    staff("chi", "admin", name="Trần Thị Chi")
    admin, h = person(app, "chi")
    made = admin.post(
        f"{API}/users",
        json={"username": "lan", "name": "Nguyễn Thị Lan", "role": "clerk", "counters": [1, 2],
              "password": "mot-mat-khau-bi-mat"},
        headers=h,
    )  # fmt: skip
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["user"] == {
        "username": "lan", "name": "Nguyễn Thị Lan", "role": "clerk", "site": "test",
        "counters": [1, 2], "state": "active", "failed_logins": 0,
    }  # fmt: skip
    changed = admin.patch(
        f"{API}/users/lan", json={"name": "Nguyễn Thị Lan Anh", "counters": [3]}, headers=h
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["user"]["counters"] == [3]
    reset = admin.post(
        f"{API}/users/lan/password", json={"password": "mat-khau-moi-2026"}, headers=h
    )
    assert reset.status_code == 200
    assert (
        admin.post(f"{API}/users/lan/lock", json={}, headers=h).get_json()["user"]["state"]
        == "locked"
    )
    assert (
        admin.post(f"{API}/users/lan/unlock", json={}, headers=h).get_json()["user"]["state"]
        == "active"
    )
    off = admin.patch(f"{API}/users/lan", json={"active": False}, headers=h)
    assert off.get_json()["user"]["state"] == "inactive"

    rows = list(reversed(entries(app)))
    assert [r.action for r in rows] == [
        "user.create", "user.update", "user.password", "user.lock", "user.unlock", "user.update",
    ]  # fmt: skip
    assert all(r.target == "user lan" and r.actor == "admin@chi" for r in rows)
    assert rows[0].before is None and rows[0].after["counters"] == [1, 2]
    # only what changed
    assert rows[1].before == {"name": "Nguyễn Thị Lan", "counters": [1, 2]}
    assert rows[1].after == {"name": "Nguyễn Thị Lan Anh", "counters": [3]}
    assert rows[3].before["locked"] is False and rows[3].after["locked"] is True
    assert rows[5].after == {"active": False}
    everything = repr([(r.before, r.after) for r in rows]) + str(made.get_data(as_text=True))
    assert "mot-mat-khau-bi-mat" not in everything and "mat-khau-moi-2026" not in everything
    assert "argon2" not in everything
    listed = admin.get(f"{API}/users").get_data(as_text=True)
    assert "password" not in listed and "argon2" not in listed


def test_users_api_permissions(app, client, staff, token):
    staff("chi", "admin")
    staff("hoa", "supervisor")
    staff("lan", "clerk", counters=[1])
    admin, ah = person(app, "chi")
    sup, sh = person(app, "hoa")
    clerk, ch = person(app, "lan")
    body = {"username": "moi", "role": "clerk", "password": "mat-khau-2026"}
    # a clerk: nothing
    assert clerk.get(f"{API}/users").status_code == 403
    assert clerk.post(f"{API}/users", json=body, headers=ch).status_code == 403
    assert clerk.post(f"{API}/users/lan/unlock", json={}, headers=ch).status_code == 403
    # tokens, even an admin's: not a person
    for tok in (token("admin"), token("kiosk"), token("clerk", counter=1)):
        resp = client.get(f"{API}/users", headers=auth(tok))
        assert resp.status_code == 403
    assert (
        client.get(f"{API}/users", headers=auth(token("admin"))).get_json()["error"]["code"]
        == "forbidden"
    )
    # a supervisor lists and unlocks, nothing else
    assert sup.get(f"{API}/users").status_code == 200
    assert sup.post(f"{API}/users", json=body, headers=sh).status_code == 403
    assert sup.patch(f"{API}/users/lan", json={"name": "x"}, headers=sh).status_code == 403
    assert sup.post(f"{API}/users/lan/lock", json={}, headers=sh).status_code == 403
    assert (
        sup.post(f"{API}/users/lan/password", json={"password": "12345678"}, headers=sh)
        .status_code == 403
    )  # fmt: skip
    for _ in range(20):
        client.post(f"{API}/session", json={"username": "lan", "password": "sai"})
    assert (
        client.post(
            f"{API}/session", json={"username": "lan", "password": STAFF_PASSWORD}
        ).get_json()["error"]["code"]
        == "account_locked"
    )
    unlocked = sup.post(f"{API}/users/lan/unlock", json={}, headers=sh)
    assert unlocked.status_code == 200 and unlocked.get_json()["user"]["state"] == "active"
    assert entries(app)[0].action == "user.unlock" and entries(app)[0].actor == "supervisor@hoa"
    assert sign_in(app.test_client(), "lan")
    # an admin does everything; bad input is a 4xx naming it
    assert admin.post(f"{API}/users", json=body, headers=ah).status_code == 201
    cases = [
        ({**body, "username": "moi"}, 409, "username_taken"),
        ({**body, "username": "co khoang"}, 400, "invalid_username"),
        ({**body, "username": "ngan", "password": "ngan"}, 400, "invalid_password"),
        ({**body, "username": "gs", "role": "supervisor", "counters": [1]}, 400,
         "invalid_user_counters"),
        ({**body, "username": "q9", "counters": [9]}, 404, "unknown_counter"),
        ({**body, "username": "xa", "site": "nowhere"}, 404, "unknown_site"),
        ({**body, "username": "all", "site": "*"}, 400, "all_sites_admin_only"),
        ({**body, "username": "all", "role": "admin", "site": "*"}, 403, "forbidden"),
        ({**body, "role": "boss"}, 400, "invalid_field"),
    ]  # fmt: skip
    for sent, status, code in cases:
        resp = admin.post(f"{API}/users", json=sent, headers=ah)
        assert (resp.status_code, resp.get_json()["error"]["code"]) == (status, code), sent
    assert admin.patch(f"{API}/users/nobody", json={}, headers=ah).status_code == 404
    own = admin.patch(f"{API}/users/chi", json={"role": "clerk"}, headers=ah)
    assert own.status_code == 409 and own.get_json()["error"]["code"] == "own_account"
    assert admin.post(f"{API}/users/chi/lock", json={}, headers=ah).status_code == 409
    # no CSRF token, no change
    assert admin.post(f"{API}/users/lan/lock", json={}).status_code == 403


def test_site_admins_and_supervisors_see_their_site_only(tmp_path, clock, db):
    from queue_server.accounts import create_user
    from queue_server.app import create_app
    from tests.conftest import centre_text, make_config, second_site

    app = create_app(make_config(tmp_path, centre_text() + second_site()), clock=clock, db=db)
    ext = app.extensions["motcua"]
    for username, role, site in (("chi", "admin", "test"), ("hoa", "supervisor", "test"),
                                 ("xa", "clerk", "other"), ("boss", "admin", "*")):  # fmt: skip
        create_user(ext.db, clock, username=username, password=STAFF_PASSWORD, role=role,
                    site=site)  # fmt: skip
    admin, ah = person(app, "chi")
    names = {u["username"] for u in admin.get(f"{API}/users").get_json()["users"]}
    assert names == {"chi", "hoa", "boss"}
    assert admin.post(f"{API}/users/xa/lock", json={}, headers=ah).status_code == 403
    sup, sh = person(app, "hoa")
    assert sup.post(f"{API}/users/xa/unlock", json={}, headers=sh).status_code == 403
    boss, bh = person(app, "boss")
    assert boss.post(f"{API}/users/xa/lock", json={}, headers=bh).status_code == 200
    # the audit log: the site's rows for its admin and supervisor, every site for boss
    record(ext.db, clock.now(), actor="admin@boss", role="admin", address="10.0.0.9",
           site="test", action="config.change", target="site test")  # fmt: skip
    assert [e["target"] for e in admin.get(f"{API}/audit").get_json()["entries"]] == ["site test"]
    assert [e["target"] for e in sup.get(f"{API}/audit").get_json()["entries"]] == ["site test"]
    assert admin.get(f"{API}/audit?site=other").status_code == 403
    every = boss.get(f"{API}/audit").get_json()["entries"]
    assert [e["target"] for e in every] == ["site test", "user xa"]
    only = boss.get(f"{API}/audit?site=other").get_json()["entries"]
    assert [e["target"] for e in only] == ["user xa"]


def _fill(app: Any, n: int) -> None:
    ext = app.extensions["motcua"]
    clock = ext.desk.clock
    for i in range(n):
        record(
            ext.db, clock.now(), actor=f"admin@a{i % 3}", role="admin", address="10.0.0.1",
            site="test", action="ticket.cancel" if i % 2 else "user.lock", target=f"ticket A{i:03}",
            before={"status": "waiting"}, after={"status": "cancelled"},
        )  # fmt: skip


def test_filters_and_paging(app, client, token, clock):
    admin = token("admin")
    clock.set(local(2026, 11, 25, 23, 30))  # the day before, late
    _fill(app, 1)
    clock.set(local(2026, 11, 26, 0, 10))  # just after midnight, local time
    _fill(app, 11)

    def get(query: str) -> Any:
        resp = client.get(f"{API}/audit{query}", headers=auth(admin))
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    assert len(get("")["entries"]) == 12
    assert len(get("?from=2026-11-26")["entries"]) == 11  # days are the site's local days
    assert len(get("?to=2026-11-25")["entries"]) == 1
    assert len(get("?from=2026-11-26&to=2026-11-26&actor=admin@a1")["entries"]) == 4
    assert {e["action"] for e in get("?action=user.lock")["entries"]} == {"user.lock"}
    assert [e["target"] for e in get("?q=A01")["entries"]] == ["ticket A010"]
    assert [e["target"] for e in get("?q=01")["entries"]] == ["ticket A010", "ticket A001"]
    assert get("?q=%25")["entries"] == []  # % is literal, not a wildcard
    first = get("?limit=5")
    assert len(first["entries"]) == 5 and first["next_before_id"] == first["entries"][-1]["id"]
    second = get(f"?limit=5&before_id={first['next_before_id']}")
    third = get(f"?limit=5&before_id={second['next_before_id']}")
    ids = [e["id"] for page in (first, second, third) for e in page["entries"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 12
    assert third["next_before_id"] is None
    entry = first["entries"][0]
    assert entry["at"] == "2026-11-26T00:10:00+07:00"
    assert entry["action_label"] in ("Hủy số", "Khóa tài khoản")
    assert entry["before"] == {"status": "waiting"}
    for bad, code in (("?from=26/11/2026", "invalid_date"), ("?limit=501", "invalid_query"),
                      ("?limit=0", "invalid_query"), ("?before_id=x", "invalid_query"),
                      ("?to=2026-13-01", "invalid_date")):  # fmt: skip
        resp = client.get(f"{API}/audit{bad}", headers=auth(admin))
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == code, bad
    assert client.get(f"{API}/audit?site=nowhere", headers=auth(admin)).status_code == 404
    for role in ("kiosk", "display", "agent"):
        assert client.get(f"{API}/audit", headers=auth(token(role))).status_code == 403
    assert client.get(f"{API}/audit", headers=auth(token("clerk", counter=1))).status_code == 403
    assert client.get(f"{API}/audit").status_code == 401


def test_csv_export_has_a_bom_vietnamese_headers_and_survives_awkward_text(app, client, token):
    admin = token("admin")
    ext = app.extensions["motcua"]
    awkward = 'Nguyễn "Lan", dòng 1\ndòng 2; =1+1'
    record(ext.db, ext.desk.clock.now(), actor="admin@chi", role="admin", address="10.0.0.1",
           site="test", action="user.update", target="user lan",
           before={"name": "Lan"}, after={"name": awkward})  # fmt: skip
    record(ext.db, ext.desk.clock.now(), actor="admin@chi", role="admin", address="10.0.0.1",
           site="test", action="config.change", target="=HYPERLINK(\"http://x\")")  # fmt: skip
    resp = client.get(f"{API}/audit.csv?from=2026-11-26", headers=auth(admin))
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in resp.headers["Content-Disposition"]
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Mã", "Thời gian", "Điểm phục vụ", "Người thực hiện", "Vai trò"]
    assert rows[1][1] == "2026-11-26 09:00:00" and rows[1][6] == "Sửa tài khoản"
    assert rows[1][8] == "user lan" and json.loads(rows[1][10]) == {"name": awkward}
    assert rows[2][8] == '\'=HYPERLINK("http://x")'  # never a formula in Excel
    assert len(rows) == 3
    assert client.get(f"{API}/audit.csv").status_code == 401


def test_no_route_changes_or_deletes_the_audit_log(app, client, token, staff):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    admin = token("admin")
    _fill(app, 3)
    before = count(app)
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for path in ("/audit", "/audit/1", "/audit.csv"):
            resp = client.open(f"{API}{path}", method=method, headers=auth(admin), json={})
            assert resp.status_code in (404, 405), (method, path)
    assert count(app) == before
    # and it only grows: an action adds one row, the old ones stay as they were
    old = entries(app)
    ticket = issue(client, token("kiosk"))
    client.post(f"{API}/tickets/{ticket['id']}/cancel", json={}, headers=auth(admin))
    new = entries(app)
    assert len(new) == before + 1 and new[1:] == old


def test_motcua_audit_export(tmp_path):
    from queue_server.config import load_config
    from queue_server.storage.database import Database
    from tests.conftest import centre_text, local

    centre = tmp_path / "centre.toml"
    centre.write_text(centre_text(), "utf-8")
    data = tmp_path / "data"
    config = load_config(str(centre), overrides={"data_dir": str(data)})
    data.mkdir()
    db = Database(config.server.resolved_database_url)
    db.migrate()
    record(db, local(2026, 11, 26, 10, 0), actor="admin@chi", role="admin", address="10.0.0.1",
           site="test", action="ticket.cancel", target="ticket A004",
           before={"status": "waiting"}, after={"status": "cancelled"})  # fmt: skip
    record(db, local(2026, 11, 20, 10, 0), actor="admin@chi", role="admin", address="10.0.0.1",
           site="test", action="user.lock", target="user lan")  # fmt: skip
    db.dispose()
    out = tmp_path / "audit.csv"
    where = ("--config", str(centre), "--data-dir", str(data))
    done = motcua("audit", "export", "--from", "2026-11-26", "--to", "2026-11-26", "--output",
                  str(out), *where, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][6] == "Hủy số" and rows[1][1] == "2026-11-26 10:00:00"
    every = motcua("audit", "export", "--config", str(centre), "--data-dir", str(data),
                   cwd=tmp_path)  # fmt: skip
    assert every.returncode == 0 and every.stdout.count("\n") == 3
    bad = motcua("audit", "export", "--from", "hôm qua", "--config", str(centre), "--data-dir",
                 str(data), cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2 and "--from" in bad.stderr


@pytest.mark.parametrize("action", ["token.create", "config.change"])
def test_audit_request_is_one_line_for_others(app, staff, action):
    from queue_server.web.auditing import audit_request

    staff("chi", "admin")
    client, _ = person(app, "chi")
    with app.test_request_context(
        "/api/v1/x", method="GET", headers={"Cookie": client.get_cookie("motcua_session").key
                                            + "=" + client.get_cookie("motcua_session").value},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    ):  # fmt: skip
        audit_request(action, "token 7", None, {"name": "Kiosk sảnh"})
    row = entries(app)[0]
    assert (row.action, row.actor, row.role, row.address, row.site, row.target) == (
        action, "admin@chi", "admin", "10.1.2.3", "test", "token 7",
    )  # fmt: skip
    assert row.after == {"name": "Kiosk sảnh"} and row.before is None


def test_account_changes_from_the_command_line_are_audited(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import centre_text

    centre = tmp_path / "centre.toml"
    centre.write_text(centre_text(), "utf-8")
    where = ("--config", str(centre), "--data-dir", str(tmp_path / "data"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "queue_server.cli", *args, *where], input=stdin, text=True,
            capture_output=True, env=env, timeout=120,
        )  # fmt: skip

    made = run("user", "create", "--username", "lan", "--role", "clerk", "--counter", "1",
               "--password-stdin", stdin="mat-khau-bi-mat\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert run("user", "lock", "lan").returncode == 0
    assert (
        run("user", "passwd", "lan", "--password-stdin", stdin="mat-khau-moi-9\n").returncode == 0
    )
    out = run("audit", "export")
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout.lstrip("\ufeff"))))
    assert [(r[7], r[8], r[4], r[5]) for r in rows[1:]] == [
        ("user.create", "user lan", "cli", "local"),
        ("user.lock", "user lan", "cli", "local"),
        ("user.password", "user lan", "cli", "local"),
    ]
    assert all(r[3].startswith("cli@") for r in rows[1:])
    assert "mat-khau" not in out.stdout
