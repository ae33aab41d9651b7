"""Server-rendered pages. For now a plain centre overview; the screens come with their issues."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from ..domain.model import COUNTER_STATE_VI, STATUS_VI

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """No icon; answer quietly instead of a 404 in every screen's console."""
    return "", 204


@bp.get("/")
def home() -> ResponseReturnValue:
    """The centre's state at a glance: counters, their tickets, waiting per field."""
    desk = current_app.extensions["motcua"].desk
    snap = desk.snapshot()
    return render_template(
        "home.html",
        snap=snap,
        site=snap.site,
        local=snap.site.local,
        status_vi=STATUS_VI,
        state_vi=COUNTER_STATE_VI,
        services={s.code: s for s in snap.site.services},
        now=snap.site.local(snap.taken_at),
    )
