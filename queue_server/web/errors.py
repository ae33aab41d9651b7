"""JSON errors for the API: {"error": {"code", "message", "message_en"}} with a 4xx status."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..contract.messages import render, wire_code
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
    ErrorKind.TOO_MANY: 429,
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
    """Install handlers so no API error is ever HTML or a 500 for bad input."""

    @app.errorhandler(DomainError)
    def _domain(err: DomainError) -> Response | tuple[str, int]:
        status = STATUS[err.kind]
        if not request.path.startswith("/api/"):  # a page: say it in words, not JSON
            return render_template("error.html", err=err, status=status), status
        return error_response(err.code, err.message, err.message_en, status)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response | HTTPException:
        status = err.code or 500
        if not request.path.startswith("/api/") and status != 413:
            return err
        key = HTTP_CODES.get(status)
        if key is None:
            resp = error_response("http_error", err.name, err.name, status)
        else:
            resp = error_response(wire_code(key), *render(key), status)
        if status == 405 and err.valid_methods:  # type: ignore[attr-defined]
            resp.headers["Allow"] = ", ".join(err.valid_methods)  # type: ignore[attr-defined]
        return resp

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response("internal_error", *render("internal_error"), 500)
