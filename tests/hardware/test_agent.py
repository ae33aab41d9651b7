"""The device agent end to end: a real server, `motcua agent`, keypads and LED boards on ptys.

Keypads for counters 3 and 1 share one pty line (RS-485 style, addresses 03 and 05), the
keypad of counter 4 hangs on pyserial's socket:// (a serial-to-LAN converter), and the LED
boards of counters 3 and 4 share a second pty line. Everything the agent reports is read
back from the server (GET /api/v1/devices), as staff would see it.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hardware.protocol import encode_frame, encode_key, parse_frames
from hardware.serial_link import wait_until
from hardware.sim import PtyPort, SimulatedKeypad, SimulatedLed, TcpPort
from tests.conftest import ServerProcess, auth

pytestmark = pytest.mark.server

API = "/api/v1"
REQUEST_LINE = re.compile(rb"^[A-Z]+ /[^ ]* HTTP/1\.[01]\r\n")
BOUNCE_MS = 300  # the keypads' bounce window: the same key again within it is dropped


class Proxy:
    """A TCP pipe in front of the server that can swallow the answer to one counter action."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.drop_next_answer = threading.Event()
        self.dropped = 0
        self.events: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=2)
        except OSError as err:  # the server is down: the client sees its connection closed
            self.events.append(f"upstream {err}")
            client.close()
            return
        upstream.settimeout(None)
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        action = threading.Event()

        def close() -> None:
            for s in (client, upstream):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

        def pipe(src: socket.socket, dst: socket.socket, answers: bool) -> None:
            try:
                while data := src.recv(65536):
                    if not answers and REQUEST_LINE.match(data):
                        # A new request starts (its body may come in a later chunk, and
                        # must not clear the flag): is it a counter action?
                        self.events.append(data.split(b"\r\n", 1)[0].decode(errors="replace"))
                        if data.startswith(b"POST /api/v1/counters/"):
                            action.set()
                        else:
                            action.clear()
                    elif action.is_set() and self.drop_next_answer.is_set():
                        self.drop_next_answer.clear()
                        self.dropped += 1
                        break  # the server has answered; the agent never hears it
                    dst.sendall(data)
            except OSError as err:
                self.events.append(f"pipe {answers} {err}")
            self.events.append(f"close {answers}")
            close()

        threading.Thread(target=pipe, args=(client, upstream, False), daemon=True).start()
        pipe(upstream, client, True)

    def close(self) -> None:
        self.listener.close()


class Rig:
    """A server, the simulated lines and a running `motcua agent`."""

    def __init__(self, server: ServerProcess, tmp: Path, via_proxy: bool) -> None:
        self.server = server
        self.tmp = tmp
        self.admin = server.token("admin")
        self.keypads = SimulatedKeypad(PtyPort(tmp / "ttyKEYPADS"))
        self.lan_keypad = SimulatedKeypad(TcpPort())
        self.leds = SimulatedLed(PtyPort(tmp / "ttyLEDS"))
        for sim in (self.keypads, self.lan_keypad, self.leds):
            sim.start()
        self.proxy = Proxy(server.port) if via_proxy else None
        self.config = tmp / "devices.toml"
        self.config.write_text(
            f"""
[agent]
name = "pytest-agent"
health_interval = 0.3

[[keypads]]
port = "{self.keypads.port.url}"
address = 3
counter = 3
bounce_ms = {BOUNCE_MS}

[[keypads]]
port = "{self.keypads.port.url}"
address = 5
counter = 1
bounce_ms = {BOUNCE_MS}

[[keypads]]
port = "{self.lan_keypad.port.url}"
address = 4
counter = 4
bounce_ms = {BOUNCE_MS}

[[leds]]
port = "{self.leds.port.url}"
address = 3
counter = 3

[[leds]]
port = "{self.leds.port.url}"
address = 4
counter = 4
""",
            "utf-8",
        )
        self.log = tmp / "agent.log"
        url = self.proxy.url if self.proxy else server.url
        cmd = [sys.executable, "-m", "queue_server.cli", "agent", "--server", url,
               "--token", server.token("agent"), "--config", str(self.config)]  # fmt: skip
        with open(self.log, "ab") as out:
            self.agent = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=server.env)
        # the first snapshot blanks both boards: the agent is connected and driving them
        assert self.leds.wait_for(3, "", 15) and self.leds.wait_for(4, "", 5), self.tail()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.agent.poll() is None:
            self.agent.terminate()
            try:
                self.agent.wait(10)
            except subprocess.TimeoutExpired:
                self.agent.kill()
        for sim in (self.keypads, self.lan_keypad, self.leds):
            sim.stop()
        if self.proxy:
            self.proxy.close()

    # ----- the server, as staff and screens see it

    def post(self, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.post(self.server.url + API + path, json=body or {},
                             headers=auth(self.admin), timeout=10)  # fmt: skip

    def issue(self, n: int, service: str = "DD") -> list[dict[str, Any]]:
        tickets = []
        for _ in range(n):
            res = self.post("/tickets", {"service": service})
            assert res.status_code == 201, res.text
            tickets.append(res.json()["ticket"])
        return tickets

    def queue(self) -> dict[str, Any]:
        return requests.get(self.server.url + API + "/queue", timeout=10).json()

    def counter(self, number: int) -> dict[str, Any]:
        return next(c for c in self.queue()["counters"] if c["number"] == number)

    def calls(self, ticket: dict[str, Any]) -> int:
        res = requests.get(f"{self.server.url}{API}/tickets/{ticket['id']}/events", timeout=10)
        return int(res.json()["calls"])

    def devices(self) -> dict[str, dict[str, Any]]:
        try:
            res = requests.get(self.server.url + API + "/devices", headers=auth(self.admin),
                               timeout=5)  # fmt: skip
        except requests.RequestException:
            return {}
        agents = [a for a in res.json().get("agents", []) if a["name"] == "pytest-agent"]
        return {d["id"]: d for d in agents[-1]["devices"]} if agents else {}

    def wait_device(self, device: str, check: Callable[[dict[str, Any]], bool], timeout=15) -> Any:
        found = wait_until(lambda: (d := self.devices().get(device)) and check(d) and d, timeout,
                           0.1)  # fmt: skip
        assert found, f"{device}: {self.devices().get(device)}\n{self.tail()}"
        return found

    def keypad(self, address: int) -> SimulatedKeypad:
        return self.lan_keypad if address == 4 else self.keypads

    def press(self, address: int, key: str, **kw: Any) -> int | None:
        """Press a key; the press number the frame carries."""
        frame = self.keypad(address).press(address, key, **kw)
        return parse_frames(frame).frames[0].seq

    def acked(self, address: int, seq: int | None, timeout: float = 15) -> None:
        """Wait until the agent has read press `seq` (it ACKs what it reads)."""
        assert wait_until(lambda: (address, seq) in self.keypad(address).acks, timeout, 0.02), (
            f"press {seq} of keypad {address:02d} not acknowledged\n{self.tail()}"
        )

    def shows(self, address: int, text: str, timeout: float = 10) -> float:
        """Wait until LED `address` shows text; when the test saw it (time.monotonic())."""
        assert self.leds.wait_for(address, text, timeout), (
            f"LED {address:02d} shows {self.leds.shown.get(address)!r}, not {text!r}\n{self.tail()}"
        )
        return time.monotonic()

    @staticmethod
    def after_bounce(seen: float) -> None:
        """Wait out the bounce window of every press the agent read before `seen`, the
        monotonic time at which the test saw that press's effect (the agent stamps presses
        with the same clock, CLOCK_MONOTONIC), so the same key counts as a new press. Derived
        from what was observed, not a guess at how fast the machine is."""
        rest = seen + BOUNCE_MS / 1000 + 0.02 - time.monotonic()
        if rest > 0:
            time.sleep(rest)

    def log_count(self, text: str) -> int:
        return self.log.read_text(errors="replace").count(text)


@pytest.fixture
def rig(server_factory, tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(via_proxy: bool = False) -> Rig:
        server = server_factory(env={"MOTCUA_TEST_HOOKS": "1"}).start()
        made.append(Rig(server, tmp_path, via_proxy))
        return made[-1]

    yield make
    for r in made:
        r.stop()


def test_keypad_next_calls_the_ticket_and_the_led_board_shows_it(rig):
    r = rig()
    t1, t2, _ = r.issue(3)
    r.press(3, "NEXT")
    r.shows(3, t1["number"])  # "1001"
    assert r.counter(3)["ticket"]["number"] == t1["number"] == "1001"  # the lobby agrees
    assert wait_until(lambda: (3, 1) in r.keypads.acks, 5), "the agent acknowledged the press"
    # counter 4's keypad is on socket://
    r.press(4, "NEXT")
    r.shows(4, t2["number"])
    assert r.counter(4)["ticket"]["number"] == "1002"
    r.press(3, "PAUSE")
    r.shows(3, "--")
    assert r.counter(3)["state"] == "paused"
    r.press(3, "RESUME")
    r.shows(3, "1001")
    r.press(3, "DONE")
    r.shows(3, "")
    assert r.counter(3)["ticket"] is None
    # whoever acts, the board follows: the clerk console pauses counter 4, then closes it
    # once its ticket is done (closing is refused while it holds one)
    assert r.post("/counters/4/close").status_code == 409
    assert r.post("/counters/4/pause").status_code == 200
    r.shows(4, "--")
    assert r.post("/counters/4/complete").status_code == 200
    assert r.post("/counters/4/close").status_code == 200
    r.shows(4, "")
    keypad = r.wait_device("keypad-3-03", lambda d: d["counts"]["answered"] == 4)
    assert keypad["state"] == "ok" and keypad["counter"] == 3
    assert keypad["counts"]["presses"] == 4 and keypad["counts"]["rejected"] == 0
    led = r.wait_device("led-4-04", lambda d: d["state"] == "ok")
    assert led["kind"] == "led" and led["port"] == r.leds.port.url
    assert [r.calls(t1), r.calls(t2)] == [1, 1]


def test_keypad_calls_a_no_show_back_by_its_digits(rig):
    """A 3x4 keypad: "1001#" sends CALL:1001 (Gọi lại số vắng); "*2" START."""
    r = rig()
    (t1,) = r.issue(1)
    r.press(3, "NEXT")
    r.shows(3, t1["number"])
    r.press(3, "NOSHOW")
    r.shows(3, "")
    r.press(3, "CALL", arg="1001")
    r.shows(3, "1001")
    assert r.counter(3)["ticket"]["status"] == "called"
    r.press(3, "START")
    assert wait_until(lambda: r.counter(3)["ticket"]["status"] == "serving", 10), r.tail()
    res = requests.get(f"{r.server.url}{API}/tickets/{t1['id']}/events", timeout=10)
    kinds = [e["kind"] for e in res.json()["events"]]
    assert kinds == ["issued", "called", "no_show", "returned", "called", "started"]


def test_unplugged_lines_recover_and_no_press_is_lost_or_doubled(rig):
    r = rig()
    tickets = r.issue(4)
    numbers = [t["number"] for t in tickets]
    r.press(3, "NEXT")
    first_seen = r.shows(3, numbers[0])
    for port in (r.keypads.port, r.lan_keypad.port, r.leds.port):
        port.unplug()
    for device in ("keypad-3-03", "keypad-4-04", "led-3-03"):
        r.wait_device(
            device, lambda d: d["state"] == "disconnected" and d["counts"]["line_disconnects"]
        )
    # meanwhile the clerk calls from the console: the board is away and misses it
    assert r.post("/counters/3/call-next").json()["ticket"]["number"] == numbers[1]
    r.leds.port.plug()
    r.shows(3, numbers[1], timeout=15)  # driven again when its line came back
    r.keypads.port.plug()
    r.lan_keypad.port.plug()
    # pressed at once, maybe before the agent has the line open again: the keypad repeats
    # the frame until it is acknowledged, and the repeats are recognised by press number
    r.after_bounce(first_seen)  # (a NEXT within the window of the first would be a bounce)
    seq3 = r.press(3, "NEXT", resend=10)
    r.shows(3, numbers[2], timeout=15)
    seq4 = r.press(4, "NEXT", resend=10)
    r.shows(4, numbers[3], timeout=15)
    for device in ("keypad-3-03", "keypad-4-04", "led-3-03"):
        r.wait_device(device, lambda d: d["state"] == "ok" and d["counts"]["line_opens"] >= 2)
    r.acked(3, seq3)  # acknowledged: the keypads stop repeating
    r.acked(4, seq4)
    time.sleep(0.5)  # room for a doubled press to show up
    assert [r.calls(t) for t in tickets] == [1, 1, 1, 1]
    assert r.queue()["waiting"].get("DD", 0) == 0
    keypad = r.wait_device("keypad-3-03", lambda d: d["counts"]["answered"] == 2)
    assert keypad["counts"]["presses"] == 2
    assert keypad["counts"]["line_disconnects"] >= 1 and keypad["counts"]["line_opens"] >= 2
    assert r.wait_device("keypad-4-04", lambda d: d["counts"]["answered"] == 1)


def test_garbage_and_floods_are_counted_and_never_call_twice(rig):
    r = rig()
    tickets = r.issue(3)
    rng = random.Random(6)
    noise = bytes(rng.randrange(256) for _ in range(300)).replace(b"@", b"")
    line = r.keypads
    line.send(noise)
    line.send(b"@03:NEX" + b"@03:RECA")  # a frame cut by another, then half a frame ...
    line.send(b"\r\n")  # ... ended by a stray line end
    line.send(encode_key(3, "NEXT", seq=900)[:-4] + b"00\r\n")  # bad checksum
    line.send(encode_key(9, "NEXT", seq=1))  # nobody at address 09
    line.send(encode_frame(3, "HELLO", 2))  # not a key
    flood = [encode_key(3, "NEXT", seq=1000 + i) for i in range(40)]
    line.send(flood[0] + flood[0])  # the keypad repeats its first frame
    for frame in flood[1:]:
        line.send(frame)
        time.sleep(0.002)
    r.shows(3, tickets[0]["number"])

    def judged(counts: dict[str, int]) -> int:
        return sum(counts[k] for k in ("presses", "repeats", "bounces", "next_in_flight"))

    # every one of the 41 NEXT frames of address 03 judged, the one press answered
    keypad = r.wait_device(
        "keypad-3-03", lambda d: judged(d["counts"]) == 41 and d["counts"]["answered"] == 1
    )
    all_judged = time.monotonic()
    counts = keypad["counts"]
    assert counts["presses"] == 1 and counts["repeats"] == 1
    assert counts["bounces"] + counts["next_in_flight"] == 39
    assert counts["line_garbage"] >= 2 and counts["line_bad_checksum"] == 1
    assert counts["line_wrong_address"] == 1 and counts["line_unknown_key"] == 1
    assert counts["line_frames"] >= 42
    assert [r.calls(t) for t in tickets] == [1, 0, 0]
    assert r.queue()["waiting"]["DD"] == 2
    assert r.agent.poll() is None, "the agent is still running"
    r.after_bounce(all_judged)
    r.press(3, "NEXT")  # quiet for longer than the bounce window: a new press
    r.shows(3, tickets[1]["number"])
    assert [r.calls(t) for t in tickets] == [1, 1, 0]


def test_server_restart_lost_answers_and_resync(rig):
    r = rig(via_proxy=True)
    tickets = r.issue(4)
    numbers = [t["number"] for t in tickets]
    r.press(3, "NEXT")
    seen = r.shows(3, numbers[0])
    # the server calls 1002 but its answer is lost: the agent retries with the same key
    assert r.proxy is not None
    r.wait_device("keypad-3-03", lambda d: d["counts"]["answered"] == 1)  # LED is faster
    r.proxy.drop_next_answer.set()
    r.after_bounce(seen)  # a second NEXT within the window would be a bounce
    r.press(3, "NEXT")
    seen = r.shows(3, numbers[1])
    keypad = r.wait_device("keypad-3-03", lambda d: d["counts"]["answered"] == 2)
    assert r.proxy.dropped == 1, (r.proxy.events[-20:], keypad, r.tail())
    assert keypad["counts"]["replays"] == 1 and keypad["counts"]["retries"] >= 1
    assert [r.calls(t) for t in tickets[:3]] == [1, 1, 0]
    # the server goes away; a press made meanwhile waits for it
    before = len(r.leds.frames_for(4))
    server = r.server
    unanswered = r.log_count("counter 3: NEXT not answered")
    server.stop()
    r.after_bounce(seen)
    r.acked(3, r.press(3, "NEXT"))
    # the agent has tried the press against the stopped server (and keeps retrying)
    assert wait_until(lambda: r.log_count("counter 3: NEXT not answered") > unanswered, 15), (
        r.tail()
    )
    server.start()
    r.shows(3, numbers[2], timeout=30)
    keypad = r.wait_device("keypad-3-03", lambda d: d["counts"]["answered"] == 3, timeout=30)
    assert [r.calls(t) for t in tickets] == [1, 1, 1, 0]
    agent = r.wait_device("server", lambda d: d["state"] == "ok" and d["counts"]["connects"] >= 2)
    assert len(r.leds.frames_for(4)) > before, "the snapshot after the restart re-drove LED 04"
    assert agent["counts"]["snapshots"] >= 2
    # the server closes the namespace ("io server disconnect"): the agent connects again itself
    before = len(r.leds.frames_for(4))
    res = requests.post(server.url + API + "/_test/disconnect-displays", timeout=5)
    assert res.json()["disconnected"] >= 1
    connects = agent["counts"]["connects"]
    r.wait_device("server", lambda d: d["state"] == "ok" and d["counts"]["connects"] > connects)
    assert wait_until(lambda: len(r.leds.frames_for(4)) > before, 10)
    r.shows(3, numbers[2])
    assert os.path.exists(r.log) and r.agent.poll() is None
