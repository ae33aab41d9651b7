"""docs/contract.md and docs/openapi.json are true: generated parts current, nothing left out."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from queue_server.cli import build_parser
from queue_server.web import contract_docs
from queue_server.web.openapi import openapi_document

DOCS = Path(__file__).resolve().parents[2] / "docs"
CONTRACT = (DOCS / "contract.md").read_text("utf-8")
REGENERATE = "docs are out of date: run `python -m queue_server.web.contract_docs`"
BLOCK = re.compile(r"<!-- generated:([a-z_]+) -->\n(.*?)<!-- /generated:\1 -->", re.DOTALL)
PROTOCOL_BODIES = (
    "NEXT", "RECALL", "NOSHOW", "DONE", "XFER", "PAUSE", "RESUME", "RATE", "ACK", "SHOW", "BLANK",
)  # fmt: skip


def file_blocks(text: str) -> dict[str, str]:
    """{name: text} of the generated blocks of a contract.md text."""
    found: dict[str, str] = {}
    for name, body in BLOCK.findall(text):
        assert name not in found, f"block {name} appears twice in docs/contract.md"
        found[name] = body
    return found


def subcommands(parser: argparse.ArgumentParser, words: str = "motcua") -> list[str]:
    """Every command of the parser, "motcua token create" and the groups above it."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += [f"{words} {name}", *subcommands(sub, f"{words} {name}")]
    return found


def test_openapi_json_is_the_generated_document():
    text = (DOCS / "openapi.json").read_text("utf-8")
    assert json.loads(text) == json.loads(json.dumps(openapi_document())), REGENERATE
    assert text == contract_docs.openapi_text(), f"{REGENERATE} (formatting)"


def block_is_current(text: str, name: str) -> bool:
    """The block is in the text exactly as the generator writes it."""
    return file_blocks(text).get(name) == contract_docs.blocks()[name] + "\n"


def test_contract_has_every_generated_block_once():
    assert set(file_blocks(CONTRACT)) == set(contract_docs.blocks()), REGENERATE


@pytest.mark.parametrize("name", list(contract_docs.blocks()))
def test_generated_block_is_current(name):
    assert block_is_current(CONTRACT, name), f"block {name}: {REGENERATE}"


def test_a_block_edited_by_hand_is_caught_and_regenerated():
    """The check above fails on a hand edit, and the generator puts the block back."""
    fresh = contract_docs.render_contract(CONTRACT)
    assert block_is_current(fresh, "events")
    edited = fresh.replace("| `ticket.issued` | server | yes |", "| `ticket.issued` | x | no |")
    assert edited != fresh
    assert not block_is_current(edited, "events")
    assert contract_docs.render_contract(edited) == fresh
    with pytest.raises(ValueError, match="generated blocks"):
        contract_docs.render_contract(fresh.replace("<!-- /generated:api -->", ""))


@pytest.mark.parametrize("command", subcommands(build_parser()))
def test_every_subcommand_is_documented(command):
    assert f"`{command}" in CONTRACT, f"{command} is not in docs/contract.md"


def test_subcommands_are_found():
    assert {"motcua run", "motcua token create", "motcua agent", "motcua config check"} <= set(
        subcommands(build_parser())
    )


@pytest.mark.parametrize("body", PROTOCOL_BODIES)
def test_every_protocol_body_is_documented(body):
    assert re.search(rf"\b{body}\b", CONTRACT), f"{body} is not in docs/contract.md"


def test_every_route_and_event_is_in_the_tables():
    api = contract_docs.blocks()["api"]
    for route in contract_docs.public_routes():
        path = contract_docs.doc_path(route.rule).removeprefix("/api/v1")
        assert f"| {route.method} | `{path}` |" in api, (route.method, path)
    events = contract_docs.blocks()["events"]
    from queue_server.contract.events import Event

    for event in Event:
        assert f"| `{event}` |" in events, event
