"""Counter hardware benchmark: a key press on one pty to the LED board's new number on another.

What is timed, for each press: from the moment the simulated keypad writes
``@03:NEXT#n*CC`` into its pty (or its socket:// converter) to the moment the simulated
LED board reads ``@03:SHOW:<the called number>*CC`` from its own pty. In between, all
real: `motcua agent` (a separate process) reads the keypad line, checks the frame, POSTs
``/api/v1/counters/3/call-next`` with an Idempotency-Key to `motcua run`, the server
commits the call and emits ``ticket.called`` on /display, the agent's Socket.IO client
receives it and writes the LED frame.

Without options it starts `motcua run` with bench/bench_centre.toml in a temporary data
dir, issues the tickets with an admin token, starts the agent with an agent token and a
devices.toml for keypad 03 and LED 03 at counter 3 (``bounce_ms = 0``: presses come
faster than a clerk's), then presses NEXT one press at a time, --warmup (10) untimed and
-n (200) timed, waiting for each number on the board (and a little more, so the agent
has the server's answer and takes the next NEXT). For comparison it also times
``call-next`` over HTTP alone (admin token, keep-alive).

    .venv/bin/python bench/bench_hardware.py
    .venv/bin/python bench/bench_hardware.py -n 500 --line socket

Target (issue #6): p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from bench_api import DEFAULT_CENTRE, SpawnedServer, create_token, motcua_command, percentile

from hardware.sim import PtyPort, SimPort, SimulatedKeypad, SimulatedLed, TcpPort

TARGET_P95_MS = 50.0


def ms(values: list[float], p: float) -> float:
    """Nearest-rank percentile of seconds, in milliseconds."""
    return percentile(sorted(values), p) * 1000


def line(name: str, values: list[float]) -> str:
    """One result line: count and p50/p95/p99, max, mean."""
    return (
        f"  {name}: n={len(values)}  p50 {ms(values, 50):.1f} ms  p95 {ms(values, 95):.1f} ms  "
        f"p99 {ms(values, 99):.1f} ms  max {max(values) * 1000:.1f} ms  "
        f"mean {statistics.fmean(values) * 1000:.1f} ms"
    )


class Board:
    """Waits for LED 03 to show a given text; stamps when the frame was read."""

    def __init__(self, led: SimulatedLed) -> None:
        self.wanted: str | None = None
        self.seen_at = 0.0
        self.event = threading.Event()
        led.listeners.append(self.changed)

    def changed(self, address: int, text: str, at: float) -> None:
        if address == 3 and text == self.wanted:
            self.seen_at = at
            self.event.set()

    def expect(self, text: str) -> None:
        self.wanted = text
        self.event.clear()


def devices_toml(folder: Path, keypad: str, led: str) -> Path:
    """Keypad 03 and LED 03 for counter 3."""
    path = folder / "devices.toml"
    path.write_text(
        f"""[agent]
name = "bench-agent"
health_interval = 5

[[keypads]]
port = "{keypad}"
address = 3
counter = 3
bounce_ms = 0

[[leds]]
port = "{led}"
address = 3
counter = 3
""",
        "utf-8",
    )
    return path


def press_loop(
    keypad: SimulatedKeypad, board: Board, numbers: list[str], settle: float
) -> tuple[list[float], int]:
    """Press NEXT once per number; latencies (s) of the presses whose number showed up."""
    latencies: list[float] = []
    missed = 0
    for number in numbers:
        board.expect(number)
        t0 = time.perf_counter()
        keypad.press(3, "NEXT")
        if board.event.wait(5):
            latencies.append(board.seen_at - t0)
        else:
            missed += 1
        time.sleep(settle)  # the agent has the server's answer: the next NEXT is taken
    return latencies, missed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-n", type=int, default=200, help="timed presses (default 200)")
    p.add_argument("--warmup", type=int, default=10, help="untimed presses first (default 10)")
    p.add_argument("--line", choices=["pty", "socket"], default="pty",
                   help="keypad line: pty (default) or socket:// (a LAN converter)")  # fmt: skip
    p.add_argument("--settle", type=float, default=0.05, help="pause after each number (s)")
    args = p.parse_args(argv)

    total = args.warmup + args.n
    folder = Path(tempfile.mkdtemp(prefix="motcua-bench-hw-"))
    server = SpawnedServer(str(DEFAULT_CENTRE), str(folder / "data"), {}).start()
    agent: subprocess.Popen[bytes] | None = None
    port: SimPort = PtyPort(folder / "ttyKEYPAD") if args.line == "pty" else TcpPort()
    keypad = SimulatedKeypad(port)
    led = SimulatedLed(PtyPort(folder / "ttyLED"))
    try:
        admin = create_token("admin", str(DEFAULT_CENTRE), server.data_dir)
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {admin}"
        numbers = []
        for _ in range(total + args.n):
            r = http.post(f"{server.url}/api/v1/tickets", json={"service": "HT"}, timeout=30)
            r.raise_for_status()
            numbers.append(r.json()["ticket"]["number"])
        keypad.start()
        led.start()
        board = Board(led)
        config = devices_toml(folder, keypad.port.url, led.port.url)
        token = create_token("agent", str(DEFAULT_CENTRE), server.data_dir)
        cmd = [*motcua_command(), "agent", "--server", server.url, "--token", token,
               "--config", str(config), "--log-level", "WARNING"]  # fmt: skip
        with open(folder / "agent.log", "ab") as out:
            agent = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        if not led.wait_for(3, "", 20):
            raise SystemExit(f"the agent did not drive LED 03: {folder / 'agent.log'}")
        press_loop(keypad, board, numbers[: args.warmup], args.settle)
        latencies, missed = press_loop(keypad, board, numbers[args.warmup : total], args.settle)
        direct = []
        for _ in range(args.n):
            t0 = time.perf_counter()
            r = http.post(f"{server.url}/api/v1/counters/3/call-next", timeout=30)
            direct.append(time.perf_counter() - t0)
            r.raise_for_status()
    finally:
        if agent is not None:
            agent.terminate()
            agent.wait(10)
        keypad.stop()
        led.stop()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)

    load = os.getloadavg()
    print(f"bench_hardware: {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, "
          f"keypad on {args.line}, LED on pty")  # fmt: skip
    print(line("key press -> LED shows the number", latencies))
    print(line("call-next over HTTP alone (for comparison)", direct))
    if missed:
        print(f"  missed: {missed} presses never showed their number within 5 s")
    p95 = ms(latencies, 95)
    verdict = "met" if p95 < TARGET_P95_MS and not missed else "NOT met"
    print(f"  target p95 < {TARGET_P95_MS:.0f} ms: {verdict} ({p95:.1f} ms)")
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
