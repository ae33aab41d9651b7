"""Bounded writes to printer links: a stalled printer must cost a timeout, never a hung kiosk.

These raise plain OSError / TimeoutError; the printer driver maps them to fault codes.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import time
from collections.abc import Callable


def socket_unacked(sock: socket.socket) -> int | None:
    """Bytes the peer has not acknowledged yet (Linux SIOCOUTQ), or None where unknown."""
    try:
        import fcntl
        import termios

        raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (ImportError, AttributeError, OSError):
        return None
    return int(struct.unpack("i", raw)[0])


def wait_until_sent(pending: Callable[[], int | None], deadline: float, what: str) -> None:
    """Poll until pending() reports nothing left (or cannot tell); TimeoutError at deadline.

    After sendall() the bytes may still sit in our kernel's buffer: a jammed printer
    stops acknowledging, and only this wait notices it.
    """
    while left := pending():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{left} bytes of the job not taken by {what}")
        time.sleep(0.02)


def write_device_file(path: str, data: bytes, timeout: float) -> None:
    """Append data to an existing device file (e.g. /dev/usb/lp0) within timeout.

    Unlike open(path, "wb") this never creates a plain file in /dev when the printer is
    unplugged (FileNotFoundError instead), and a printer that stops taking data costs a
    TimeoutError rather than a write() blocked for ever.
    """
    deadline = time.monotonic() + timeout
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)
    try:
        view = memoryview(data)
        while view:
            with contextlib.suppress(BlockingIOError):  # printer busy: wait below
                view = view[os.write(fd, view) :]
            if not view:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(view)} bytes of the job not taken by {path}")
            select.select([], [fd], [], min(left, 0.1))
    finally:
        os.close(fd)
