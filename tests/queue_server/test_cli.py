"""The `motcua` command line, run for real in subprocesses."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from queue_server import __version__
from queue_server.app import create_app
from queue_server.config import load_config
from tests.conftest import auth, centre_text, motcua, second_site

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "centre.toml"


def test_version(tmp_path):
    out = motcua("--version", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"motcua {__version__}"


def test_console_script_is_installed(tmp_path):
    script = Path(sys.executable).with_name("motcua")
    assert script.exists()
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and __version__ in out.stdout


def test_help(tmp_path):
    out = motcua("--help", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for word in ("run", "token", "config", "--version"):
        assert word in out.stdout
    out = motcua("token", "create", "--help", cwd=tmp_path)
    assert out.returncode == 0
    for word in ("--role", "--counter", "--name", "--config", "--data-dir", "kiosk", "clerk"):
        assert word in out.stdout, word
    out = motcua("run", "--help", cwd=tmp_path)
    assert out.returncode == 0
    for word in ("--config", "--host", "--port", "--data-dir"):
        assert word in out.stdout, word


def test_no_command_is_a_usage_error(tmp_path):
    out = motcua(cwd=tmp_path)
    assert out.returncode == 2
    assert "usage" in out.stderr.lower()


def test_config_check_good_files(tmp_path):
    out = motcua("config", "check", str(EXAMPLE), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["ok"] is True
    assert summary["sites"][0]["site"] == "ben-thanh"
    assert summary["sites"][0]["services"] >= 5 and summary["sites"][0]["counters"] >= 5

    mine = tmp_path / "centre.toml"
    mine.write_text(centre_text(), encoding="utf-8")
    out = motcua("config", "check", str(mine), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["sites"] == [{"site": "test", "services": 5, "counters": 4}]


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (
            centre_text().replace('prefix = "B"', 'prefix = "b"'),
            "sites[0].services[1].prefix",
            "capital letters",
        ),
        (
            centre_text().replace('services = ["DD"]', 'services = ["ZZ"]'),
            "sites[0].counters[2].services",
            "unknown service",
        ),
        ("[server]\nasync_mode = 'asyncio'\n" + centre_text(), "server.async_mode", "threading"),
        ('[[sites]]\ncode = "x\n', "", "not valid TOML"),
    ],
    ids=["bad-prefix", "unknown-service", "async-mode", "invalid-toml"],
)
def test_config_check_bad_file(tmp_path, text, key, problem):
    path = tmp_path / "xấu.toml"
    path.write_text(text, encoding="utf-8")
    out = motcua("config", "check", str(path), cwd=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stdout == ""
    assert str(path) in out.stderr
    assert key in out.stderr and problem in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) <= 3  # one clear message, not a dump


def test_config_check_missing_file(tmp_path):
    missing = tmp_path / "nowhere.toml"
    out = motcua("config", "check", str(missing), cwd=tmp_path)
    assert out.returncode == 2
    assert str(missing) in out.stderr and "Traceback" not in out.stderr


def test_token_create_works_and_is_stored_hashed(tmp_path):
    data = tmp_path / "data"
    out = motcua(
        "token",
        "create",
        "--role",
        "clerk",
        "--counter",
        "1",
        "--data-dir",
        str(data),
        "--name",
        "Chị Lan",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    token = lines[-1].strip()
    assert token and " " not in token and len(token) >= 24
    assert "Traceback" not in out.stderr

    # Stored hashed: the plaintext is in no file of the data dir, the SHA-256 is.
    blobs = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    assert (data / "motcua.db").exists()
    assert token.encode() not in blobs
    assert hashlib.sha256(token.encode()).hexdigest().encode() in blobs

    # It works against an app over the same data dir: counter 1 yes, counter 2 no.
    app = create_app(load_config(None, overrides={"data_dir": str(data)}, environ={}))
    try:
        client = app.test_client()
        kiosk = motcua("token", "create", "--role", "kiosk", "--data-dir", str(data), cwd=tmp_path)
        assert kiosk.returncode == 0, kiosk.stderr
        kiosk_token = kiosk.stdout.strip().splitlines()[-1]
        issued = client.post("/api/v1/tickets", json={"service": "HT"}, headers=auth(kiosk_token))
        assert issued.status_code == 201, issued.get_data(as_text=True)
        resp = client.post("/api/v1/counters/1/call-next", headers=auth(token))
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.get_json()["ticket"]["id"] == issued.get_json()["ticket"]["id"]
        resp = client.post("/api/v1/counters/2/call-next", headers=auth(token))
        assert resp.status_code == 403
        assert resp.get_json()["error"]["code"] == "forbidden"
        # Kiosk tokens cannot call, clerk tokens cannot issue.
        assert (
            client.post("/api/v1/counters/1/recall", headers=auth(kiosk_token)).status_code == 403
        )
        resp = client.post("/api/v1/tickets", json={"service": "HT"}, headers=auth(token))
        assert resp.status_code == 403
    finally:
        app.extensions["motcua"].db.dispose()


def test_each_token_is_new(tmp_path):
    data = tmp_path / "data"
    tokens = set()
    for _ in range(2):
        out = motcua("token", "create", "--role", "admin", "--data-dir", str(data), cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        tokens.add(out.stdout.strip().splitlines()[-1])
    assert len(tokens) == 2


def test_token_data_dir_from_environment(tmp_path):
    data = tmp_path / "env-data"
    out = motcua(
        "token", "create", "--role", "display", cwd=tmp_path, env={"MOTCUA_DATA_DIR": str(data)}
    )
    assert out.returncode == 0, out.stderr
    assert (data / "motcua.db").exists()
    assert not (tmp_path / "motcua-data").exists()


def test_token_with_a_config_file(tmp_path):
    path = tmp_path / "centre.toml"
    path.write_text(centre_text(), encoding="utf-8")
    out = motcua(
        "token",
        "create",
        "--role",
        "clerk",
        "--counter",
        "4",
        "--config",
        str(path),
        "--data-dir",
        str(tmp_path / "d"),
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    # Counter 10 exists in the demo centre but not in this file.
    out = motcua(
        "token",
        "create",
        "--role",
        "clerk",
        "--counter",
        "10",
        "--config",
        str(path),
        "--data-dir",
        str(tmp_path / "d"),
        cwd=tmp_path,
    )
    assert out.returncode == 2
    assert "10" in out.stderr and "Traceback" not in out.stderr


def test_clerk_token_needs_a_counter(tmp_path):
    data = tmp_path / "data"
    out = motcua("token", "create", "--role", "clerk", "--data-dir", str(data), cwd=tmp_path)
    assert out.returncode == 2
    assert "--counter" in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""
    out = motcua(
        "token",
        "create",
        "--role",
        "clerk",
        "--counter",
        "99",
        "--data-dir",
        str(data),
        cwd=tmp_path,
    )
    assert out.returncode == 2
    assert "99" in out.stderr and "Traceback" not in out.stderr


def test_unknown_role_is_an_argparse_error(tmp_path):
    out = motcua(
        "token", "create", "--role", "superuser", "--data-dir", str(tmp_path / "d"), cwd=tmp_path
    )
    assert out.returncode == 2
    assert "invalid choice" in out.stderr and "superuser" in out.stderr
    assert "usage" in out.stderr.lower()
    assert not (tmp_path / "d").exists()  # nothing created


def test_token_with_bad_config_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(centre_text().replace("number = 4", "number = 3"), encoding="utf-8")
    out = motcua(
        "token",
        "create",
        "--role",
        "kiosk",
        "--config",
        str(path),
        "--data-dir",
        str(tmp_path / "d"),
        cwd=tmp_path,
    )
    assert out.returncode == 2
    assert str(path) in out.stderr and "sites[0].counters[3].number" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_site(tmp_path):
    out = motcua(
        "token",
        "create",
        "--role",
        "kiosk",
        "--site",
        "nowhere",
        "--data-dir",
        str(tmp_path / "d"),
        cwd=tmp_path,
    )
    assert out.returncode == 2
    assert "nowhere" in out.stderr and "Traceback" not in out.stderr


# -- token scope and life: list, revoke, --counters, --all-sites, --expires ------------------

TWO_SITES = centre_text() + second_site("xa", "Điểm phục vụ xã")


def _tokens(tmp_path: Path) -> tuple[Path, Path]:
    path = tmp_path / "centre.toml"
    path.write_text(TWO_SITES, encoding="utf-8")
    return path, tmp_path / "d"


def _token(config: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return motcua("token", *args, "--config", str(config), "--data-dir", str(data), cwd=data.parent)


def test_token_help_names_scope_and_life(tmp_path):
    out = motcua("token", "create", "--help", cwd=tmp_path)
    text = " ".join(out.stdout.split())
    for words in ("--counters", "1-6", "every counter of its site", "--all-sites", "--expires"):
        assert words in text, words
    for command in ("list", "revoke"):
        out = motcua("token", command, "--help", cwd=tmp_path)
        assert out.returncode == 0 and "--data-dir" in out.stdout, command


def test_token_list_shows_everything_but_the_token(tmp_path):
    config, data = _tokens(tmp_path)
    made = [
        _token(config, data, "create", "--role", "clerk", "--counter", "2", "--name", "Chị Lan"),
        _token(config, data, "create", "--role", "agent", "--counters", "1-3,4", "--name", "PC"),
        _token(config, data, "create", "--role", "agent", "--name", "PC 2"),
        _token(config, data, "create", "--role", "admin", "--all-sites", "--expires", "30d"),
        _token(config, data, "create", "--role", "kiosk", "--site", "xa", "--expires",
               "2099-01-31"),
    ]  # fmt: skip
    assert all(m.returncode == 0 for m in made), [m.stderr for m in made]
    assert made[1].stdout.splitlines()[0] == "role=agent site=test counters=1-4"
    assert made[3].stdout.startswith("role=admin site=all expires=")
    assert "expires=2099-01-31T00:00:00+07:00" in made[4].stdout
    secrets = [m.stdout.strip().splitlines()[-1] for m in made]

    out = _token(config, data, "list")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].split() == [
        "id", "role", "site", "counter(s)", "name", "created", "expires", "revoked",
        "last-used", "from", "state",
    ]  # fmt: skip
    rows = [line.split() for line in lines[1:]]
    assert [r[:4] for r in rows] == [
        ["1", "clerk", "test", "2"],
        ["2", "agent", "test", "1-4"],
        ["3", "agent", "test", "all"],
        ["4", "admin", "all", "-"],
        ["5", "kiosk", "xa", "-"],
    ]
    # Never used yet: no last use, no address; every one active.
    assert "Chị Lan" in lines[1] and lines[5].split()[-5:] == ["00:00", "-", "-", "-", "active"]
    assert "2099-01-31 00:00" in lines[5]
    for secret in secrets:
        assert secret not in out.stdout
        assert hashlib.sha256(secret.encode()).hexdigest() not in out.stdout

    only = _token(config, data, "list", "--site", "xa").stdout.strip().splitlines()
    assert [line.split()[0] for line in only[1:]] == ["4", "5"]  # all-sites ones too
    assert _token(config, data, "list", "--site", "nowhere").returncode == 2


def test_token_revoke_takes_effect_at_once(tmp_path):
    config, data = _tokens(tmp_path)
    kiosk = _token(config, data, "create", "--role", "kiosk").stdout.strip().splitlines()[-1]
    app = create_app(load_config(str(config), overrides={"data_dir": str(data)}, environ={}))
    try:
        client = app.test_client()

        def issue() -> int:
            resp = client.post("/api/v1/tickets", json={"service": "HT"}, headers=auth(kiosk))
            return int(resp.status_code)

        assert issue() == 201
        out = _token(config, data, "revoke", "1")
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("token 1 revoked at ")
        assert issue() == 401  # the very next request, in this other process
        first = out.stdout
        assert _token(config, data, "revoke", "1").stdout == first  # the first time is kept
        listed = _token(config, data, "list").stdout.strip().splitlines()[1].split()
        # ... expires, revoked (date time), last used (date time, by the issue above), from, state
        assert listed[-7] == "-" and listed[-6] == first.split()[4][:10]
        assert listed[-4] == listed[-6] and listed[-2:] == ["127.0.0.1", "revoked"]
    finally:
        app.extensions["motcua"].db.dispose()
    out = _token(config, data, "revoke", "42")
    assert out.returncode == 1
    assert "no token with id 42" in out.stderr and "Traceback" not in out.stderr


def test_agent_counters_and_all_sites_admin_work_against_the_app(tmp_path):
    config, data = _tokens(tmp_path)

    def make(*args: str) -> str:
        out = _token(config, data, "create", *args)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip().splitlines()[-1]

    agent, admin, all_sites = (
        make("--role", "agent", "--counters", "2-3"),
        make("--role", "admin"),
        make("--role", "admin", "--all-sites"),
    )
    app = create_app(load_config(str(config), overrides={"data_dir": str(data)}, environ={}))
    try:
        client = app.test_client()

        def pause(token: str, url: str) -> int:
            return int(client.post(f"/api/v1/counters/{url}", headers=auth(token)).status_code)

        assert [pause(agent, f"{n}/pause") for n in (1, 2, 3, 4)] == [403, 200, 200, 403]
        assert pause(admin, "1/pause?site=test") == 200
        assert pause(admin, "1/pause?site=xa") == 403
        assert pause(all_sites, "1/pause?site=xa") == 200
    finally:
        app.extensions["motcua"].db.dispose()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--role", "agent", "--counters", "1-x"), "--counters"),
        (("--role", "agent", "--counters", "3,9"), "no counter 9"),
        (("--role", "agent", "--counters", "5-6"), "no counter 5, 6"),
        (("--role", "agent", "--counters", "4-2"), "--counters"),
        (("--role", "clerk", "--counter", "1", "--counters", "1"), "agent tokens"),
        (("--role", "kiosk", "--all-sites"), "admin tokens"),
        (("--role", "kiosk", "--expires", "soon"), "--expires"),
        (("--role", "kiosk", "--expires", "2001-01-01"), "already past"),
    ],
)
def test_token_create_refuses_a_bad_scope_or_expiry(tmp_path, args, said):
    config, data = _tokens(tmp_path)
    out = _token(config, data, "create", *args)
    assert out.returncode == 2 and out.stdout == ""
    assert said in out.stderr and "Traceback" not in out.stderr
