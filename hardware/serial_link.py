"""One serial line: opened by URL, read in a short loop, re-opened with backoff after an unplug.

Any pyserial URL works (pyserial's ``serial_for_url``): ``/dev/ttyUSB0``,
``/dev/serial/by-id/usb-FTDI_...-if00-port0``, ``socket://10.0.0.7:4001`` (a serial-to-LAN
converter), ``loop://``. A port that disappears (USB adapter pulled, converter rebooted)
turns the line "disconnected"; the loop keeps trying to open it again, 0.2 s, 0.4 s, ...
up to 5 s apart, and the line is "ok" again as soon as it opens.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

OK, ERROR, DISCONNECTED = "ok", "error", "disconnected"
PARITIES = {"N": "N", "E": "E", "O": "O"}


class DeviceError(Exception):
    """A device or its line failed; the message says which port and what happened.

    `state` is what the failure means for the line: "disconnected" (nothing there: unplugged,
    refused) or "error" (something there we cannot use: no permission, busy, bad settings).
    """

    def __init__(self, message: str, state: str = DISCONNECTED) -> None:
        super().__init__(message)
        self.state = state


class Port(Protocol):
    """The part of a pyserial port the line uses (anything with read/write/close)."""

    @property
    def in_waiting(self) -> int:
        """Bytes ready to read."""
        ...

    def read(self, size: int = 1) -> bytes:
        """Up to size bytes; b"" after the read timeout."""
        ...

    def write(self, data: bytes) -> int | None:
        """Send bytes."""
        ...

    def close(self) -> None:
        """Release the port."""
        ...


@dataclass(frozen=True)
class LineSettings:
    """How to open a line: pyserial URL and serial settings (ignored by socket://)."""

    url: str
    baudrate: int = 9600
    parity: str = "N"
    read_timeout: float = 0.2
    write_timeout: float = 1.0


def open_serial(settings: LineSettings) -> Port:
    """Open a pyserial port for the settings; DeviceError when it cannot be opened."""
    import serial

    try:
        port = serial.serial_for_url(settings.url, do_not_open=True)
        port.baudrate = settings.baudrate
        port.parity = PARITIES[settings.parity]
        port.timeout = settings.read_timeout
        port.write_timeout = settings.write_timeout
        port.open()
    except (OSError, ValueError, serial.SerialException) as err:
        broken = isinstance(err, ValueError) or _errno(err) in UNUSABLE
        raise DeviceError(f"{settings.url}: {err}", ERROR if broken else DISCONNECTED) from err
    return port  # type: ignore[no-any-return]


# Something is there but we cannot use it: no permission, another program has it, not a tty.
UNUSABLE = (errno.EACCES, errno.EPERM, errno.EBUSY, errno.ENOTTY)


def _errno(err: BaseException | None) -> int | None:
    """The errno behind an exception; pyserial wraps OSError and termios.error in its own."""
    while err is not None:
        code = getattr(err, "errno", None)
        if code is None and err.args and isinstance(err.args[0], int):
            code = err.args[0]
        if code is not None:
            return int(code)
        err = err.__cause__ or err.__context__
    return None


Opener = Callable[[LineSettings], Port]


class SerialLink:
    """A serial line with a reader thread; listeners get the bytes and the line's state."""

    def __init__(
        self,
        settings: LineSettings,
        *,
        opener: Opener = open_serial,
        backoff: tuple[float, float] = (0.2, 5.0),
    ) -> None:
        self.settings = settings
        self.opener = opener
        self.backoff = backoff
        self.state = DISCONNECTED
        self.detail = "not opened yet"
        self.counts: dict[str, int] = {"opens": 0, "disconnects": 0, "write_errors": 0}
        self._data_listeners: list[Callable[[bytes], None]] = []
        self._state_listeners: list[Callable[[str], None]] = []
        self._port: Port | None = None
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The port's URL or path."""
        return self.settings.url

    def on_data(self, listener: Callable[[bytes], None]) -> None:
        """Call listener with every chunk read (in the reader thread)."""
        self._data_listeners.append(listener)

    def on_state(self, listener: Callable[[str], None]) -> None:
        """Call listener with "ok" / "disconnected" / "error" whenever the state changes."""
        self._state_listeners.append(listener)

    def start(self) -> None:
        """Start the reader thread (it opens the port)."""
        self._thread = threading.Thread(target=self._run, name=f"line {self.url}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and close the port."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._close()

    def write(self, data: bytes) -> bool:
        """Send bytes if the line is open; False (and counted) when they could not be sent."""
        with self._write_lock:
            port = self._port
            if port is None:
                self.counts["write_errors"] += 1
                return False
            try:
                port.write(data)
                return True
            except Exception as err:  # pyserial raises SerialException/SerialTimeoutException
                self.counts["write_errors"] += 1
                log.warning("%s: write failed: %s", self.url, err)
                return False

    def _run(self) -> None:
        delay = self.backoff[0]
        while not self._stop.is_set():
            try:
                port = self.opener(self.settings)
            except DeviceError as err:
                log.debug("cannot open: %s", err)
                self._set_state(err.state, str(err))
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff[1])
                continue
            delay = self.backoff[0]
            with self._write_lock:
                self._port = port
            self.counts["opens"] += 1
            self._set_state(OK, "open")
            self._read(port)

    def _read(self, port: Port) -> None:
        """Read until stopped or the port fails (unplugged: pyserial raises on read)."""
        while not self._stop.is_set():
            try:
                data = port.read(port.in_waiting or 1)
            except Exception as err:  # SerialException, OSError: the device went away
                error = DeviceError(f"{self.url}: {err}")
                self.counts["disconnects"] += 1
                log.warning("line lost: %s", error)
                self._close()
                self._set_state(DISCONNECTED, str(error))
                return
            for listener in self._data_listeners if data else ():
                try:
                    listener(data)
                except Exception:  # a bug in a device must not look like an unplug
                    log.exception("%s: data listener failed", self.url)

    def _close(self) -> None:
        with self._write_lock:
            port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except Exception:
                log.debug("%s: error while closing", self.url, exc_info=True)

    def _set_state(self, state: str, detail: str) -> None:
        self.detail = detail
        if state == self.state:
            return
        self.state = state
        log.info("%s: %s (%s)", self.url, state, detail)
        for listener in self._state_listeners:
            try:
                listener(state)
            except Exception:
                log.exception("%s: state listener failed", self.url)


def wait_until(check: Callable[[], Any], timeout: float, interval: float = 0.01) -> Any:
    """Poll check() until it returns something truthy; its last value after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
