"""Every setting and every Socket.IO event is documented in the README."""

from pathlib import Path

import pytest

from hardware.devices_config import DEVICES_TABLES
from queue_server.config import CENTRE_TABLES, SETTINGS
from queue_server.config_schema import markdown_table
from queue_server.contract.events import SPECS, Event
from queue_server.events import DISPLAY_EVENTS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
TABLES = {**CENTRE_TABLES, **{f"devices.toml {h}": m for h, m in DEVICES_TABLES.items()}}


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_setting_documented(setting):
    row = next((line for line in README.splitlines() if line.startswith(f"| `{setting.name}`")), "")
    assert row, f"README has no row for setting {setting.name}"
    assert f"`{setting.env}`" in row


@pytest.mark.parametrize(("table", "model"), TABLES.items(), ids=list(TABLES))
def test_every_key_has_one_line_of_help(table, model):
    for name, field in model.model_fields.items():
        assert field.description, f"{table} {name}: no help text in the schema"
        assert "\n" not in field.description, f"{table} {name}: help is one line"


@pytest.mark.parametrize(("table", "model"), TABLES.items(), ids=list(TABLES))
def test_readme_table_is_the_schemas(table, model):
    """Each README row (type or environment, default, meaning) is what the schema says."""
    generated = markdown_table(model)
    lines = README.splitlines()
    for row in generated.splitlines()[2:]:
        key = row.split(" | ")[0]
        documented = [line for line in lines if line.startswith(f"{key} | ")]
        assert row in documented, (
            f"README's {table} row for {key} differs from the schema\n"
            f"  schema: {row}\n  README: {documented}"
        )
    assert generated in README, f"README's {table} table has other rows or order than the schema"


def test_readme_server_settings_come_from_the_schema():
    section = README.split("### Server settings", 1)[1].split("\n### ", 1)[0]
    assert markdown_table(CENTRE_TABLES["[server]"]) in section


@pytest.mark.parametrize("event", sorted(DISPLAY_EVENTS))
def test_event_documented(event):
    assert f"| `{event}` |" in README


@pytest.mark.parametrize("event", list(Event), ids=str)
def test_event_row_is_its_description(event):
    """The README's row is the declared description, naming every key of the payload."""
    description = SPECS[event].description
    assert f"| `{event}` | {description} |" in README.splitlines()
    keys = {f.alias or name for name, f in SPECS[event].payload.model_fields.items()}
    for key in keys - {"epoch", "seq"}:
        assert f"`{key}`" in description, f"{event}: `{key}` undocumented"


def test_readme_commands_exist():
    root = Path(__file__).resolve().parents[2]
    for script in ("scripts/demo.sh", "scripts/test.sh"):
        assert f"./{script}" in README
        assert (root / script).exists()
    assert "scripts/test.sh" in (root / ".ci" / "run").read_text()
