"""The hall's announcement queue: each call gets a slot, so screens show what the voice says.

A site is one hall with one loudspeaker queue (the lobby screens beside the speaking one
run with `?audio=0`, and the server's own player plays a site's calls one at a time), so
the schedule is kept per site: a call's slot starts when the previous call's slot ends,
or now when the hall is quiet, and lasts as long as its audio (or an estimate when voice
is off). Every lobby screen shows in its main panel the call whose slot is running and
the calls still to be read in its "Đang chờ đọc" strip; the speaking one starts each
audio at its slot.

With several server processes the schedule lives in Redis (one Lua script books a slot
atomically against Redis's own clock, so processes on machines with slightly different
clocks still book one after another); with one process it lives in memory. Times are
milliseconds since the Unix epoch on the schedule's clock, which snapshots and
heartbeats publish so that a browser with a skewed clock computes its offset.

Nothing here imports Flask or Socket.IO.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

PAUSE_MS = 500
"""A breath after each announcement before the next: part of each call's slot, so a late
start on one screen does not push the next call back."""

KEEP_MS = 60 * 60 * 1000
"""How long Redis keeps a site's queue after its last booking: far longer than any queue of
calls waiting to be read (slots already over are dropped at each booking)."""


@dataclass(frozen=True)
class Slot:
    """When a call's announcement starts and how long it lasts (ms on the schedule's clock)."""

    start_ms: int
    length_ms: int
    entry: dict[str, Any]

    @property
    def end_ms(self) -> int:
        """When the next call's announcement may start."""
        return self.start_ms + self.length_ms


class Schedule(Protocol):
    """Books announcement slots for a site and says which are not over yet."""

    def now_ms(self) -> int: ...

    def book(self, site: str, length_ms: int, entry: dict[str, Any]) -> Slot: ...

    def pending(self, site: str) -> list[Slot]: ...


class LocalSchedule:
    """One process: slots in memory, on this machine's clock."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._slots: dict[str, list[Slot]] = {}
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """This machine's clock in ms."""
        return int(self._clock() * 1000)

    def book(self, site: str, length_ms: int, entry: dict[str, Any]) -> Slot:
        """The next slot of the site: after the last one booked, never before now."""
        with self._lock:
            now = self.now_ms()
            slots = [s for s in self._slots.get(site, []) if s.end_ms > now]
            start = max([now, *(s.end_ms for s in slots)])
            slot = Slot(start, max(0, length_ms), entry)
            self._slots[site] = [*slots, slot]
            return slot

    def pending(self, site: str) -> list[Slot]:
        """Slots running or still to come, in order."""
        with self._lock:
            now = self.now_ms()
            return [s for s in self._slots.get(site, []) if s.end_ms > now]


# KEYS: the site's end key and its pending sorted set (score: end ms).
# ARGV: length ms, the entry (JSON), KEEP_MS. Returns {start, now}.
_BOOK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now, last)
local length = tonumber(ARGV[1])
redis.call('SET', KEYS[1], start + length, 'PX', tonumber(ARGV[3]))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], start + length, start .. '|' .. length .. '|' .. ARGV[2])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]))
return {start, now}
"""

# KEYS: the pending sorted set. Returns {now, member...} of slots ending after now.
_PENDING = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local found = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
table.insert(found, 1, now)
return found
"""


class RedisSchedule:
    """Several processes: one schedule per site in Redis, on Redis's clock."""

    def __init__(self, redis_client: Any, prefix: str = "motcua") -> None:
        self.redis = redis_client
        self.prefix = prefix
        self._book = self.redis.register_script(_BOOK)
        self._pending = self.redis.register_script(_PENDING)

    def _keys(self, site: str) -> list[str]:
        return [f"{self.prefix}:{site}:announce_end", f"{self.prefix}:{site}:announcing"]

    def now_ms(self) -> int:
        """Redis's clock in ms: the one every process books against."""
        seconds, micros = self.redis.time()
        return int(seconds) * 1000 + int(micros) // 1000

    def book(self, site: str, length_ms: int, entry: dict[str, Any]) -> Slot:
        """Book atomically: start = max(Redis now, end of the site's last slot)."""
        length = max(0, int(length_ms))
        data = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        start, _now = self._book(keys=self._keys(site), args=[length, data, KEEP_MS])
        return Slot(int(start), length, entry)

    def pending(self, site: str) -> list[Slot]:
        """Slots running or still to come, in order, as every process booked them."""
        now, *members = self._pending(keys=self._keys(site)[1:])
        del now
        slots = []
        for raw in members:
            text = raw.decode() if isinstance(raw, bytes) else str(raw)
            start, length, data = text.split("|", 2)
            slots.append(Slot(int(start), int(length), json.loads(data)))
        return sorted(slots, key=lambda s: s.start_ms)
