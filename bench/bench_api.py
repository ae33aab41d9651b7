"""HTTP benchmark of the queue API: ticket issuing, then call-next + complete cycles.

Without --url it starts its own server, exactly as a centre would:
`motcua run --config bench/bench_centre.toml --data-dir <tmp>` on a free port
(embedded SQLite unless MOTCUA_DATABASE_URL is set), and creates its tokens
with `motcua token create`. With --url it targets a server that is already
running; give it an admin token (--token) or the server's --data-dir/--config
so it can create one.

Phase 1: --threads client threads, each with its own keep-alive
requests.Session, issue tickets (POST /api/v1/tickets) round-robin over the
services for --seconds. Phase 2: one thread per counter runs call-next then
complete for --seconds. Both print throughput and latency percentiles.

    .venv/bin/python bench/bench_api.py                  # 20 s per phase, 8 threads
    .venv/bin/python bench/bench_api.py --seconds 10
    .venv/bin/python bench/bench_api.py --url http://127.0.0.1:5000 --token ADMIN_TOKEN

The client runs in Python on the same machine as the server, so it takes
part of the CPU the server could use; the figures are a floor.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
DEFAULT_CENTRE = HERE / "bench_centre.toml"
TARGET = "target: >= 300 tickets/s, p99 < 50 ms on SQLite; FQM peer: 63–74 tickets/s"
TARGET_RATE, TARGET_P99_MS = 300.0, 50.0


# -- the server under test ------------------------------------------------------------


def motcua_command() -> list[str]:
    """The `motcua` console script next to this Python, else `python -m queue_server.cli`."""
    script = Path(sys.executable).parent / "motcua"
    if script.exists():
        return [str(script)]
    found = shutil.which("motcua")
    return [found] if found else [sys.executable, "-m", "queue_server.cli"]


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes] | None, log: Path | None) -> None:
    """Wait until GET /api/v1/health answers (30 s at most)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text("utf-8", "replace")[-3000:] if log else ""
            raise SystemExit(f"bench: the server exited:\n{tail}")
        try:
            if requests.get(f"{url}/api/v1/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit(f"bench: {url} did not become healthy")


def create_token(role: str, config: str | None, data_dir: str | None) -> str:
    """`motcua token create` against the server's database; returns the token."""
    cmd = [*motcua_command(), "token", "create", "--role", role, "--name", "bench"]
    if config:
        cmd += ["--config", config]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed:\n{out.stderr}")
    return out.stdout.strip().splitlines()[-1]


class SpawnedServer:
    """`motcua run` on a free port with the bench centre and a throw-away data dir."""

    def __init__(self, config: str, data_dir: str | None, env: dict[str, str]) -> None:
        self.config = config
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="motcua-bench-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.log = Path(self.data_dir) / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SpawnedServer:
        """Start the server and wait until it answers."""
        cmd = [
            *motcua_command(),
            "run",
            "--config",
            self.config,
            "--data-dir",
            self.data_dir,
            "--port",
            str(self.port),
        ]
        Path(self.data_dir).mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        wait_healthy(self.url, self.proc, self.log)
        return self

    def banner(self) -> list[str]:
        """The lines `motcua run` printed about its database and async mode."""
        text = self.log.read_text("utf-8", "replace")
        return [ln.strip() for ln in text.splitlines() if "database" in ln or "async mode" in ln]

    def stop(self) -> None:
        """Terminate, then remove the data dir it made."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


# -- measuring ---------------------------------------------------------------------------


@dataclass
class Tally:
    """What the client threads of one phase measured."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful operations
    errors: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1

    def note(self, what: str) -> None:
        with self.lock:
            self.notes[what] = self.notes.get(what, 0) + 1


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(p / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def run_phase(workers: list[Callable[[float], None]], seconds: float) -> float:
    """Start every worker(deadline) together; return the wall time they took."""
    barrier = threading.Barrier(len(workers) + 1)
    box: dict[str, float] = {}

    def body(work: Callable[[float], None]) -> None:
        barrier.wait()
        work(box["deadline"])

    threads = [threading.Thread(target=body, args=(w,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    start = time.perf_counter()
    box["deadline"] = start + seconds
    barrier.wait()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def describe(status: int, body: str) -> str:
    """Short error label: status and error code."""
    try:
        code = json.loads(body)["error"]["code"]
    except Exception:  # any unparsable body
        code = body[:60]
    return f"{status} {code}"


# -- phase 1: issuing -------------------------------------------------------------------


def issue_worker(
    url: str, token: str, services: list[str], index: int, tally: Tally
) -> Callable[[float], None]:
    """A kiosk: issue tickets round-robin over the services until the deadline."""

    def work(deadline: float) -> None:
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {token}"
            k = index
            while time.perf_counter() < deadline:
                body = {"service": services[k % len(services)]}
                k += 1
                t0 = time.perf_counter()
                try:
                    r = http.post(f"{url}/api/v1/tickets", json=body, timeout=30)
                except requests.RequestException as err:
                    tally.error(type(err).__name__)
                    continue
                dt = time.perf_counter() - t0
                if r.status_code == 201:
                    tally.ok(dt)
                else:
                    tally.error(describe(r.status_code, r.text))

    return work


# -- phase 2: call-next + complete ------------------------------------------------------


def counter_worker(
    url: str, token: str, number: int, tally: Tally, requests_tally: Tally
) -> Callable[[float], None]:
    """A clerk: call the next ticket and complete it, again and again, until the deadline."""

    def work(deadline: float) -> None:
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {token}"
            base = f"{url}/api/v1/counters/{number}"
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    r = http.post(f"{base}/call-next", timeout=30)
                    t1 = time.perf_counter()
                    if r.status_code != 200:
                        tally.error(f"call-next {describe(r.status_code, r.text)}")
                        continue
                    requests_tally.ok(t1 - t0)
                    if r.json()["ticket"] is None:
                        tally.note(f"counter {number} ran out of waiting tickets")
                        return
                    r = http.post(f"{base}/complete", timeout=30)
                except requests.RequestException as err:
                    tally.error(type(err).__name__)
                    continue
                t2 = time.perf_counter()
                if r.status_code != 200:
                    tally.error(f"complete {describe(r.status_code, r.text)}")
                    continue
                requests_tally.ok(t2 - t1)
                tally.ok(t2 - t0)

    return work


# -- reporting ---------------------------------------------------------------------------


def report(title: str, unit: str, tally: Tally, wall: float, ps: tuple[int, ...]) -> dict[str, Any]:
    """Print throughput and percentiles; return them."""
    lat = sorted(tally.latencies)
    rate = len(lat) / wall if wall > 0 else 0.0
    figures = {f"p{p}": percentile(lat, p) * 1000 for p in ps}
    print(f"\n{title}")
    print(f"  {len(lat)} {unit} in {wall:.1f} s = {rate:.1f} {unit}/s")
    if lat:
        line = ", ".join(f"{k} {v:.1f} ms" for k, v in figures.items())
        print(
            f"  latency: {line}, max {lat[-1] * 1000:.1f} ms, mean "
            f"{sum(lat) / len(lat) * 1000:.1f} ms"
        )
    for what, n in sorted(tally.errors.items()):
        print(f"  errors: {n} x {what}")
    for what, n in sorted(tally.notes.items()):
        print(f"  note: {what}" + (f" ({n}x)" if n > 1 else ""))
    return {"count": len(lat), "rate": rate, **figures}


def main(argv: list[str] | None = None) -> int:
    """Parse options, start or find the server, run both phases, print the summary."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="an already running server (default: start one)")
    p.add_argument("--token", help="admin token for --url (else one is created with the CLI)")
    p.add_argument("--config", help=f"centre file (default {DEFAULT_CENTRE.name} when starting)")
    p.add_argument("--data-dir", help="server data dir (default: a temporary one)")
    p.add_argument("--seconds", type=float, default=20, help="length of each phase (20)")
    p.add_argument("--threads", type=int, default=8, help="issuing client threads (8)")
    p.add_argument(
        "--async-mode",
        choices=["threading", "gevent", "eventlet"],
        help="MOTCUA_ASYNC_MODE of the started server",
    )
    p.add_argument("--phase", choices=["issue", "cycle", "both"], default="both")
    args = p.parse_args(argv)

    server: SpawnedServer | None = None
    if args.url:
        url = args.url.rstrip("/")
        wait_healthy(url, None, None)
        if args.token:
            admin = kiosk = args.token
        elif args.data_dir or args.config:
            admin = kiosk = create_token("admin", args.config, args.data_dir)
        else:
            p.error("--url needs --token, or the server's --data-dir/--config to create one")
        banner = [f"target: {url}"]
    else:
        env = {"MOTCUA_ASYNC_MODE": args.async_mode} if args.async_mode else {}
        config = args.config or str(DEFAULT_CENTRE)
        server = SpawnedServer(config, args.data_dir, env)
        print(f"bench: starting motcua run on {server.url} (data dir {server.data_dir})")
        server.start()
        kiosk = create_token("kiosk", config, server.data_dir)
        admin = create_token("admin", config, server.data_dir)
        url = server.url
        banner = server.banner()

    try:
        services = [
            s["code"]
            for s in requests.get(f"{url}/api/v1/services", timeout=10).json()["services"]
            if s["open"]
        ]
        counters = [
            c["number"]
            for c in requests.get(f"{url}/api/v1/queue", timeout=10).json()["counters"]
            if c["state"] != "paused"  # a closed counter opens on its first call-next
        ]
        print(
            f"bench: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
            f"{args.threads} issuing threads, {len(counters)} counters, "
            f"{len(services)} services, {args.seconds:g} s per phase, load average "
            f"{os.getloadavg()[0]:.2f} (other work on the machine shows in the figures)"
        )
        for line in banner:
            print(f"bench: server {line}")

        issued: dict[str, Any] | None = None
        cycled: dict[str, Any] | None = None
        if args.phase in ("issue", "both"):
            tally = Tally()
            workers = [issue_worker(url, kiosk, services, i, tally) for i in range(args.threads)]
            wall = run_phase(workers, args.seconds)
            issued = report(
                "Phase 1 — issue tickets (POST /api/v1/tickets)",
                "tickets",
                tally,
                wall,
                (50, 95, 99),
            )
        if args.phase in ("cycle", "both"):
            tally, per_request = Tally(), Tally()
            workers = [counter_worker(url, admin, n, tally, per_request) for n in counters]
            wall = run_phase(workers, args.seconds)
            cycled = report(
                "Phase 2 — call-next + complete, one thread per counter",
                "cycles",
                tally,
                wall,
                (50, 99),
            )
            lat = sorted(per_request.latencies)
            print(
                f"  per request: p50 {percentile(lat, 50) * 1000:.1f} ms, "
                f"p99 {percentile(lat, 99) * 1000:.1f} ms"
            )

        print("\nSummary")
        if issued:
            verdict = (
                "meets"
                if issued["rate"] >= TARGET_RATE and issued["p99"] < TARGET_P99_MS
                else "below"
            )
            print(
                f"  issuing: {issued['rate']:.1f} tickets/s, p50 {issued['p50']:.1f} ms, "
                f"p95 {issued['p95']:.1f} ms, p99 {issued['p99']:.1f} ms ({verdict} the target)"
            )
        if cycled:
            print(
                f"  counters: {cycled['rate']:.1f} cycles/s, p50 {cycled['p50']:.1f} ms, "
                f"p99 {cycled['p99']:.1f} ms"
            )
        print(f"  {TARGET}")
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
