"""Waiting and handling times, derived from a ticket's log alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .model import EventKind, TicketEvent


@dataclass(frozen=True)
class Timing:
    """Seconds a ticket waited before its first call and spent being served (None if not yet)."""

    wait_seconds: float | None
    service_seconds: float | None
    calls: int


def timing(events: Sequence[TicketEvent]) -> Timing:
    """Wait = issue to first call; service = last call (or start) to completion."""
    issued = next((e.at for e in events if e.kind is EventKind.ISSUED), None)
    called = [e.at for e in events if e.kind is EventKind.CALLED]
    started = [e.at for e in events if e.kind is EventKind.STARTED]
    completed = next((e.at for e in events if e.kind is EventKind.COMPLETED), None)
    wait = (called[0] - issued).total_seconds() if issued and called else None
    service = None
    if completed and (started or called):
        begin = started[-1] if started else called[-1]
        service = (completed - begin).total_seconds()
    return Timing(wait, service, len(called))
