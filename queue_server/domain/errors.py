"""Domain errors: a machine code, a Vietnamese message for people, an English one for logs.

The words live in queue_server.contract.messages; a raise site names the code and its
parameters: `raise NotFound("unknown_counter", counter=7)`.
"""

from __future__ import annotations

from ..contract.messages import MESSAGES, ErrorKind

__all__ = ["Conflict", "DomainError", "ErrorKind", "IllegalTransition", "Invalid", "NotFound"]


class DomainError(Exception):
    """A rule said no. Carries a stable code and messages in Vietnamese and English."""

    kind: ErrorKind = ErrorKind.CONFLICT

    def __init__(self, code: str, /, **params: object) -> None:
        """The catalogue's texts for code with params filled in (KeyError for an unknown code).

        The kind is the catalogue's; a subclass's own kind only backs it up, and
        tests/queue_server/test_messages.py checks that the two agree at every raise.
        """
        entry = MESSAGES[code]
        self.message, self.message_en = entry.render(**params)
        super().__init__(self.message_en)
        self.code = entry.code or code
        self.params = params
        if entry.kind is not None:
            self.kind = entry.kind


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
