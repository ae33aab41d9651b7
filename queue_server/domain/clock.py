"""Clocks: the real one, and one that tests move by hand."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to; safe to share between threads."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the frozen time."""
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to an aware datetime."""
        with self._lock:
            self._now = when.astimezone(UTC)

    def advance(self, **kwargs: float) -> datetime:
        """Move forward by a timedelta given as keyword arguments (minutes=5)."""
        with self._lock:
            self._now += timedelta(**kwargs)
            return self._now
