"""The enums whose values are part of the public contract (the domain uses them as its own).

Declared here, beside the messages and the wire models, so the device agent and the pages'
generated module can use them without importing the domain.
"""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    """Where a ticket is in its life; the values are part of the public contract."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class EventKind(StrEnum):
    """Entries of the append-only ticket log."""

    ISSUED = "issued"
    CALLED = "called"
    RECALLED = "recalled"
    STARTED = "started"
    NO_SHOW = "no_show"
    RETURNED = "returned"
    TRANSFERRED = "transferred"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RATED = "rated"
    """Not a transition: the citizen's satisfaction score ("4/5") in `detail`."""


class CounterState(StrEnum):
    """Whether a counter is taking citizens."""

    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"
