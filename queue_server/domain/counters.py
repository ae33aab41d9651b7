"""A counter's state as it stands today: open only while a clerk has opened it today.

The database keeps each counter's last state and when it was set. Nothing carries over to
the next day: a counter opened (or paused) yesterday and never closed is closed today, and
one a clerk closed today is "closed for the day" rather than "not opened yet". Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .model import CounterChange, CounterState


@dataclass(frozen=True)
class CounterDay:
    """A counter's state today, and whether it has been opened today at all."""

    state: CounterState
    opened_today: bool

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
    """Empty when asked for; "call" when a first call opened it; "day_end" at midnight."""


NOT_OPENED = CounterDay(CounterState.CLOSED, opened_today=False)


def state_today(
    stored: CounterState, updated_at: datetime | None, day_start: datetime
) -> CounterDay:
    """The state that holds today, from the stored state and when it was set.

    `day_start` is today's local midnight at the site. A state set before it (or never set)
    is yesterday's: the counter is closed and not opened yet today.
    """
    if updated_at is None or updated_at < day_start:
        return NOT_OPENED
    return CounterDay(stored, opened_today=True)


def change(old: CounterState, new: CounterState) -> CounterChange | None:
    """How a move from `old` to `new` is logged; None when nothing changes."""
    if old is new:
        return None
    if new is CounterState.OPEN:
        return CounterChange.RESUMED if old is CounterState.PAUSED else CounterChange.OPENED
    return CounterChange.PAUSED if new is CounterState.PAUSED else CounterChange.CLOSED
