"""The staff sign-in page, /login: username and password, then the counter to work at.

The page is a thin form over the API (POST /api/v1/session, POST /api/v1/session/counter);
its script is a static file (no inline scripts under the CSP). `?next=` says where to go
afterwards (only a path of this site), `?counter=N` preselects a counter (a counter PC's
device cookie does too, when it names its counter), `?lang=en` for English.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue

from ..domain.errors import DomainError
from .staff_pages import page_person

bp = Blueprint(
    "login",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/login",
)

DEVICE_COOKIE = "motcua_device"
"""A counter PC's device token, in a cookie (auth: the `counter` device role)."""
STAFF_HOME = "/admin"
"""Where supervisors and administrators land after signing in, unless ?next= says."""


def safe_next(value: str | None) -> str:
    """A ?next= to go back to: only a path of this site ("/counter/3?x=1"), never another
    site ("//evil", "https://evil", "/\\\\evil") nor a control character; else ""."""
    if not value or len(value) > 500 or not value.startswith("/"):
        return ""
    if value.startswith(("//", "/\\")) or any(ord(c) < 32 or c == "\\" for c in value):
        return ""
    return value


def device_counter() -> int | None:
    """The counter a counter PC's device cookie is bound to, if any."""
    token = request.cookies.get(DEVICE_COOKIE)
    if not token:
        return None
    ext = current_app.extensions["motcua"]
    try:
        who = ext.verify(token, ext.desk.clock.now())
    except DomainError:
        return None
    return who.counter if who.role == "counter" else None


def _counter_arg() -> int | None:
    raw = request.args.get("counter", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else None


@bp.get("/login")
def login() -> ResponseReturnValue:
    """Đăng nhập: the form, or on to where a signed-in person was going."""
    desk = current_app.extensions["motcua"].desk
    site = desk.site(request.args.get("site"))
    lang = "en" if request.args.get("lang") == "en" else "vi"
    nxt = safe_next(request.args.get("next"))
    counter = _counter_arg() or device_counter()
    who = page_person()
    # Signed in already, with nothing to choose: straight on. A counter named (the console's
    # "Đổi ca", a counter PC) shows the form, for the next clerk to sign in.
    if who is not None and counter is None and "switch" not in request.args:
        if who.role in ("admin", "supervisor"):
            return redirect(nxt or STAFF_HOME, code=303)
        if who.counter is not None:
            return redirect(nxt or f"/counter/{who.counter}", code=303)
    if counter is not None and counter not in site.counters_by_number:
        counter = None
    args = {k: v for k, v in request.args.items() if k != "lang"}
    if lang == "vi":
        args["lang"] = "en"
    return render_template(
        "login.html", site=site, lang=lang, next=nxt, counter=counter,
        staff_home=STAFF_HOME, other_lang_url="/login?" + urlencode(args),
    )  # fmt: skip
