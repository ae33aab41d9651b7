"""Errors: JSON for the API ({"error": {"code", "message", "message_en"}} with a 4xx status),
a Vietnamese-first page in the house look for everything a browser opens."""

from __future__ import annotations

import logging

from flask import Flask, Request, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..contract.messages import MESSAGES, render, wire_code
from ..domain.errors import DomainError, ErrorKind

log = logging.getLogger(__name__)

STATUS = {
    ErrorKind.INVALID: 400,
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.METHOD_NOT_ALLOWED: 405,
    ErrorKind.CONFLICT: 409,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.URI_TOO_LONG: 414,
    ErrorKind.TOO_MANY: 429,
    ErrorKind.HEADERS_TOO_LARGE: 431,
    ErrorKind.INTERNAL: 500,
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden_any",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}
"""The catalogue entry answering each HTTP error Flask raises itself."""


def error_response(code: str, message: str, message_en: str, status: int) -> Response:
    """Build the JSON error body."""
    resp = jsonify({"error": {"code": code, "message": message, "message_en": message_en}})
    resp.status_code = status
    return resp


def register(app: Flask) -> None:
    """Install handlers so no API error is ever HTML or a 500 for bad input, and no page
    error is Flask's English page or a traceback."""

    @app.errorhandler(DomainError)
    def _domain(err: DomainError) -> Response:
        status = STATUS[err.kind]
        if not wants_json():  # a page: say it in words, not JSON
            return error_page(status, err.code, (err.message, err.message_en))
        return error_response(err.code, err.message, err.message_en, status)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        status = err.code or 500
        key = HTTP_CODES.get(status)
        if not wants_json():
            resp = error_page(status, wire_code(key) if key else "http_error")
        elif key is None:
            resp = error_response("http_error", err.name, err.name, status)
        else:
            resp = error_response(wire_code(key), *render(key), status)
        if status == 405 and err.valid_methods:  # type: ignore[attr-defined]
            resp.headers["Allow"] = ", ".join(err.valid_methods)  # type: ignore[attr-defined]
        return resp

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not wants_json():  # the log has the traceback; the page never does
            return error_page(500, "internal_error")
        return error_response("internal_error", *render("internal_error"), 500)


def wants_json(req: Request | None = None) -> bool:
    """Whether an error should be JSON: the API, a JSON request (the demo's keypad presses)
    or a client that asks for JSON rather than HTML; a browser opening a page gets a page."""
    req = req or request
    if req.path.startswith("/api/") or req.is_json:
        return True
    return req.accept_mimetypes.best_match(("text/html", "application/json")) == (
        "application/json"
    )


def error_page(status: int, code: str, title: tuple[str, str] | None = None) -> Response:
    """The error page: Vietnamese first, then English, with a link to the start page.

    `title` is a domain error's own words (e.g. "Không tìm thấy phiếu này."); without it the
    status's words from the catalogue. Never the exception's text: that is for the log.
    """
    key = f"page.error.{status}" if f"page.error.{status}" in MESSAGES else "page.error.other"
    vi, en = title or render(key)
    hint_vi, hint_en = render(f"{key}.hint")
    try:
        centre = current_app.extensions["motcua"].config.default_site.name
    except (KeyError, AttributeError):  # an app without the extension (never in production)
        centre = ""
    html = render_template(
        "error.html", status=status, code=code, title=vi, title_en=en, hint=hint_vi,
        hint_en=hint_en, home=render("page.home_link"), centre=centre,
    )  # fmt: skip
    return Response(html, status=status, mimetype="text/html")
