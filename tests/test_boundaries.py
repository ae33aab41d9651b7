"""Package boundaries (pyproject's [tool.importlinter]), checked by import-linter's own
`lint-imports`: on the real packages, and on a small fake tree that breaks every contract,
so this test is known to fail when a boundary is crossed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONTRACTS = (
    "queue_server.domain is plain Python",
    "audio and hardware could be libraries",
    "displays and counters get everything through the app",
)

# One module per forbidden import, plus one the "pages" contract allows (the catalogue).
BREAKS = {
    "queue_server/__init__.py": "",
    "queue_server/domain/__init__.py": "",
    "queue_server/domain/model.py": "import sqlalchemy\n",
    "queue_server/storage/__init__.py": "",
    "queue_server/web/__init__.py": "",
    "queue_server/contract/__init__.py": "",
    "queue_server/contract/messages.py": "",
    "audio/__init__.py": "",
    "audio/player.py": "import flask_socketio\n",
    "hardware/__init__.py": "",
    "hardware/agent.py": "from queue_server import web\n",
    "displays/__init__.py": "",
    "displays/web.py": "from queue_server.domain.model import session_name_at\n",
    "displays/errors.py": "from queue_server.contract import messages\n",
    "counters/__init__.py": "",
    "counters/web.py": "from queue_server.storage import database\n",
}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `lint-imports` with the repository's contracts on the packages found from cwd."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_packages_keep_every_contract() -> None:
    out = lint_imports(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in out.stdout, out.stdout
    for name in CONTRACTS:
        assert name in out.stdout


def test_a_tree_that_crosses_each_boundary_breaks_each_contract(tmp_path: Path) -> None:
    for name, text in BREAKS.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    out = lint_imports(tmp_path)  # lint-imports puts its working directory first on sys.path
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"Contracts: 0 kept, {len(CONTRACTS)} broken." in out.stdout, out.stdout
    for chain in (
        "queue_server.domain.model -> sqlalchemy",
        "audio.player -> flask_socketio",
        "hardware.agent -> queue_server.web",
        "displays.web -> queue_server.domain.model",
        "counters.web -> queue_server.storage",
    ):
        assert chain in out.stdout, out.stdout
    assert "displays.errors" not in out.stdout, "the message catalogue is allowed"
