"""Counter keypads on a serial line (RS-232, or RS-485 multi-drop with an address per keypad).

An :class:`InputLine` parses what its :class:`~hardware.serial_link.SerialLink` reads and
hands each press to the device at the press's address; presses for addresses nobody
configured are counted and ignored. A :class:`Keypad` then protects the counter:

- a repeated frame (same press number, e.g. a keypad retransmitting) is dropped;
- the same key again within ``bounce`` seconds of the last one is a bounce, dropped (a
  stuck or hammered key stays a bounce until it has been quiet that long);
- a NEXT while the previous NEXT of that keypad is not settled (the server has not
  answered it yet) is dropped: a counter is never called twice by one impatient clerk.

Listeners get :class:`KeyPress` objects; devices never talk to the server themselves.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from hardware.protocol import Key, KeyEvent, KeypadProtocol, Reject
from hardware.serial_link import OK, SerialLink

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True)
class KeyPress:
    """One accepted press, with the line it came from and when it was read (monotonic)."""

    line: str
    address: int
    key: Key
    arg: str | None = None
    seq: int | None = None
    at: float = field(default=0.0, compare=False)


class Addressed(Protocol):
    """A device on an input line: takes the decoded events for its address."""

    def accept(self, event: KeyEvent, at: float) -> None:
        """Handle one press read at monotonic time `at`."""
        ...


REJECT_COUNTS = {
    Reject.NOISE: "garbage",
    Reject.MALFORMED: "garbage",
    Reject.TOO_LONG: "garbage",
    Reject.BAD_CHECKSUM: "bad_checksum",
    Reject.BAD_ADDRESS: "wrong_address",
    Reject.UNKNOWN_COMMAND: "unknown_key",
}


class InputLine:
    """Parses one keypad line and dispatches presses by address; counts what it drops."""

    def __init__(self, link: SerialLink, protocol: KeypadProtocol, clock: Clock = time.monotonic):
        self.link = link
        self.protocol = protocol
        self.clock = clock
        self.counts = {
            "frames": 0,
            "garbage": 0,
            "bad_checksum": 0,
            "wrong_address": 0,
            "unknown_key": 0,
        }
        self._devices: dict[int, Addressed] = {}
        self._buffer = b""
        self._lock = threading.Lock()
        link.on_data(self.feed)
        link.on_state(self._on_state)

    def attach(self, address: int, device: Addressed) -> None:
        """Route presses for address to device."""
        if address in self._devices:
            raise ValueError(f"{self.link.url}: address {address:02d} is taken twice")
        self._devices[address] = device

    def feed(self, data: bytes) -> None:
        """Bytes read from the line (the link's reader thread calls this)."""
        now = self.clock()
        with self._lock:
            parsed = self.protocol.parse(self._buffer + data)
            self._buffer = parsed.rest
            for reject in parsed.rejects:
                self.counts[REJECT_COUNTS[reject]] += 1
            self.counts["frames"] += len(parsed.events)
        for event in parsed.events:
            device = self._devices.get(event.address)
            if device is None:
                with self._lock:
                    self.counts["wrong_address"] += 1
                continue
            if event.seq is not None:
                ack = self.protocol.encode_ack(event.address, event.seq)
                if ack:
                    self.link.write(ack)
            device.accept(event, now)

    def _on_state(self, state: str) -> None:
        if state != OK:
            with self._lock:
                self._buffer = b""  # half a frame from before the unplug is no frame


class Keypad:
    """One counter keypad: an address on an input line, with flood protection."""

    def __init__(
        self,
        line: InputLine,
        address: int,
        *,
        bounce: float = 0.3,
        repeat_window: float = 5.0,
    ) -> None:
        self.line = line
        self.address = address
        self.bounce = bounce
        self.repeat_window = repeat_window
        self.counts = {"presses": 0, "repeats": 0, "bounces": 0, "next_in_flight": 0}
        self._listeners: list[Callable[[KeyPress], None]] = []
        self._last_seen: dict[tuple[Key, str | None], float] = {}
        self._last_seq: tuple[int, float] | None = None
        self._next_in_flight: KeyPress | None = None
        self._lock = threading.Lock()
        line.attach(address, self)

    def on_key(self, listener: Callable[[KeyPress], None]) -> None:
        """Call listener with every accepted press."""
        self._listeners.append(listener)

    def accept(self, event: KeyEvent, at: float) -> None:
        """Filter one press (repeat, bounce, NEXT in flight) and tell the listeners."""
        press = KeyPress(self.line.link.url, self.address, event.key, event.arg, event.seq, at)
        with self._lock:
            verdict = self._judge(press)
            self.counts[verdict] += 1
        if verdict != "presses":
            log.debug(
                "keypad %s#%02d: %s dropped (%s)", press.line, self.address, press.key, verdict
            )
            return
        for listener in self._listeners:
            listener(press)

    def _judge(self, press: KeyPress) -> str:
        """The count a press goes to: "presses" when accepted."""
        if press.seq is not None:
            last = self._last_seq
            if (
                last is not None
                and last[0] == press.seq
                and press.at - last[1] < self.repeat_window
            ):
                return "repeats"
            self._last_seq = (press.seq, press.at)
        slot = (press.key, press.arg)
        previous = self._last_seen.get(slot)
        self._last_seen[slot] = press.at
        if previous is not None and press.at - previous < self.bounce:
            return "bounces"
        if press.key is Key.NEXT:
            if self._next_in_flight is not None:
                return "next_in_flight"
            self._next_in_flight = press
        return "presses"

    def settle(self, press: KeyPress) -> None:
        """The server answered press (or it was given up): a new NEXT may go."""
        with self._lock:
            if self._next_in_flight is press:
                self._next_in_flight = None

    @property
    def state(self) -> str:
        """The line's state: ok, disconnected or error."""
        return self.line.link.state

    def health_counts(self) -> dict[str, int]:
        """This keypad's counts and its line's (garbage, checksums, wrong addresses)."""
        with self._lock:
            own = dict(self.counts)
        return {
            **own,
            **{f"line_{k}": v for k, v in self.line.counts.items()},
            **{f"line_{k}": v for k, v in self.line.link.counts.items()},
        }
