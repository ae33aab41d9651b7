"""GET /contract.js: the wire contract as an ES module, so the pages restate none of it.

Built at request time from queue_server.contract: the /display namespace, the event names,
the events a live client applies in seq order, the events after which a ticket has left its
counter, and the labels every page shares (from the message catalogue).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from ..contract.events import LEAVING, NAMESPACE, NUMBERED, Event
from ..contract.messages import LANGS, page_labels

bp = Blueprint("contract_js", __name__)


def _js(value: object) -> str:
    """A JSON value, which is a JavaScript literal (non-ASCII text kept as is)."""
    return json.dumps(value, ensure_ascii=False)


def module_text() -> str:
    """The ES module's source."""
    labels = ", ".join(f"{_js(lang)}: Object.freeze({_js(page_labels(lang))})" for lang in LANGS)
    events = {e.name: e.value for e in Event}
    leaving = [e.value for e in Event if e in LEAVING]
    return "\n".join(
        [
            "// Generated from queue_server.contract at request time: do not edit.",
            f"export const NAMESPACE = {_js(NAMESPACE)};",
            f"export const EVENTS = Object.freeze({_js(events)});",
            "// Events that carry their own seq, applied in seq order (a gap asks for sync).",
            f"export const NUMBERED = Object.freeze({_js([e.value for e in NUMBERED])});",
            "// After these the ticket is no longer at the counter that held it.",
            f"export const LEAVING = Object.freeze({_js(leaving)});",
            f"export const LABELS = Object.freeze({{{labels}}});",
            "",
        ]
    )


@bp.get("/contract.js")
def contract_module() -> ResponseReturnValue:
    """The contract module, revalidated like the other static files (no-cache + ETag)."""
    resp = Response(module_text(), content_type="text/javascript; charset=utf-8")
    resp.cache_control.no_cache = True
    resp.add_etag()
    return resp.make_conditional(request)
