"""Every setting and every Socket.IO event is documented in the README."""

from pathlib import Path

import pytest

from queue_server.config import SETTINGS
from queue_server.events import DISPLAY_EVENTS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_setting_documented(setting):
    row = next((line for line in README.splitlines() if line.startswith(f"| `{setting.name}`")), "")
    assert row, f"README has no row for setting {setting.name}"
    assert f"`{setting.env}`" in row


@pytest.mark.parametrize("event", sorted(DISPLAY_EVENTS))
def test_event_documented(event):
    assert f"| `{event}` |" in README


def test_readme_commands_exist():
    root = Path(__file__).resolve().parents[2]
    for script in ("scripts/demo.sh", "scripts/test.sh"):
        assert f"./{script}" in README
        assert (root / script).exists()
    assert "scripts/test.sh" in (root / ".ci" / "run").read_text()
