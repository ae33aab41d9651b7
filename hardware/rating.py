"""Satisfaction rating pads: 3 or 5 buttons at a counter, sending ``RATE:<n>`` frames.

A rating pad sits on an input line like a keypad (often the same RS-485 pair, at its own
address). A 3-button pad sends 1-3 (not satisfied, fair, satisfied), a 5-button pad 1-5.
Repeated frames and the same button within ``bounce`` seconds are dropped and counted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from hardware.keypad import InputLine
from hardware.protocol import Key, KeyEvent


@dataclass(frozen=True)
class Rating:
    """One rating from a pad: score 1..buttons, read at monotonic time `at`."""

    line: str
    address: int
    score: int
    buttons: int
    seq: int | None = None
    at: float = field(default=0.0, compare=False)


class RatingPad:
    """A rating pad at an address on an input line."""

    def __init__(
        self, line: InputLine, address: int, *, buttons: int = 5, bounce: float = 0.3
    ) -> None:
        if buttons not in (3, 5):
            raise ValueError("a rating pad has 3 or 5 buttons")
        self.line = line
        self.address = address
        self.buttons = buttons
        self.bounce = bounce
        self.counts: dict[str, int] = {"ratings": 0, "repeats": 0, "bounces": 0, "rejected": 0}
        self.counts.update({f"score_{n}": 0 for n in range(1, buttons + 1)})
        self._listeners: list[Callable[[Rating], None]] = []
        self._last: tuple[int | None, int, float] | None = None
        self._lock = threading.Lock()
        line.attach(address, self)

    def on_rating(self, listener: Callable[[Rating], None]) -> None:
        """Call listener with every accepted rating."""
        self._listeners.append(listener)

    def accept(self, event: KeyEvent, at: float) -> None:
        """Check one frame and pass a rating on."""
        score = int(event.arg) if event.key is Key.RATE and event.arg else 0
        rating = Rating(self.line.link.url, self.address, score, self.buttons, event.seq, at)
        with self._lock:
            verdict = self._judge(rating)
            self.counts[verdict] += 1
            if verdict == "ratings":
                self.counts[f"score_{score}"] += 1
        if verdict == "ratings":
            for listener in self._listeners:
                listener(rating)

    def _judge(self, rating: Rating) -> str:
        if not 1 <= rating.score <= self.buttons:
            return "rejected"
        last, self._last = self._last, (rating.seq, rating.score, rating.at)
        if last is None:
            return "ratings"
        if rating.seq is not None and last[0] == rating.seq:
            self._last = last
            return "repeats"
        if last[1] == rating.score and rating.at - last[2] < self.bounce:
            return "bounces"
        return "ratings"

    @property
    def state(self) -> str:
        """The line's state."""
        return self.line.link.state

    def health_counts(self) -> dict[str, int]:
        """This pad's counts and its line's."""
        with self._lock:
            own = dict(self.counts)
        return {**own, **{f"line_{k}": v for k, v in self.line.counts.items()}}
