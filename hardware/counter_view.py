"""What each counter shows, mirrored from /display: a snapshot, then events in seq order.

Pure state, no I/O: the agent feeds it the SNAPSHOT and the events it receives (their names
and the LEAVING set come from queue_server.contract.events) and drives the LED boards of the
counters it reports as changed. /display carries no ticket ids: a ticket is known by its
printed number, unique per site and day. python-socketio runs each incoming
message in its own thread, so events can arrive out of order: they are held until the
missing seq arrives, and a gap that stays open (or a new epoch) asks for a resync.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from hardware.led import counter_text
from queue_server.contract.events import LEAVING, Event

MAX_PENDING = 200


@dataclass
class CounterView:
    """One counter as its board needs it."""

    state: str | None = None
    number: str | None = None

    @property
    def text(self) -> str:
        """What the counter's board shows."""
        return counter_text(self.state, self.number)


@dataclass(frozen=True)
class Applied:
    """The result of feeding an event: counters whose board may change, and whether to sync."""

    changed: frozenset[int] = frozenset()
    need_sync: bool = False


class CounterMirror:
    """Counter states and current tickets, kept from one epoch's events in seq order."""

    def __init__(self) -> None:
        self.epoch: str | None = None
        self.seq = -1
        self.counters: dict[int, CounterView] = {}
        self._pending: dict[int, tuple[str, str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def text(self, counter: int) -> str | None:
        """What counter's board shows, or None before the first snapshot."""
        with self._lock:
            view = self.counters.get(counter)
            return None if self.epoch is None or view is None else view.text

    def snapshot(self, snap: dict[str, Any]) -> frozenset[int]:
        """Replace everything with a SNAPSHOT; returns every counter (all boards are re-driven)."""
        with self._lock:
            self.epoch, self.seq = str(snap.get("epoch")), int(snap.get("seq", 0))
            self.counters = {}
            for c in snap.get("counters") or []:
                ticket = c.get("ticket") or {}
                self.counters[int(c["number"])] = CounterView(c.get("state"), ticket.get("number"))
            self._pending = {
                s: p for s, p in self._pending.items() if p[0] == self.epoch and s > self.seq
            }
            changed = set(self.counters) | self._drain()
            return frozenset(changed)

    def event(self, name: str, payload: dict[str, Any]) -> Applied:
        """Apply an event in seq order (later ones wait for the missing seq)."""
        epoch, seq = str(payload.get("epoch")), payload.get("seq")
        if not isinstance(seq, int):
            return Applied()
        with self._lock:
            if self.epoch is None:  # the snapshot is on its way: hold the event
                self._hold(seq, epoch, name, payload)
                return Applied()
            if epoch != self.epoch:
                self._hold(seq, epoch, name, payload)
                return Applied(need_sync=True)
            if seq <= self.seq:
                return Applied()  # already in the snapshot, or a duplicate
            self._hold(seq, epoch, name, payload)
            changed = self._drain()
            return Applied(frozenset(changed), need_sync=bool(self._pending))

    def heartbeat(self, payload: dict[str, Any]) -> bool:
        """Whether a heartbeat shows something was missed (so a sync is needed)."""
        with self._lock:
            return str(payload.get("epoch")) != self.epoch or payload.get("seq", -1) > self.seq

    def has_gap(self) -> bool:
        """Events are waiting for a seq that has not arrived."""
        with self._lock:
            return bool(self._pending)

    def _hold(self, seq: int, epoch: str, name: str, payload: dict[str, Any]) -> None:
        if len(self._pending) < MAX_PENDING:
            self._pending[seq] = (epoch, name, payload)

    def _drain(self) -> set[int]:
        """Apply held events that follow the current seq."""
        changed: set[int] = set()
        while (held := self._pending.pop(self.seq + 1, None)) is not None:
            epoch, name, payload = held
            if epoch != self.epoch:
                break
            self.seq += 1
            changed |= self._apply(name, payload)
        return changed

    def _apply(self, name: str, payload: dict[str, Any]) -> set[int]:
        ticket = payload.get("ticket") or {}
        counter = payload.get("counter") or {}
        if name == Event.CALLED and "number" in counter:
            view = self.counters.setdefault(int(counter["number"]), CounterView("open"))
            view.number = ticket.get("number")
            return {int(counter["number"])}
        if name == Event.COUNTER_STATE and "number" in counter:
            view = self.counters.setdefault(int(counter["number"]), CounterView())
            view.state = counter.get("state")
            return {int(counter["number"])}
        if name in LEAVING and ticket.get("number"):
            gone = {n for n, v in self.counters.items() if v.number == ticket["number"]}
            for n in gone:
                self.counters[n].number = None
            return gone
        return set()
