"""The generated parts of docs/contract.md, and docs/openapi.json.

Every table here comes from a declaration: the `motcua` argparse parser, the server settings,
the API routes (`web.routes.Route`), the message catalogue, the pydantic models of TICKET and
SNAPSHOT, the /display events (`contract.events`) and the device line protocol
(`hardware.protocol`). `python -m queue_server.web.contract_docs` rewrites each block of
docs/contract.md between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` (the
prose around them is written by hand) and docs/openapi.json; ``--check`` only reports
whether they are up to date. tests/queue_server/test_contract_docs.py keeps them equal.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
import types
from collections.abc import Iterator, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from hardware import protocol
from hardware.delivery import ACTIONS

from ..cli import build_parser
from ..config import markdown_tables
from ..contract import events as ev
from ..contract import models as m
from ..contract.messages import MESSAGES, wire_code
from .api import api
from .errors import STATUS
from .openapi import openapi_document
from .routes import Route

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BLOCK_RE = re.compile(r"(<!-- generated:([a-z_]+) -->\n)(.*?)(<!-- /generated:\2 -->)", re.DOTALL)

MODEL_NAMES: dict[type[BaseModel], str] = {m.Ticket: "TICKET", m.Snapshot: "SNAPSHOT"}
"""How the contract names these models (every other model goes by its class name)."""

MODELS: tuple[tuple[type[BaseModel], str], ...] = (
    (m.Ticket, "A ticket, in every answer and event that carries one."),
    (m.Snapshot, "The lobby at one moment: `GET /queue`, `snapshot` and the answer to `sync`."),
    (m.SnapshotCounter, "One entry of SNAPSHOT `counters`."),
    (m.SiteRef, "SNAPSHOT `site`."),
    (m.ServiceRef, "One entry of SNAPSHOT `services`."),
    (m.CounterRef, "`counter` in ticket events."),
    (m.CounterStateRef, "`counter` in `counter.state`."),
    (m.Announcement, "`announcement` in `ticket.called`."),
    (m.ErrorDetail, "`error` in every error answer."),
)
"""The shapes documented field by field, with what each is."""

SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def cell(text: str) -> str:
    """Text fit for one markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def code(text: object) -> str:
    return f"`{text}`"


# -- command line ----------------------------------------------------------------------------


def commands(
    parser: argparse.ArgumentParser, words: tuple[str, ...] = ("motcua",), help: str = ""
) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """(command words, help, parser) of the parser and every subcommand, depth first."""
    yield " ".join(words), help, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield from commands(sub, (*words, name), helps.get(name, ""))


def _option(action: argparse.Action) -> str:
    """--role {kiosk,display} / --counter COUNTER / file."""
    if not action.option_strings:
        return str(action.metavar or action.dest).upper()
    name = max(action.option_strings, key=len)
    if action.nargs == 0:
        return name
    if action.choices:
        return f"{name} {{{','.join(map(str, action.choices))}}}"
    return f"{name} {action.metavar or action.dest.upper()}"


def cli_table() -> str:
    """Every `motcua` command and option, from the argparse parser."""
    rows: list[list[str]] = []
    for words, help, parser in commands(build_parser()):
        options = [
            a
            for a in parser._actions
            if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
        ]
        if not options and parser._subparsers is not None:
            continue  # a command group: its commands follow
        rows.append([code(words), "", help or parser.description or ""])
        for a in options:
            meaning = a.help or ""
            if a.required or (not a.option_strings and a.nargs not in ("?", "*")):
                meaning = f"{meaning} (required)" if meaning else "required"
            rows.append(["", code(_option(a)), meaning])
    return table(("command", "option", "meaning"), rows)


# -- settings --------------------------------------------------------------------------------


def settings_table() -> str:
    """The [server] settings and their environment variables (as in the README)."""
    return markdown_tables()["[server]"]


# -- HTTP API --------------------------------------------------------------------------------


def public_routes() -> list[Route]:
    """The routes of the public API, in declaration order."""
    return list(api.routes)


def doc_path(rule: str) -> str:
    """/api/v1/counters/<int:number>/call-next as /api/v1/counters/{number}/call-next."""
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule)


def _fields(model: type[BaseModel]) -> str:
    """{service, priority?}: a request model's fields, optional ones with ?."""
    names = [
        (f.alias or n) + ("" if f.is_required() else "?") for n, f in model.model_fields.items()
    ]
    return "{" + ", ".join(names) + "}"


def _request(route: Route) -> str:
    parts = []
    if route.query is not None:
        parts.append("?" + "&".join(f.alias or n for n, f in route.query.model_fields.items()))
    if route.body is not None and route.body.model_fields:
        parts.append(_fields(route.body))
    return " ".join(code(p) for p in parts)


def _who(route: Route) -> str:
    if not route.roles:
        return "anyone"
    own = route.path is m.CounterPath
    return ", ".join("clerk of the counter" if r == "clerk" and own else r for r in route.roles)


def _answer(route: Route) -> str:
    model = route.response
    name = "" if model is None else MODEL_NAMES.get(model, model.__name__)
    return f"{code(route.status)} {name}".strip()


def status_of(error: str) -> int:
    """The HTTP status of a catalogue error code."""
    kind = MESSAGES[error].kind
    assert kind is not None, f"{error} is not an error code"
    return STATUS[kind]


def _errors(route: Route, statuses: Sequence[str]) -> str:
    """Each error status of the operation with the catalogue codes the route declares for it."""
    out = []
    for status in statuses:
        codes = dict.fromkeys(wire_code(c) for c in route.errors if str(status_of(c)) == status)
        out.append(code(status) + (" " + ", ".join(codes) if codes else ""))
    return "; ".join(out)


def api_table() -> str:
    """Every operation of API v1, from the route declarations and the OpenAPI document."""
    paths = openapi_document()["paths"]
    rows = []
    for route in public_routes():
        path = doc_path(route.rule)
        responses = paths[path][route.method.lower()]["responses"]
        statuses = [s for s in responses if not s.startswith("2")]
        rows.append(
            [
                route.method,
                code(path.removeprefix(api.url_prefix)),
                _who(route),
                _request(route),
                route.summary,
                _answer(route),
                _errors(route, statuses),
            ]
        )
    head = ("method", "path", "who", "request", "summary", "success", "errors")
    return table(head, rows)


def errors_table() -> str:
    """Every error code of the catalogue, its status and its texts ({...}: filled in)."""
    rows = [
        [code(c), str(status_of(c)), msg.vi, msg.en]
        for c, msg in MESSAGES.items()
        if msg.kind is not None and wire_code(c) == c
    ]
    return table(("code", "status", "message", "message_en"), rows)


# -- models ----------------------------------------------------------------------------------


def type_text(annotation: Any) -> str:
    """A field's type in words: string, integer or null, list of TICKET, `a` | `b`."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        return " or ".join(type_text(a) for a in args)
    if origin is Literal:
        return " | ".join(code(json.dumps(a)) for a in args)
    if origin is list:
        return f"list of {type_text(args[0])}"
    if origin is dict:
        return f"{{{type_text(args[0])}: {type_text(args[1])}}}"
    if inspect.isclass(annotation) and issubclass(annotation, Enum):
        return " | ".join(code(e.value) for e in annotation)
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return MODEL_NAMES.get(annotation, annotation.__name__)
    return SCALARS.get(annotation, str(annotation))


def field_rows(model: type[BaseModel]) -> list[list[str]]:
    """[field, type, description] of each field of a model, in wire order."""
    rows = []
    for name, f in model.model_fields.items():
        kind = type_text(f.annotation)
        extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
        if "format" in extra:
            kind = kind.replace("string", f"string ({extra['format']})", 1)
        if not f.is_required():
            kind += ", optional"
        text = f.description or ""
        if f.examples:
            text = (text + " E.g. " + ", ".join(code(x) for x in f.examples)).strip()
        rows.append([code(f.alias or name), kind, text])
    return rows


def models_tables() -> str:
    """TICKET, SNAPSHOT and the shapes inside them and the events, field by field."""
    parts = []
    for model, what in MODELS:
        name = MODEL_NAMES.get(model, model.__name__)
        title = name if name == model.__name__ else f"{name} (`{model.__name__}`)"
        head = f"#### {title}\n\n{what}\n\n"
        parts.append(head + table(("field", "type", "description"), field_rows(model)))
    return "\n\n".join(parts)


# -- Socket.IO -------------------------------------------------------------------------------


def events_table() -> str:
    """Every event of the /display namespace: who sends it, whether it is numbered, meaning."""
    rows = []
    for event, spec in ev.SPECS.items():
        sender = "client" if spec.from_client else "server"
        rows.append([code(event), sender, "yes" if spec.numbered else "no", spec.description])
    return table(("event", "sent by", "own seq", "meaning"), rows)


def payloads_table() -> str:
    """Every payload field of every event, from the payload models."""
    rows = []
    for event, spec in ev.SPECS.items():
        if spec.payload in MODEL_NAMES:
            name = MODEL_NAMES[spec.payload]
            rows.append([code(event), "", name, f"The whole payload is a {name}."])
            continue
        for i, row in enumerate(field_rows(spec.payload)):
            rows.append([code(event) if i == 0 else "", *row])
    return table(("event", "field", "type", "description"), rows)


# -- device line protocol --------------------------------------------------------------------


def protocol_text() -> str:
    """The wire spec: hardware/protocol.py's docstring, as it is."""
    doc = inspect.getdoc(protocol) or ""
    return f"```text\n{doc}\n```"


def _frame(raw: bytes) -> str:
    return code(raw.decode("ascii").removesuffix("\r\n"))


def frames_table() -> str:
    """A frame of each body at address 03, checksums computed by hardware.protocol."""
    rows = []
    for key in protocol.Key:
        arg = {protocol.Key.XFER: "HT", protocol.Key.CALL: "12", protocol.Key.RATE: "5"}.get(key)
        frame = protocol.encode_key(3, key, arg, seq=17)
        action = ACTIONS.get(key, "rating")
        rows.append(["keypad -> agent", _frame(frame), f"`POST /counters/{{number}}/{action}`"])
    rows.append(["agent -> keypad", _frame(protocol.encode_ack(3, 17)), "press 17 taken"])
    for text in ("A012", "--"):
        rows.append(["agent -> LED board", _frame(protocol.encode_show(3, text)), f"show {text}"])
    rows.append(["agent -> LED board", _frame(protocol.encode_blank(3)), "digits off"])
    return table(("direction", "frame", "means"), rows)


# -- the files -------------------------------------------------------------------------------


def blocks() -> dict[str, str]:
    """{block name: its generated text} of docs/contract.md."""
    return {
        "cli": cli_table(),
        "settings": settings_table(),
        "api": api_table(),
        "errors": errors_table(),
        "models": models_tables(),
        "events": events_table(),
        "payloads": payloads_table(),
        "protocol": protocol_text(),
        "frames": frames_table(),
    }


def openapi_text() -> str:
    """docs/openapi.json: the OpenAPI document, pretty-printed."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def render_contract(text: str) -> str:
    """contract.md with every generated block rewritten (ValueError: a block is missing)."""
    wanted = blocks()
    found = [match[2] for match in BLOCK_RE.finditer(text)]
    if sorted(found) != sorted(wanted):
        raise ValueError(f"generated blocks: the file has {found}, expected {list(wanted)}")
    return BLOCK_RE.sub(lambda x: x[1] + wanted[x[2]] + "\n" + x[4], text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite docs/contract.md's generated blocks and docs/openapi.json (--check: compare)."""
    parser = argparse.ArgumentParser(prog="python -m queue_server.web.contract_docs")
    parser.add_argument("--check", action="store_true", help="only say what is out of date")
    args = parser.parse_args(argv)
    contract, spec = DOCS / "contract.md", DOCS / "openapi.json"
    current = contract.read_text("utf-8")
    files = {contract: render_contract(current), spec: openapi_text()}
    stale = [p for p, text in files.items() if not p.exists() or p.read_text("utf-8") != text]
    for path in stale:
        if args.check:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        else:
            path.write_text(files[path], "utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
