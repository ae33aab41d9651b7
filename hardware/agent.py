"""The device agent: runs on the PC the counter hardware is wired to.

- Key presses become counter actions (``POST /api/v1/counters/<n>/call-next`` ...) for the
  keypad's counter. Each press gets its own ``Idempotency-Key``; a press the server did not
  answer (network down, server restarting, 5xx) is sent again with the same key, 0.1 s,
  0.2 s, ... up to 2 s apart, until it is answered or ``press_deadline`` passes. The server
  answers a repeated key with its first answer, so a press is applied at most once.
- LED boards follow the ``/display`` Socket.IO namespace: every snapshot (on each connect,
  and on resync) re-drives every board; events update the boards of their counter. The
  python-socketio client reconnects by itself after a dropped connection; after the server
  closes the namespace ("server disconnect") the agent connects again itself.
- Serial lines re-open after an unplug (see :mod:`hardware.serial_link`).
- Every ``health_interval`` seconds, and soon after any line changes state, the devices'
  states and counts go to ``POST /api/v1/agent/health``; staff see them at
  ``GET /api/v1/devices``.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
import uuid
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from hardware.counter_view import CounterMirror
from hardware.delivery import CounterSender, Delivery, Job, press_key
from hardware.devices_config import DevicesConfig, DevicesConfigError, SerialDevice, load_devices
from hardware.keypad import InputLine, Keypad, KeyPress
from hardware.led import LedBoard
from hardware.protocol import Key, display_protocol, keypad_protocol
from hardware.rating import Rating, RatingPad
from hardware.serial_link import OK, LineSettings, Opener, SerialLink, open_serial
from hardware.server_api import Answer, ServerApi, ServerUnavailable
from queue_server.contract.events import NAMESPACE, Event
from queue_server.contract.messages import render

log = logging.getLogger("hardware.agent")

GAP_WAIT = 0.3  # seconds an out-of-order event may wait for the missing one before a resync


class Agent:
    """Keypads, rating pads and LED boards of one PC, bound to counters of one server."""

    def __init__(
        self,
        config: DevicesConfig,
        server_url: str,
        token: str,
        *,
        opener: Opener = open_serial,
        press_deadline: float = 120.0,
    ) -> None:
        import socketio

        self.config = config
        self.server_url = server_url.rstrip("/")
        self.token = token
        self.api = ServerApi(self.server_url, token)
        self.press_deadline = press_deadline
        self.mirror = CounterMirror()
        self.counts = {
            "connects": 0,
            "disconnects": 0,
            "snapshots": 0,
            "events": 0,
            "syncs": 0,
            "connect_failures": 0,
            "reports": 0,
            "report_failures": 0,
        }
        self.ratings_seen: list[Rating] = []
        self._stop = threading.Event()
        self._need_connect = threading.Event()
        self._report_soon = threading.Event()
        self._sync_asked = 0.0
        self._senders: dict[int, CounterSender] = {}
        self._delivery: dict[str, Delivery] = {}
        self.links = {
            port: SerialLink(LineSettings(port, baud, parity), opener=opener)
            for port, (baud, parity) in config.ports().items()
        }
        self._lines: dict[str, InputLine] = {}
        self.keypads = [(d, self._keypad(d)) for d in config.keypads]
        self.rating_pads = [(d, self._rating_pad(d)) for d in config.ratings]
        self.boards = [
            (d, LedBoard(self.links[d.port], d.address, display_protocol(d.protocol)))
            for d in config.leds
        ]
        for link in self.links.values():
            link.on_state(lambda state: self._report_soon.set())
        self.printer = self._printer()
        self.sio = socketio.Client(
            reconnection=True,
            reconnection_delay=0.5,
            reconnection_delay_max=5,
            randomization_factor=0.3,
            handle_sigint=False,
            # Not a browser: send no Origin, like any other non-browser client. The server's
            # origin check is for pages; it would refuse an agent reaching the server through
            # a NAT or proxy address that is not the server's own.
            websocket_extra_options={"suppress_origin": True},
        )
        self.sio.on("connect", self._on_connect, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self.sio.on(Event.SNAPSHOT, self._on_snapshot, namespace=NAMESPACE)
        self.sio.on(Event.HEARTBEAT, self._on_heartbeat, namespace=NAMESPACE)
        # Every event, known or not, is numbered: all go through the mirror to keep seq.
        self.sio.on("*", self._on_event, namespace=NAMESPACE)

    # ----- devices

    def _input(self, d: SerialDevice) -> InputLine:
        line = self._lines.get(d.port)
        if line is None:
            line = InputLine(self.links[d.port], keypad_protocol(d.protocol))
            self._lines[d.port] = line
        return line

    def _keypad(self, d: SerialDevice) -> Keypad:
        keypad = Keypad(self._input(d), d.address, bounce=d.bounce)
        self._delivery[d.id] = Delivery()
        keypad.on_key(partial(self._on_key, d, keypad))
        return keypad

    def _rating_pad(self, d: SerialDevice) -> RatingPad:
        pad = RatingPad(self._input(d), d.address, buttons=d.buttons, bounce=d.bounce)
        pad.on_rating(partial(self._on_rating, d))
        return pad

    def _printer(self) -> Any:
        if self.config.printer_url is None:
            return None
        from hardware.printer import printer_from_url

        return printer_from_url(self.config.printer_url, self.config.data_dir)

    def _sender(self, counter: int) -> CounterSender:
        sender = self._senders.get(counter)
        if sender is None:
            sender = CounterSender(counter, self.api, self._stop, deadline=self.press_deadline)
            sender.on_answer = self._on_answer
            self._senders[counter] = sender
        return sender

    def _on_key(self, d: SerialDevice, keypad: Keypad, press: KeyPress) -> None:
        """A keypad press: ratings are counted, counter keys go to the server in order."""
        if press.key is Key.RATE:
            keypad.settle(press)
            return
        counts = self._delivery[d.id].counts
        job = Job(press, keypad, d, press_key(press), counts)
        if not self._sender(d.counter).submit(job):
            counts["queue_full"] += 1
            keypad.settle(press)

    def _on_answer(self, job: Job, answer: Answer | None) -> None:
        counts = job.counts
        if answer is None:
            counts["expired"] += 1
            return
        counts["answered"] += 1
        counts["replays"] += answer.replay
        if answer.status >= 400:
            counts["rejected"] += 1
            log.info(
                "counter %s: %s refused: %s %s",
                job.device.counter,
                job.press.key,
                answer.status,
                answer.error_code,
            )
        else:
            ticket = answer.body.get("ticket") or {}
            counter = answer.body.get("counter") or {}
            log.info(
                "counter %s: %s -> %s%s",
                job.device.counter,
                job.press.key.value,
                ticket.get("number") if isinstance(ticket, dict) else None,
                f" ({counter.get('state')})" if isinstance(counter, dict) and counter else "",
            )

    def _on_rating(self, d: SerialDevice, rating: Rating) -> None:
        """Send a score for the pad's counter, retried with one Idempotency-Key."""
        self.ratings_seen = [*self.ratings_seen[-99:], rating]
        key = f"rt{rating.address:02d}-{uuid.uuid4().hex}"
        body = {"score": rating.score, "scale": 3 if rating.buttons == 3 else 5}
        path = f"/api/v1/counters/{d.counter}/rating"

        def send() -> None:
            for delay in (0.0, 0.5, 1.0, 2.0, 4.0):
                if self._stop.wait(delay):
                    return
                try:
                    answer = self.api.request("POST", path, body, idempotency_key=key)
                except ServerUnavailable:
                    continue
                if answer.status < 500:
                    log.info("rating %s/%s for counter %s: HTTP %s", rating.score,
                             rating.buttons, d.counter, answer.status)  # fmt: skip
                    return
            log.error("rating for counter %s not delivered", d.counter)

        threading.Thread(target=send, name=f"rating-{d.counter}", daemon=True).start()

    # ----- the server's /display namespace

    def _connect_loop(self) -> None:
        """First connection, and again after the server closed the namespace; with backoff."""
        delay = 0.2
        while not self._stop.is_set():
            self._need_connect.wait(0.5)
            if self._stop.is_set() or not self._need_connect.is_set():
                continue
            auth = {"token": self.token}
            if self.config.agent.site:
                auth["site"] = self.config.agent.site
            try:
                self.sio.connect(
                    self.server_url,
                    auth=auth,
                    namespaces=[NAMESPACE],
                    transports=["websocket"],
                    wait_timeout=5,
                )
            except Exception as err:  # ConnectionError, or ValueError while still closing
                self.counts["connect_failures"] += 1
                log.info("socket.io connect failed (%s); again in %.1f s", err, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.2
            self._need_connect.clear()

    def _on_connect(self) -> None:
        self.counts["connects"] += 1
        log.info("connected to %s%s", self.server_url, NAMESPACE)
        self._report_soon.set()

    def _on_disconnect(self, reason: Any = None) -> None:
        self.counts["disconnects"] += 1
        log.warning("disconnected from %s (%s)", self.server_url, reason)
        if reason == self.sio.reason.SERVER_DISCONNECT and not self._stop.is_set():
            self._need_connect.set()  # the client does not reconnect by itself after this
        self._report_soon.set()

    def _on_snapshot(self, snap: Any) -> None:
        """Take the snapshot and re-drive every board (resync)."""
        if not isinstance(snap, dict) or "error" in snap:
            log.warning("bad snapshot: %r", snap)
            return
        self.counts["snapshots"] += 1
        self._sync_asked = 0.0
        self.mirror.snapshot(snap)
        for d, board in self.boards:
            text = self.mirror.text(d.counter)
            if text is None:
                log.warning("counter %s is not in the server's snapshot", d.counter)
                text = ""
            board.show(text, force=True)

    def _on_event(self, name: str, payload: Any) -> None:
        if not isinstance(payload, dict):
            return
        self.counts["events"] += 1
        applied = self.mirror.event(name, payload)
        self._drive(applied.changed)
        if applied.need_sync:
            timer = threading.Timer(GAP_WAIT, self._check_gap)
            timer.daemon = True
            timer.start()

    def _on_heartbeat(self, payload: Any) -> None:
        if isinstance(payload, dict) and self.mirror.heartbeat(payload):
            self.request_sync()

    def _check_gap(self) -> None:
        if self.mirror.has_gap():
            self.request_sync()

    def request_sync(self) -> None:
        """Ask for a SNAPSHOT (at most one request in flight, for 3 s)."""
        now = time.monotonic()
        if now - self._sync_asked < 3.0:
            return
        self._sync_asked = now
        self.counts["syncs"] += 1
        data = {"site": self.config.agent.site} if self.config.agent.site else {}
        try:
            self.sio.emit(Event.SYNC, data, namespace=NAMESPACE, callback=self._on_snapshot)
        except Exception as err:  # not connected: the snapshot on reconnect does it
            log.info("sync not sent: %s", err)

    def _drive(self, counters: Iterable[int]) -> None:
        wanted = set(counters)
        for d, board in self.boards:
            if d.counter in wanted:
                text = self.mirror.text(d.counter)
                if text is not None:
                    board.show(text)

    # ----- health

    def health(self) -> list[dict[str, Any]]:
        """Every device's state and counts, as POST /api/v1/agent/health takes them."""
        devices: list[dict[str, Any]] = []
        for d, keypad in self.keypads:
            counts = {**keypad.health_counts(), **self._delivery[d.id].counts}
            devices.append(self._entry(d, counts))
        for d, pad in self.rating_pads:
            devices.append(self._entry(d, pad.health_counts()))
        for d, board in self.boards:
            entry = self._entry(d, board.health_counts())
            entry["detail"] = f"shows {board.text!r}" if board.state == OK else entry["detail"]
            devices.append(entry)
        connected = bool(self.sio.connected)
        devices.append(
            {
                "id": "server",
                "kind": "socketio",
                "port": self.server_url + NAMESPACE,
                "state": OK if connected else "disconnected",
                "detail": f"epoch {self.mirror.epoch} seq {self.mirror.seq}",
                "counts": dict(self.counts),
            }
        )
        if self.printer is not None:
            devices.append(
                {
                    "id": "printer",
                    "kind": "printer",
                    "state": OK,
                    "port": str(self.config.printer_url),
                    "detail": "configured (the server does not route print jobs to agents yet)",
                    "counts": {},
                }
            )
        return devices

    def _entry(self, d: SerialDevice, counts: dict[str, int]) -> dict[str, Any]:
        link = self.links[d.port]
        return {
            "id": d.id,
            "kind": d.kind,
            "state": link.state,
            "counter": d.counter,
            "port": d.port,
            "detail": link.detail[:200],
            "counts": counts,
        }

    def report_health(self) -> bool:
        """Send one health report; False when the server did not take it."""
        body = {"name": self.config.agent.name, "devices": self.health()}
        try:
            answer = self.api.request("POST", "/api/v1/agent/health", body)
        except ServerUnavailable as err:
            log.debug("health report not sent: %s", err)
            self.counts["report_failures"] += 1
            return False
        if answer.status != 200:
            log.warning("health report refused: %s %s", answer.status, answer.error_code)
            self.counts["report_failures"] += 1
            return False
        self.counts["reports"] += 1
        return True

    def _health_loop(self) -> None:
        self._stop.wait(0.3)  # let the lines try to open first: no "not opened yet" report
        while not self._stop.is_set():
            self._report_soon.clear()
            self.report_health()
            self._report_soon.wait(self.config.agent.health_interval)
            self._stop.wait(0.2)  # a burst of state changes makes one report

    # ----- life

    def start(self) -> None:
        """Open the lines, connect to the server, start reporting."""
        for link in self.links.values():
            link.start()
        self._need_connect.set()
        for target, name in ((self._connect_loop, "socketio"), (self._health_loop, "health")):
            threading.Thread(target=target, name=f"agent {name}", daemon=True).start()
        log.info(
            "agent %s: %d keypads, %d LED boards, %d rating pads on %d lines -> %s",
            self.config.agent.name,
            len(self.keypads),
            len(self.boards),
            len(self.rating_pads),
            len(self.links),
            self.server_url,
        )

    def stop(self) -> None:
        """Stop everything (a press still being retried is given up)."""
        self._stop.set()
        self._need_connect.set()
        self._report_soon.set()
        with contextlib.suppress(Exception):
            self.sio.shutdown()
        for link in self.links.values():
            link.stop()


def run_agent(
    server: str,
    token: str,
    config_path: str,
    *,
    data_dir: str | None = None,
    log_level: str = "INFO",
) -> int:
    """`motcua agent`: run until SIGINT or SIGTERM; 2 on a configuration error."""
    import sys

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("engineio").setLevel(logging.WARNING)
    logging.getLogger("socketio").setLevel(logging.WARNING)
    try:
        config = load_devices(config_path, Path(data_dir) if data_dir else None)
        agent = Agent(config, server, token)
    except (DevicesConfigError, ValueError) as err:
        vi, en = render("cli.config_error")
        print(f"motcua agent: {vi} / {en}: {err}", file=sys.stderr)
        return 2
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    agent.start()
    print(
        f"motcua agent {config.agent.name}: {len(agent.keypads)} keypads, "
        f"{len(agent.boards)} LED boards, {len(agent.rating_pads)} rating pads -> {server}",
        flush=True,
    )
    while not done.wait(0.5):
        pass
    agent.stop()
    return 0
