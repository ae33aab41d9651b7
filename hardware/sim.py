"""Simulated keypads and LED boards that speak motcua-v1 over a real pty or TCP socket.

The agent opens them exactly as it opens hardware: a pty's slave through a stable symlink
(like ``/dev/serial/by-id/...``), or ``socket://127.0.0.1:PORT`` (like a serial-to-LAN
converter). Either can be unplugged and plugged back to test recovery.

Try it (three terminals; see README.md, "Counter hardware")::

    python -m hardware.sim serve --dir /tmp/motcua-sim      # keypad line + LED line
    python -m hardware.sim press 3 next                     # keypad 03 presses NEXT
    python -m hardware.sim led watch                        # what the LED boards show
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import socket
import sys
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from hardware.protocol import Frame, Key, decode_display, decode_key, encode_key, parse_frames

DEFAULT_DIR = Path("/tmp/motcua-sim")


class SimPort(Protocol):
    """The device end of a simulated line."""

    url: str

    def plug(self) -> None:
        """Make the line available."""
        ...

    def unplug(self) -> None:
        """Make the line disappear, as a pulled USB adapter does."""
        ...

    def write(self, data: bytes) -> bool:
        """Send bytes to the agent; False when nobody is there."""
        ...

    def read(self, timeout: float) -> bytes:
        """Bytes from the agent, b"" when none came within timeout."""
        ...


class PtyPort:
    """A pty pair: the agent opens the slave through `path`, a symlink that comes and goes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        self._master: int | None = None
        self._slave: int | None = None
        self._lock = threading.Lock()

    def plug(self) -> None:
        """Create a new pty and point the symlink at it."""
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/LF translation before the agent sets its modes
        os.set_blocking(master, False)
        with self._lock:
            self._master, self._slave = master, slave
        tmp = self.path.with_name(self.path.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(self.path)

    def unplug(self) -> None:
        """Remove the symlink and close both ends: the agent's reads fail, opens find nothing."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        with self._lock:
            fds, self._master, self._slave = (self._master, self._slave), None, None
        for fd in fds:
            if fd is not None:
                os.close(fd)

    def write(self, data: bytes) -> bool:
        """Write to the master side."""
        with self._lock:
            if self._master is None:
                return False
            view = memoryview(data)
            while view:
                try:
                    view = view[os.write(self._master, view) :]
                except BlockingIOError:
                    select.select([], [self._master], [], 0.05)
            return True

    def read(self, timeout: float) -> bytes:
        """Read from the master side."""
        master = self._master
        if master is None:
            time.sleep(timeout)
            return b""
        try:
            ready, _, _ = select.select([master], [], [], timeout)
            return os.read(master, 4096) if ready else b""
        except OSError:  # closed under us by unplug()
            return b""


class TcpPort:
    """A TCP listener on 127.0.0.1 standing for a serial-to-LAN converter (socket://)."""

    def __init__(self, port: int = 0) -> None:
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None
        self.port = port
        self.url = ""
        self._lock = threading.Lock()

    def plug(self) -> None:
        """Listen (on the same port as before, after an unplug)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(1)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self.url = f"socket://127.0.0.1:{self.port}"
        self._listener = listener

    def unplug(self) -> None:
        """Close the connection and stop listening."""
        with self._lock:
            conn, self._conn = self._conn, None
            listener, self._listener = self._listener, None
        for s in (conn, listener):
            if s is not None:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def _accept(self, timeout: float) -> socket.socket | None:
        listener = self._listener
        if self._conn is None and listener is not None:
            with contextlib.suppress(OSError, ValueError):  # closed by unplug() meanwhile
                ready, _, _ = select.select([listener], [], [], timeout)
                with self._lock:  # the reader and a writer may both see it ready
                    if ready and self._conn is None:
                        conn, _ = listener.accept()  # non-blocking: BlockingIOError if taken
                        conn.setblocking(True)
                        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        self._conn = conn
        return self._conn

    def write(self, data: bytes) -> bool:
        """Send to the connected agent."""
        conn = self._accept(0.0)
        if conn is None:
            return False
        try:
            conn.sendall(data)
            return True
        except OSError:
            return False

    def read(self, timeout: float) -> bytes:
        """Receive from the connected agent (accepting it first)."""
        conn = self._accept(timeout)
        if conn is None:
            time.sleep(timeout if self._listener is None else 0)
            return b""
        try:
            ready, _, _ = select.select([conn], [], [], timeout)
            data = conn.recv(4096) if ready else b""
        except OSError:
            return b""
        if ready and not data:  # the agent closed: wait for it to come back
            with self._lock:
                if self._conn is conn:
                    self._conn = None
            conn.close()
        return data


class _Device:
    """A simulated device with a thread reading what the agent sends."""

    def __init__(self, port: SimPort) -> None:
        self.port = port
        self.garbage = 0
        self._buffer = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name=f"sim {port.url}")

    def start(self) -> None:
        """Plug the port in and start reading."""
        self.port.plug()
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and unplug."""
        self._stop.set()
        self._thread.join(2)
        self.port.unplug()

    def _loop(self) -> None:
        while not self._stop.is_set():
            data = self.port.read(0.05)
            if not data:
                continue
            at = time.perf_counter()
            parsed = parse_frames(self._buffer + data)
            self._buffer = parsed.rest
            self.garbage += parsed.garbage
            for frame in parsed.frames:
                self.received(frame.address, frame.body, frame.seq, at)

    def received(self, address: int, body: str, seq: int | None, at: float) -> None:
        """One frame from the agent."""


class SimulatedKeypad(_Device):
    """Keypads on one line: press() sends frames; ACKs from the agent are recorded."""

    def __init__(self, port: SimPort) -> None:
        super().__init__(port)
        self.acks: list[tuple[int, int]] = []
        self._seq: dict[int, int] = {}

    def press(
        self,
        address: int,
        key: Key | str,
        arg: str | None = None,
        *,
        seq: int | None = -1,
        resend: float = 0.0,
    ) -> bytes:
        """Press a key on keypad `address` (seq -1: the next press number; None: no number).

        With resend > 0 the keypad repeats the frame every 0.2 s until the agent ACKs it or
        `resend` seconds pass, as a keypad with a retransmit timer does.
        """
        if seq == -1:
            seq = self._seq[address] = (self._seq.get(address, 0) + 1) % 65536
        frame = encode_key(address, str(key).upper(), arg, seq)
        self.send(frame)
        if resend > 0 and seq is not None:
            threading.Thread(
                target=self._resend, args=(address, seq, frame, resend), daemon=True
            ).start()
        return frame

    def _resend(self, address: int, seq: int, frame: bytes, resend: float) -> None:
        deadline = time.monotonic() + resend
        while time.monotonic() < deadline and not self._stop.wait(0.2):
            if (address, seq) in self.acks:
                return
            self.send(frame)

    def send(self, data: bytes) -> bool:
        """Put raw bytes on the line (garbage, partial frames, floods)."""
        return self.port.write(data)

    def received(self, address: int, body: str, seq: int | None, at: float) -> None:
        if body == "ACK" and seq is not None:
            self.acks.append((address, seq))


class SimulatedLed(_Device):
    """LED boards on one line: remembers what each address shows and when it changed."""

    def __init__(self, port: SimPort) -> None:
        super().__init__(port)
        self.shown: dict[int, str] = {}
        self.history: list[tuple[float, int, str]] = []
        self.listeners: list[Callable[[int, str, float], None]] = []
        self._changed = threading.Condition()

    def received(self, address: int, body: str, seq: int | None, at: float) -> None:
        text = decode_display(Frame(address, body, seq))
        if not isinstance(text, str):
            self.garbage += text is not None
            return
        with self._changed:
            self.shown[address] = text
            self.history.append((at, address, text))
            self._changed.notify_all()
        for listener in self.listeners:
            listener(address, text, at)

    def wait_for(self, address: int, text: str, timeout: float = 5.0) -> bool:
        """Wait until board `address` shows text."""
        with self._changed:
            return self._changed.wait_for(lambda: self.shown.get(address) == text, timeout)

    def frames_for(self, address: int) -> list[str]:
        """Everything board `address` was told to show, oldest first."""
        with self._changed:
            return [t for _, a, t in self.history if a == address]


# ----- the command line: python -m hardware.sim serve | press | led watch


def _serve(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    keypads = SimulatedKeypad(PtyPort(directory / "keypads"))
    leds = SimulatedLed(PtyPort(directory / "leds"))
    keypads.start()
    leds.start()
    watchers: list[socket.socket] = []
    lock = threading.Lock()

    def changed(address: int, text: str, at: float) -> None:
        line = f"led {address:02d} {text or '(blank)'}\n".encode()
        print(
            f"{time.strftime('%H:%M:%S')}  LED {address:02d}: {text or '(tắt / blank)'}", flush=True
        )
        with lock:
            for w in list(watchers):
                try:
                    w.sendall(line)
                except OSError:
                    watchers.remove(w)

    leds.listeners.append(changed)
    control = directory / "control"
    with contextlib.suppress(FileNotFoundError):
        control.unlink()
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(control))
    server.listen(8)
    print(
        f"keypad line: {keypads.port.url}\nLED line:    {leds.port.url}\n"
        f"control:     {control}  (python -m hardware.sim press 3 next | led watch)",
        flush=True,
    )

    def client(conn: socket.socket) -> None:
        reply = _command(conn.makefile().readline().split(), keypads, leds)
        if reply == "watch":
            conn.sendall(
                "".join(
                    f"led {a:02d} {t or '(blank)'}\n" for a, t in sorted(leds.shown.items())
                ).encode()
            )
            with lock:
                watchers.append(conn)
            return
        conn.sendall(reply.encode() + b"\n")
        conn.close()

    try:
        while True:
            conn, _ = server.accept()
            threading.Thread(target=client, args=(conn,), daemon=True).start()
    except KeyboardInterrupt:
        return 0
    finally:
        server.close()
        control.unlink(missing_ok=True)
        keypads.stop()
        leds.stop()


def _command(words: list[str], keypads: SimulatedKeypad, leds: SimulatedLed) -> str:
    if words[:1] == ["watch"]:
        return "watch"
    if len(words) in (3, 4) and words[0] == "press" and words[1].isdigit():
        key = words[2].upper()
        if key not in Key.__members__:
            keys = ", ".join(k.lower() for k in Key.__members__)
            return f"error: unknown key {words[2]!r}; keys: {keys}"
        arg = words[3].upper() if len(words) == 4 else None
        body = key + (f":{arg}" if arg else "")
        if not 1 <= int(words[1]) <= 32 or decode_key(Frame(1, body)) is None:
            return (
                "error: expected an address 1-32; xfer needs a service code, call a number, "
                "rate 1-5"
            )
        frame = keypads.press(int(words[1]), key, arg)
        return f"ok sent {frame.decode().strip()}"
    return "error: expected 'press ADDRESS KEY [ARG]' or 'watch'"


def _client(directory: Path, line: str, follow: bool) -> int:
    conn = socket.socket(socket.AF_UNIX)
    try:
        conn.connect(str(directory / "control"))
    except OSError as err:
        print(
            f"no simulator at {directory} ({err}); start: python -m hardware.sim serve",
            file=sys.stderr,
        )
        return 2
    conn.sendall(line.encode() + b"\n")
    try:
        for reply in conn.makefile():
            print(reply.rstrip(), flush=True)
            if not follow:
                break
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m hardware.sim serve | press ADDRESS KEY [ARG] | led watch`."""
    p = argparse.ArgumentParser(prog="python -m hardware.sim", description=__doc__.split("\n")[0])
    p.add_argument(
        "--dir", type=Path, default=DEFAULT_DIR, help=f"where the lines live ({DEFAULT_DIR})"
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run a keypad line and an LED line on ptys")
    press = sub.add_parser("press", help="press a key on a simulated keypad")
    press.add_argument("address", type=int, help="keypad address (01-32)")
    press.add_argument("key", help="next, recall, noshow, done, xfer, pause, resume, rate")
    press.add_argument("arg", nargs="?", help="service code for xfer, 1-5 for rate")
    led = sub.add_parser("led", help="LED boards")
    led.add_argument("what", choices=["watch"], help="print what the boards show as it changes")
    args = p.parse_args(argv)
    if args.command == "serve":
        return _serve(args.dir)
    if args.command == "press":
        words = ["press", str(args.address), args.key] + ([args.arg] if args.arg else [])
        return _client(args.dir, " ".join(words), follow=False)
    return _client(args.dir, "watch", follow=True)


if __name__ == "__main__":
    raise SystemExit(main())
