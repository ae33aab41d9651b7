"""A device's token out of its URL and into a cookie, and back to the API from that cookie.

A kiosk, a display, a clerk console or the admin page may be set up with a link carrying
its token (`/kiosk?token=mc_kiosk_…`, as `motcua run` prints it). Left in the address bar,
the token stays in the browser's history, in screenshots and in proxies' access logs. So
any page opened with `?token=` answers `303 See Other` to the same address without it (the
other parameters kept) and sets the token in an HttpOnly cookie (SameSite=Lax, Secure
behind HTTPS or with an https `public_url`, Path=/) that the page's script cannot read.

One browser may hold several devices' tokens (the demo opens the kiosk and every counter's
console side by side), so each page has its own cookie, named after its *slot*: the page's
path and `?site=` (`/counter/2?site=xa` is slot `counter-2.xa`). The page is told its slot
(`data-device` on its `<body>`) and sends it back in the `X-Motcua-Device` header on every
API call; `device_token()` reads that slot's cookie for `web.routes.principal`.

Why a header and not an Origin check: a cookie goes with every request the browser makes to
us, even one a page of another site starts (a form posted to /api/v1/tickets). A request
can only carry `X-Motcua-Device` when our own script sends it: a form cannot set headers,
and another site's script needs a CORS preflight that we never allow. So a request with the
device cookie but without the header is simply not signed in (as if it had no cookie),
whatever its method, and `Origin`/`Referer` (which privacy settings and proxies may strip)
are not relied on. A bearer header, when sent, is used instead (agents, other systems).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Flask, Request, current_app, redirect, request
from werkzeug.wrappers import Response

DEVICE_COOKIE = "motcua_device"
"""The cookies' name: `motcua_device.<slot>`."""
DEVICE_HEADER = "X-Motcua-Device"
"""The header naming the page's slot on API calls (and proving they come from our pages)."""
COOKIE_DAYS = 400
"""How long a browser keeps a device's cookie (browsers cap it at 400 days): a kiosk's
Chromium restarts every day; the token's own expiry and revocation decide its life."""
TOKEN_MAX = 200  # longer is no token of ours (auth.check_token refuses it too)
SLOT_MAX = 80
_UNSAFE = re.compile(r"[^a-z0-9]+")


def slot_of(path: str, site: str | None) -> str:
    """The slot of a page: its path and site in cookie-name-safe characters."""
    slot = _UNSAFE.sub("-", path.lower()).strip("-") or "home"
    if site:
        slot += "." + (_UNSAFE.sub("-", site.lower()).strip("-") or "-")
    return slot[:SLOT_MAX]


def page_slot(req: Request | None = None) -> str:
    """The slot of the page this request opens (what its template puts in data-device)."""
    req = req or request
    return slot_of(req.path, req.args.get("site"))


def cookie_name(slot: str) -> str:
    """The cookie holding the token of the page with this slot."""
    return f"{DEVICE_COOKIE}.{slot}"


def is_slot(slot: str) -> bool:
    """Whether `slot` is one slot_of could have made (anything else is no slot of ours)."""
    path, _, site = slot.partition(".")
    return bool(slot) and len(slot) <= SLOT_MAX and slot == slot_of(path, site or None)


def device_token(req: Request | None = None) -> str:
    """The token of the page that sent this API call ("" when it names no slot or has no
    cookie for it): see the module docstring."""
    req = req or request
    slot = req.headers.get(DEVICE_HEADER, "")
    if not is_slot(slot):
        return ""
    return req.cookies.get(cookie_name(slot), "")


def secure_cookie(req: Request | None = None) -> bool:
    """Whether cookies get `Secure`: the request came over HTTPS, or public_url is https."""
    req = req or request
    server = current_app.extensions["motcua"].config.server
    return req.is_secure or (server.public_url or "").startswith("https://")


def set_device_cookie(response: Response, slot: str, token: str) -> None:
    """Keep `token` in the browser as the token of the page with this slot."""
    response.set_cookie(
        cookie_name(slot), token, max_age=COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
        secure=secure_cookie(), path="/",
    )  # fmt: skip


def clean_url(req: Request | None = None) -> str:
    """This request's path and query without `token` (every other parameter kept, in order)."""
    req = req or request
    rest = [(k, v) for k, v in req.args.items(multi=True) if k != "token"]
    return req.path + (f"?{urlencode(rest)}" if rest else "")


def token_out_of_url() -> Response | None:
    """A page opened with ?token=: the token into its slot's cookie, and 303 to the clean URL
    (before_request; None for every other request)."""
    if request.method not in ("GET", "HEAD") or "token" not in request.args:
        return None
    if request.path.startswith("/api/"):  # the API reads tokens from headers only
        return None
    response = redirect(clean_url(), code=303)
    response.headers["Cache-Control"] = "no-store"
    token = request.args.get("token", "").strip()
    if token and len(token) <= TOKEN_MAX:
        set_device_cookie(response, page_slot(), token)
    return response


def register(app: Flask) -> None:
    """Take tokens out of page URLs, and tell every template its page's slot."""
    app.before_request(token_out_of_url)

    @app.context_processor
    def _slot() -> dict[str, str]:
        slot = page_slot()
        # Whether this page holds a device code (the cookie is HttpOnly: its script cannot
        # see it), so it asks who it is rather than sending a browser to sign in.
        held = "1" if request.cookies.get(cookie_name(slot)) else ""
        return {"device_slot": slot, "device_held": held}
