"""Domain errors: a machine code, a Vietnamese message for people, an English one for logs."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """What sort of failure it is; the web layer maps each kind to an HTTP status."""

    INVALID = "invalid"  # 400
    UNAUTHORIZED = "unauthorized"  # 401
    FORBIDDEN = "forbidden"  # 403
    NOT_FOUND = "not_found"  # 404
    CONFLICT = "conflict"  # 409
    TOO_MANY = "too_many"  # 429


class DomainError(Exception):
    """A rule said no. Carries a stable code and messages in Vietnamese and English."""

    kind: ErrorKind = ErrorKind.CONFLICT

    def __init__(
        self, code: str, message: str, message_en: str = "", kind: ErrorKind | None = None
    ):
        super().__init__(message_en or message)
        self.code = code
        self.message = message
        self.message_en = message_en or message
        if kind is not None:
            self.kind = kind


class NotFound(DomainError):
    """Something named in the request does not exist."""

    kind = ErrorKind.NOT_FOUND


class Conflict(DomainError):
    """The request is well formed but the current state forbids it."""

    kind = ErrorKind.CONFLICT


class Invalid(DomainError):
    """The request itself is malformed."""

    kind = ErrorKind.INVALID


class IllegalTransition(Conflict):
    """A ticket cannot go from its current status through the requested action."""
