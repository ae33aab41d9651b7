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
    """Whether a counter is taking citizens (closed until a clerk opens it, each day)."""

    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class CounterChange(StrEnum):
    """Entries of a counter's log: how its state changed."""

    OPENED = "opened"
    PAUSED = "paused"
    RESUMED = "resumed"
    CLOSED = "closed"
    HANDOVER = "handover"
    """Đổi ca: it stays open, now with the clerk who acted (the entry's actor)."""


class CallingPolicy(StrEnum):
    """How a counter picks among the waiting tickets of its fields (priority always counts)."""

    FIELD_ORDER = "field_order"
    """Its fields in the order the centre file lists them, then first come first served."""
    OLDEST_FIRST = "oldest_first"
    """The ticket that has waited longest across all its fields."""
