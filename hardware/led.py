"""LED / 7-segment counter boards: show the counter's current number.

A board shows the number of the ticket its counter called ("A012"), "--" while the counter
is paused, and nothing when the counter is closed or has nobody. Several boards may share
one RS-485 line at different addresses. The board remembers what it should show, so after
its line comes back (unplugged cable, power cut at the board) it is driven again.
"""

from __future__ import annotations

import threading

from hardware.protocol import DisplayProtocol, clean_text
from hardware.serial_link import OK, SerialLink

PAUSED_TEXT = "--"


def counter_text(state: str | None, number: str | None) -> str:
    """What a counter's board shows: its number, "--" when paused, "" when closed or idle."""
    if state == "closed":
        return ""
    if state == "paused":
        return PAUSED_TEXT
    return clean_text(number or "")


class LedBoard:
    """One board at an address on a line; writes only through the display protocol."""

    def __init__(self, link: SerialLink, address: int, protocol: DisplayProtocol) -> None:
        self.link = link
        self.address = address
        self.protocol = protocol
        self.text: str | None = None  # None until the agent knows what to show
        self.counts = {"shows": 0, "blanks": 0, "redrives": 0, "write_errors": 0}
        self._lock = threading.Lock()
        link.on_state(self._on_state)

    def show(self, text: str, *, force: bool = False) -> bool:
        """Show text ("" blanks); skipped when already shown, unless force. False if unsent."""
        text = clean_text(text)
        with self._lock:
            if text == self.text and not force:
                return True
            self.text = text
            return self._write()

    def redrive(self) -> bool:
        """Send what the board should show again (after a resync or a reconnect)."""
        with self._lock:
            if self.text is None:
                return True
            self.counts["redrives"] += 1
            return self._write()

    def _write(self) -> bool:
        assert self.text is not None
        if self.text:
            data = self.protocol.encode_show(self.address, self.text)
            self.counts["shows"] += 1
        else:
            data = self.protocol.encode_blank(self.address)
            self.counts["blanks"] += 1
        sent = self.link.write(data)
        if not sent:
            self.counts["write_errors"] += 1
        return sent

    def _on_state(self, state: str) -> None:
        if state == OK:
            self.redrive()

    @property
    def state(self) -> str:
        """The line's state."""
        return self.link.state

    def health_counts(self) -> dict[str, int]:
        """What was sent to this board, and its line's opens and disconnects."""
        with self._lock:
            own = dict(self.counts)
        return {**own, **{f"line_{k}": v for k, v in self.link.counts.items()}}
