"""A per-device sliding-window rate limit (one process; a kiosk talks to one server)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most `per_minute` hits per key in any 60-second window."""

    def __init__(self, per_minute: int, now: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._now = now
        self._hits: dict[object, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: object) -> bool:
        """Record a hit for key and say whether it is within the limit."""
        now = self._now()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= 60.0:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            return True
