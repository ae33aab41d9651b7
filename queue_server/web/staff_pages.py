"""Pages for signed-in staff: `staff_page(roles)` guards a page view.

Without a live session the browser goes to `/login?next=<this page>`; with one whose role
may not see the page it gets the Vietnamese 403 page. The view finds the person in
`g.principal` (as API views do) and its templates get `csrf_token()` for their forms and
fetches (`X-CSRF-Token`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from flask import Flask, current_app, g, redirect, request
from flask.typing import ResponseReturnValue

from ..accounts import check_session
from ..auth import Principal
from ..domain.errors import DomainError
from .errors import error_page
from .routes import SESSION_COOKIE

PageView = Callable[..., ResponseReturnValue]


def page_person() -> Principal | None:
    """The staff member signed in on this browser, or None (no, ended or idle session)."""
    if "principal" in g and g.principal.person:
        return g.principal  # type: ignore[no-any-return]
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    ext = current_app.extensions["motcua"]
    try:
        who = check_session(ext.db, secret, ext.desk.clock.now())
    except DomainError:
        return None
    g.principal = who
    return who


def login_url() -> str:
    """/login, coming back to this page (path and query only: never another site)."""
    here = request.full_path.rstrip("?")
    return f"/login?next={quote(here, safe='/')}"


def staff_page(*roles: str) -> Callable[[PageView], PageView]:
    """A page only staff of these roles see (any signed-in staff when none are named)."""

    def wrap(view: PageView) -> PageView:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            who = page_person()
            if who is None:
                return redirect(login_url(), code=303)
            if roles and who.role not in roles:
                return error_page(403, "forbidden")
            return view(*args, **kwargs)

        return guarded

    return wrap


def register(app: Flask) -> None:
    """`csrf_token()` in every template: the signed-in person's, else ""."""

    @app.context_processor
    def _csrf() -> dict[str, Any]:
        def csrf_token() -> str:
            who = page_person()
            return who.csrf if who is not None else ""

        return {"csrf_token": csrf_token}
