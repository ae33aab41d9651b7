"""What browsers are told to enforce: which origins may hold a socket, and the headers of
every response.

Socket.IO's origin check: python-engineio refuses a handshake (polling and WebSocket alike)
whose `Origin` is not accepted; an empty list would switch the check off. Accepted are the
origin of `public_url`, `allowed_origins`, and any origin whose host is the listening address
or one of `trusted_hosts`. A server listening on every address (0.0.0.0) cannot list the
machine's own names, so it also accepts a page served by itself: the `Origin` host equals the
request's `Host`. Browsers write `Origin` themselves, so a page on another site cannot pass
that test (a DNS-rebinding attacker could: name the server in `trusted_hosts` and listen on
one address to close that too). Clients that are not browsers send no `Origin` and are
checked by their token, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request

from ..config import ServerSettings

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",  # the pages' style attributes and <style> blocks
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors {frames}",
    )
)
FRAMED_BY_OUR_PAGES = frozenset({"displays.ticket_slip"})
"""Endpoints our own pages show in a frame (the kiosk prints the HTML slip from an iframe)."""


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower case; "" when it has none."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_check(server: ServerSettings) -> Callable[[str | None, Mapping[str, Any]], bool]:
    """The `cors_allowed_origins` callable for python-engineio (see the module docstring)."""
    exact = frozenset(o for o in (origin(server.public_url or ""), *server.allowed_origins) if o)

    def allowed(sent: str | None, environ: Mapping[str, Any]) -> bool:
        # None: no Origin header (engineio asks for every request, to set the CORS headers)
        normal = origin(sent or "")
        if not normal:  # "null" (a file or sandboxed frame) or garbage
            return False
        netloc = urlsplit(normal).netloc
        if normal in exact or server.trusts_host(netloc):
            return True
        return server.wildcard and netloc == str(environ.get("HTTP_HOST", "")).lower()

    return allowed


def security_headers(response: Response) -> Response:
    """Headers for every page and API answer: no framing, no inline scripts, no sniffing,
    no Referer (status links carry the ticket's secret id)."""
    framed = request.endpoint in FRAMED_BY_OUR_PAGES
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy", CSP.format(frames="'self'" if framed else "'none'")
    )
    headers.setdefault("X-Frame-Options", "SAMEORIGIN" if framed else "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def register(app: Flask) -> None:
    """Send the security headers on every response of the app."""
    app.after_request(security_headers)
