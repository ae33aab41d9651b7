"""Server-rendered pages: the start page for the centre's staff (`/`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from .. import __version__
from ..contract.messages import MESSAGES, Message
from ..desk import Snapshot
from ..domain.counters import CounterDay
from ..domain.model import CounterState, Site

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """No icon; answer quietly instead of a 404 in every screen's console."""
    return "", 204


@dataclass(frozen=True)
class SiteState:
    """One site as the start page shows it: its snapshot, links and counts."""

    site: Site
    snap: Snapshot
    query: str  # "" for the default site, else "?site=CODE"
    counts: dict[str, int]


def _text(code: str, **params: object) -> Message:
    """A catalogue entry with its placeholders filled, both languages."""
    vi, en = MESSAGES[code].render(**params)
    return Message(vi, en)


def _sign_in(ext: Any) -> tuple[dict[str, str], Message | None]:
    """The demo's sign-in codes to show, and a note about them. Codes only in demo mode,
    and only where the demo's keypads are open too (a loopback server or `public_demo`):
    a demo on 0.0.0.0 prints them in its terminal, not to everyone on the network."""
    server = ext.config.server
    if not ext.config.demo:
        return {}, _text("home.sign_in_how")
    if not (server.loopback or server.public_demo):
        return {}, _text("home.sign_in_locked", host=server.host)
    from ..demo import demo_tokens, saved_demo_tokens

    # `motcua run` made them at start; reading them back writes nothing on every visit.
    tokens = saved_demo_tokens(ext) or demo_tokens(ext)
    return tokens, _text("home.sign_in_demo")


@bp.get("/")
def home() -> ResponseReturnValue:
    """The start page for the centre's staff: every screen and what it is for, each site's
    counters and queues now, and in demo mode the sign-in codes (never outside it)."""
    ext = current_app.extensions["motcua"]
    desk = ext.desk
    sites = []
    for i, site in enumerate(ext.config.sites):
        snap = desk.snapshot(site.code)
        counts = {s.value: sum(v.state is s for v in snap.counters) for s in CounterState}
        counts["waiting"] = sum(snap.waiting.values())
        sites.append(SiteState(site, snap, "" if i == 0 else f"?site={site.code}", counts))
    tokens, sign_in_note = _sign_in(ext)
    first = sites[0]
    return render_template(
        "home.html",
        sites=sites,
        first=first,
        now=first.site.local(first.snap.taken_at),
        tx=_text,
        state_label=lambda v: MESSAGES[CounterDay(v.state, v.opened_today).label_code].vi,
        demo=ext.config.demo,
        demo_devices=ext.config.demo and ext.demo_devices is not None,
        tokens=tokens,
        sign_in_note=sign_in_note,
        version=__version__,
    )
