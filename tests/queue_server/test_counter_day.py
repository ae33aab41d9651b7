"""A counter's state today, as pure domain code with a fake clock: closed until opened."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from queue_server.domain.clock import FakeClock
from queue_server.domain.counters import NOT_OPENED, CounterDay, change, state_today
from queue_server.domain.model import CounterChange, CounterState
from tests.conftest import VN, local

S = CounterState


def midnight(clock: FakeClock) -> datetime:
    """Today's local midnight at a site in Vietnam."""
    return clock.now().astimezone(VN).replace(hour=0, minute=0, second=0, microsecond=0)


def test_a_counter_never_opened_is_closed_and_not_opened() -> None:
    clock = FakeClock(local(2026, 11, 26, 7, 0))
    for stored in S:
        assert state_today(stored, None, midnight(clock)) == NOT_OPENED
    assert NOT_OPENED.label_code == "counter_state.not_opened"


def test_opened_today_holds_all_day_and_not_the_next() -> None:
    clock = FakeClock(local(2026, 11, 26, 7, 25))
    opened_at = clock.now()
    clock.advance(hours=16, minutes=30)  # 23:55, same day
    day = state_today(S.OPEN, opened_at, midnight(clock))
    assert day == CounterDay(S.OPEN, opened_today=True)
    assert day.label_code == "counter_state.open"
    clock.advance(minutes=10)  # 00:05 the next day
    assert state_today(S.OPEN, opened_at, midnight(clock)) == NOT_OPENED
    assert state_today(S.PAUSED, opened_at, midnight(clock)) == NOT_OPENED


def test_the_day_is_the_sites_not_utc() -> None:
    # 06:30 in Vietnam is 23:30 UTC the day before: still today at the site.
    clock = FakeClock(local(2026, 11, 26, 6, 30))
    opened_at = clock.now() - timedelta(minutes=20)  # 06:10 local, 23:10 UTC yesterday
    assert state_today(S.OPEN, opened_at, midnight(clock)).state is S.OPEN


def test_closed_today_is_closed_for_the_day() -> None:
    clock = FakeClock(local(2026, 11, 26, 17, 5))
    day = state_today(S.CLOSED, clock.now(), midnight(clock))
    assert day == CounterDay(S.CLOSED, opened_today=True)
    assert day.label_code == "counter_state.closed"


@pytest.mark.parametrize(
    ("old", "new", "logged"),
    [
        (S.CLOSED, S.OPEN, CounterChange.OPENED),
        (S.PAUSED, S.OPEN, CounterChange.RESUMED),
        (S.OPEN, S.PAUSED, CounterChange.PAUSED),
        (S.CLOSED, S.PAUSED, CounterChange.PAUSED),
        (S.OPEN, S.CLOSED, CounterChange.CLOSED),
        (S.PAUSED, S.CLOSED, CounterChange.CLOSED),
        (S.OPEN, S.OPEN, None),
        (S.CLOSED, S.CLOSED, None),
    ],
)
def test_how_each_change_is_logged(old: S, new: S, logged: CounterChange | None) -> None:
    assert change(old, new) is logged
