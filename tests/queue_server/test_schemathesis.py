"""Schemathesis against a real server process: generated and mutated requests on every
operation of the served OpenAPI document, with a kiosk, a clerk and an admin token.

No answer may be a 5xx, have a status the document does not declare, or a body that
violates its schema. Bounded: a fixed number of examples per operation and a time budget
per token, so the run takes well under two minutes on a loaded 2-core machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.server

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "unsupported_method",
    )
)
EXAMPLES = os.environ.get("MOTCUA_SCHEMATHESIS_EXAMPLES", "25")
SECONDS = os.environ.get("MOTCUA_SCHEMATHESIS_SECONDS", "30")


def schemathesis() -> str:
    """The schemathesis command installed beside this Python (the dev extra has it)."""
    found = Path(sys.executable).with_name("schemathesis")
    if found.exists():
        return str(found)
    which = shutil.which("schemathesis")
    assert which, "schemathesis is not installed (pip install -e '.[dev]')"
    return which


@pytest.mark.parametrize("role", ["kiosk", "clerk", "admin"])
def test_schemathesis_finds_no_5xx_and_no_schema_violation(server_factory, tmp_path, role):
    server = server_factory().start()
    token = server.token(role, counter=1 if role == "clerk" else None)
    for service in ("HT", "CT", "DD"):  # something to call, look up and cancel
        admin = server.token("admin")
        import requests

        requests.post(
            f"{server.url}/api/v1/tickets",
            json={"service": service},
            headers={"Authorization": f"Bearer {admin}"},
            timeout=10,
        ).raise_for_status()
    report = tmp_path / f"schemathesis-{role}.json"
    cmd = [
        schemathesis(), "run", f"{server.url}/api/v1/openapi.json",
        "--checks", CHECKS,
        "--header", f"Authorization: Bearer {token}",
        "--max-examples", EXAMPLES,
        "--max-time", SECONDS,
        "--workers", "1",
        "--seed", "20261203",
        "--generation-database", "none",
        "--no-color",
        "--report", "json", "--report-json-path", str(report),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-6000:]
    assert "Tested: 25" in out or "Tested:" in out, out[-2000:]
    assert report.exists()
    json.loads(report.read_text())  # a readable report of what was run
    log = server.log.read_text()
    assert "Traceback" not in log, log[-4000:]
