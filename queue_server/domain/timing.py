"""Waiting and handling times, derived from a ticket's log alone.

Handling time runs from "Bắt đầu" (start) to "Hoàn thành" (done); see README, "Handling time".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .model import EventKind, TicketEvent


@dataclass(frozen=True)
class Timing:
    """Seconds a ticket waited before its first call and spent being served (None if not yet)."""

    wait_seconds: float | None
    service_seconds: float | None
    calls: int


def timing(events: Sequence[TicketEvent]) -> Timing:
    """Wait = issue to first call; handling = the last start ("Bắt đầu") to completion.

    A ticket completed without ever being started (the citizen may never have come) has
    no handling time: the time from its call is waiting at the counter, not service.
    """
    issued = next((e.at for e in events if e.kind is EventKind.ISSUED), None)
    called = [e.at for e in events if e.kind is EventKind.CALLED]
    completed = next((e.at for e in events if e.kind is EventKind.COMPLETED), None)
    wait = (called[0] - issued).total_seconds() if issued and called else None
    return Timing(wait, handling_seconds(events, completed), len(called))


def handling_seconds(events: Sequence[TicketEvent], completed: datetime | None) -> float | None:
    """Seconds from the last start before `completed` to it; None when never started."""
    if completed is None:
        return None
    started = [e.at for e in events if e.kind is EventKind.STARTED and e.at <= completed]
    return (completed - started[-1]).total_seconds() if started else None
