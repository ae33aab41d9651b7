"""Demo accounts: `motcua run` without --config makes an admin, a supervisor and a clerk per
counter, prints their passwords (the same after a restart), and they sign in; a centre's
server started on that database refuses to while any of them can still sign in."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import ServerProcess, centre_text, free_port, motcua

pytestmark = pytest.mark.server

QUIET = {"MOTCUA_VOICE": "0", "MOTCUA_DEMO_DEVICES": "0"}
LINE = re.compile(r"^\s+(demo-[\w-]+) · (\w+) · .+ · mật khẩu / password: (\S+)$", re.M)


def printed(server: ServerProcess) -> dict[str, tuple[str, str]]:
    """username → (role, password) as the start-up output printed them."""
    return {u: (role, pw) for u, role, pw in LINE.findall(server.log.read_text("utf-8"))}


def test_the_demo_prints_accounts_that_sign_in(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", None, QUIET).start(timeout=60)
    try:
        accounts = printed(server)
        assert "Tài khoản demo / demo accounts" in server.log.read_text("utf-8")
        assert accounts["demo-admin"][0] == "admin"
        assert accounts["demo-supervisor"][0] == "supervisor"
        clerks = [u for u, (role, _) in accounts.items() if role == "clerk"]
        assert "demo-clerk-1" in clerks and len(clerks) >= 2
        assert len({pw for _, pw in accounts.values()}) == len(accounts)  # each its own
        body = {"username": "demo-clerk-1", "password": accounts["demo-clerk-1"][1]}
        signed = requests.post(f"{server.url}/api/v1/session", json=body, timeout=10)
        assert signed.status_code == 200, signed.text
        assert signed.json()["counter"] == 1
    finally:
        server.stop()
    again = ServerProcess(tmp_path / "data", None, QUIET, port=None).start(timeout=60)
    again.stop()
    assert printed(again) == accounts  # a restart prints the same passwords


def test_a_centre_refuses_to_start_with_the_demo_accounts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ServerProcess(data, None, QUIET).start(timeout=60).stop()
    centre = tmp_path / "centre.toml"
    centre.write_text(centre_text(), "utf-8")
    run = [sys.executable, "-m", "queue_server.cli", "run", "--config", str(centre),
           "--data-dir", str(data), "--port", str(free_port())]  # fmt: skip
    refused = subprocess.run(run, capture_output=True, text=True, timeout=120,
                             env={**QUIET, "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "tài khoản của bản demo" in refused.stderr and "demo-admin" in refused.stderr
    assert "motcua user lock" in refused.stderr
    # Locked, each of them: the centre starts.
    users = motcua("user", "list", "--data-dir", str(data), cwd=tmp_path)
    for name in re.findall(r"^(demo-\S+)", users.stdout, re.M):
        locked = motcua("user", "lock", name, "--data-dir", str(data), cwd=tmp_path)
        assert locked.returncode == 0, locked.stderr
    ServerProcess(data, centre, QUIET).start(timeout=60).stop()
    # Nobody else may take a demo name.
    taken = subprocess.run(
        [sys.executable, "-m", "queue_server.cli", "user", "create", "--username", "demo-x",
         "--role", "admin", "--password-stdin", "--data-dir", str(data)],
        input="mat-khau-dai-du\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert taken.returncode == 2 and "demo" in taken.stderr
