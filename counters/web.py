"""The clerk console at /counter/<n>: a thin page over the API and the /display events."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

bp = Blueprint(
    "counters",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/counters",
)


@bp.get("/counter/<int:number>")
def console(number: int) -> ResponseReturnValue:
    """Sign in with the counter's code, then call, recall, complete, transfer, pause."""
    desk = current_app.extensions["motcua"].desk
    site = desk.site(request.args.get("site"))
    counter = desk.counter(site, number)
    lang = "en" if request.args.get("lang") == "en" else "vi"
    services = [s for s in site.services]
    return render_template("console.html", site=site, counter=counter, services=services, lang=lang)
