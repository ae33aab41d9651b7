"""A counter's state as it stands today: open only while a clerk has opened it today.

The database keeps each counter's last state, when it was set and the staff member it is
open with (its clerk). Nothing carries over to the next day: a counter opened (or paused)
yesterday and never closed is closed today, with nobody, and one a clerk closed today is
"closed for the day" rather than "not opened yet". Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .model import CounterChange, CounterState


@dataclass(frozen=True)
class Clerk:
    """The staff member a counter is open with: their account's username and full name."""

    username: str
    name: str


@dataclass(frozen=True)
class CounterDay:
    """A counter's state today, whether it has been opened today at all, and its clerk."""

    state: CounterState
    opened_today: bool
    clerk: Clerk | None = None
    """Who it is open (or paused) with; None when closed, or opened with a device's code."""

    @property
    def label_code(self) -> str:
        """The message code of its label: a closed counter is "Chưa mở" until opened today."""
        if self.state is CounterState.CLOSED and not self.opened_today:
            return "counter_state.not_opened"
        return f"counter_state.{self.state.value}"


@dataclass(frozen=True)
class CounterLogEntry:
    """One entry of a counter's log: opened, paused, resumed or closed, when, by whom, why."""

    counter: int
    kind: CounterChange
    at: datetime
    actor: str = ""
    cause: str = ""
    """Empty when asked for; "call" when a first call opened it; "day_end" at midnight;
    "sign_out" when its clerk signed out; with `handover`, the clerk who handed it over."""


NOT_OPENED = CounterDay(CounterState.CLOSED, opened_today=False)


def state_today(
    stored: CounterState, updated_at: datetime | None, day_start: datetime,
    clerk: Clerk | None = None,
) -> CounterDay:  # fmt: skip
    """The state that holds today, from the stored state, when it was set and its clerk.

    `day_start` is today's local midnight at the site. A state set before it (or never set)
    is yesterday's: the counter is closed and not opened yet today. A closed counter has no
    clerk.
    """
    if updated_at is None or updated_at < day_start:
        return NOT_OPENED
    return CounterDay(stored, True, clerk if stored is not CounterState.CLOSED else None)


def change(old: CounterState, new: CounterState) -> CounterChange | None:
    """How a move from `old` to `new` is logged; None when nothing changes."""
    if old is new:
        return None
    if new is CounterState.OPEN:
        return CounterChange.RESUMED if old is CounterState.PAUSED else CounterChange.OPENED
    return CounterChange.PAUSED if new is CounterState.PAUSED else CounterChange.CLOSED
