"""Event names, the in-process event bus and the display sequence (epoch + seq).

The names and payloads are declared in queue_server.contract.events; the aliases here
are what the desk uses.

The desk publishes DeskEvents after each commit; listeners (the Socket.IO
broadcaster, later voice and device agents) subscribe. Nothing here imports
Flask or Socket.IO.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .contract.events import SPECS, Event
from .domain.counters import Clerk
from .domain.model import Counter, CounterState, Ticket

log = logging.getLogger(__name__)

TICKET_ISSUED = Event.ISSUED
TICKET_CALLED = Event.CALLED
TICKET_COMPLETED = Event.COMPLETED
TICKET_NO_SHOW = Event.NO_SHOW
TICKET_TRANSFERRED = Event.TRANSFERRED
TICKET_RETURNED = Event.RETURNED
TICKET_CANCELLED = Event.CANCELLED
TICKET_STARTED = Event.STARTED
COUNTER_STATE = Event.COUNTER_STATE

DISPLAY_EVENTS: dict[str, str] = {str(e): spec.description for e, spec in SPECS.items()}
"""Every event of the /display namespace with its description (the README's events table)."""


@dataclass(frozen=True)
class DeskEvent:
    """Something that happened at a site, after it was committed."""

    name: str
    site: str
    ticket: Ticket | None = None
    counter: Counter | None = None
    counter_state: CounterState | None = None
    opened_today: bool = True
    """With counter_state closed: False when it has not been opened today ("Chưa mở")."""
    clerk: Clerk | None = None
    """With counter_state: the staff member the counter is open with."""
    recall: bool = False
    previous_service: str | None = None


Listener = Callable[[DeskEvent], None]


class EventBus:
    """Synchronous fan-out to listeners; a failing listener is logged, never fatal."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Register a listener for every event."""
        self._listeners.append(listener)

    def publish(self, event: DeskEvent) -> None:
        """Deliver an event to every listener."""
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not undo a committed action
                log.exception("event listener failed on %s", event.name)


class Sequencer(Protocol):
    """Gives each display event of a site its (epoch, seq)."""

    def next(self, site: str) -> tuple[str, int]: ...

    def current(self, site: str) -> tuple[str, int]: ...


class LocalSequencer:
    """One process: the epoch is new at every start, seq counts in memory."""

    def __init__(self) -> None:
        self.epoch = secrets.token_hex(8)
        self._seq: dict[str, int] = {}
        self._lock = threading.Lock()

    def next(self, site: str) -> tuple[str, int]:
        """Take the next seq."""
        with self._lock:
            self._seq[site] = self._seq.get(site, 0) + 1
            return self.epoch, self._seq[site]

    def current(self, site: str) -> tuple[str, int]:
        """The last seq handed out."""
        with self._lock:
            return self.epoch, self._seq.get(site, 0)


class RedisSequencer:
    """Several processes: epoch and seq live in Redis, so seq grows by 1 across all of them.

    The epoch is created once (SET NX) and changes only if Redis loses it, in
    which case seq restarts too and clients resync on the new epoch.
    """

    def __init__(self, redis_client: Any, prefix: str = "motcua") -> None:
        self.redis = redis_client
        self.prefix = prefix
        self._script = self.redis.register_script(
            """
            local epoch = redis.call('GET', KEYS[1])
            if not epoch then
              epoch = ARGV[1]
              redis.call('SET', KEYS[1], epoch)
              redis.call('DEL', KEYS[2])
            end
            local seq = 0
            if ARGV[2] == '1' then
              seq = redis.call('INCR', KEYS[2])
            else
              seq = tonumber(redis.call('GET', KEYS[2]) or '0')
            end
            return {epoch, seq}
            """
        )

    def _call(self, site: str, incr: bool) -> tuple[str, int]:
        keys = [f"{self.prefix}:{site}:epoch", f"{self.prefix}:{site}:seq"]
        epoch, seq = self._script(keys=keys, args=[secrets.token_hex(8), "1" if incr else "0"])
        if isinstance(epoch, bytes):
            epoch = epoch.decode()
        return str(epoch), int(seq)

    def next(self, site: str) -> tuple[str, int]:
        """INCR the site's seq atomically with its epoch."""
        return self._call(site, True)

    def current(self, site: str) -> tuple[str, int]:
        """The site's epoch and last seq."""
        return self._call(site, False)
