"""Realtime benchmark: how long a call takes to reach every lobby display.

N display clients (python-socketio AsyncClient, websocket transport, all on
one asyncio loop, or spread over --procs processes) connect to the /display
namespace. A clerk (admin token) calls numbers with POST
/api/v1/counters/<n>/call-next every --interval seconds. For each call we
take the time from just before the request is sent to the moment its
`ticket.called` event reaches each display, and report:

  every display  the per-call maximum over all N clients (the call is on
                 every screen), p50 and p99 over the calls;
  deliveries     every (call, client) pair, p50 and p99.

In the same run the same procedure is measured against the floor: a bare
Flask-SocketIO app (bench/bare_app.py, same async mode, same Werkzeug server
via socketio.run) whose one POST route emits a payload of the same size (a
real `ticket.called` body captured from ours) to a room the clients joined.
For each N, N clients connect to each server and the calls alternate (floor,
ours, floor, ...), one every --interval, so whatever else runs on the
machine slows both alike.

Targets (issue 3, "Speed"): p99 no more than 1.5x the floor's, and under
50 ms at N = 200.

Clocks: every timestamp is time.perf_counter_ns(), which on Linux is
CLOCK_MONOTONIC, one clock for every process of the machine; the clerk
runs in the same process and loop as the first share of the clients.

Also printed: the POST's own latency, the server's CPU per call, the
clients' CPU (they are Python too and share the 2 cores), and the cores used
meanwhile by unrelated processes (a noisy machine shows up in the tails).
--floor-before 1 makes the floor emit one more event before each call, as
ours does (ticket.completed, then ticket.called), to see what that costs.

    .venv/bin/python bench/bench_realtime.py                      # 50,200,1000, threading
    .venv/bin/python bench/bench_realtime.py --async-modes threading,gevent
    .venv/bin/python bench/bench_realtime.py --clients 200 --calls 100 --interval 0.1
    .venv/bin/python bench/bench_realtime.py --url http://127.0.0.1:5000 --token TOKEN

Needs aiohttp (python-socketio's asyncio client): pip install aiohttp.
Starts `motcua run` and the floor on free ports with their own temporary
data dir, stops everything it started at the end, and gives up after
--budget seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

try:
    import aiohttp
    import socketio
except ImportError as missing:  # pragma: no cover - depends on the environment
    sys.exit(f"bench_realtime: {missing}; install the asyncio client: pip install aiohttp")

BENCH = Path(__file__).resolve().parent
NAMESPACE = "/display"
EVENT = "ticket.called"
clock_ns = time.perf_counter_ns

# A small centre of our own (bench_centre.toml belongs to bench_api.py).
CENTRE = """
[[sites]]
code = "bench"
name = "Trung tâm Phục vụ hành chính công (đo tốc độ hiển thị)"
timezone = "Asia/Ho_Chi_Minh"
hours = "always"
notice = "Công dân vui lòng giữ phiếu và chờ gọi số."

[[sites.services]]
code = "HT"
name = "Hộ tịch"
name_en = "Civil status"
prefix = "A"
digits = 4

[[sites.services]]
code = "CT"
name = "Chứng thực"
name_en = "Certification"
prefix = "B"
digits = 4

[[sites.services]]
code = "DD"
name = "Đất đai"
name_en = "Land"
prefix = "C"
digits = 4
""" + "".join(
    f'\n[[sites.counters]]\nnumber = {n}\nservices = ["HT", "CT", "DD"]\n' for n in range(1, 11)
)


# -- helpers -------------------------------------------------------------------


def log(msg: str) -> None:
    """Progress on stderr, so stdout holds only the figures."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    """Percentile with linear interpolation (numpy's default); nan when empty."""
    if not values:
        return math.nan
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo = math.floor(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), nan elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return math.nan


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine have used so far (Linux /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return math.nan


def http_json(url: str, body: Any = None, token: str | None = None, timeout: float = 10) -> Any:
    """A blocking JSON request (setup only, never timed)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


# -- server processes ------------------------------------------------------------


class Server:
    """A server subprocess on 127.0.0.1, logged to a file, stopped for sure."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], port: int, logdir: Path):
        self.name, self.cmd, self.port = name, cmd, port
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.url = f"http://127.0.0.1:{port}"
        self.log = logdir / f"{name}-{port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, health: str, timeout: float = 60) -> Server:
        """Start and wait until `health` answers."""
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                self.cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=BENCH.parent
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
            try:
                http_json(self.url + health, timeout=1)
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start in {timeout:.0f} s:\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        """The end of the server's log."""
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    @property
    def pid(self) -> int:
        """The process id (0 when not started)."""
        return self.proc.pid if self.proc else 0

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.alive():
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start_ours(mode: str, workdir: Path) -> tuple[Server, str]:
    """`motcua run` on a free port with its own data dir; returns it and an admin token."""
    data, config = workdir / f"ours-{mode}", workdir / "bench_realtime_centre.toml"
    data.mkdir(parents=True, exist_ok=True)
    config.write_text(CENTRE, "utf-8")
    env = {"MOTCUA_ASYNC_MODE": mode}
    base = [sys.executable, "-m", "queue_server.cli"]
    where = ["--config", str(config), "--data-dir", str(data)]
    out = subprocess.run(
        [*base, "token", "create", "--role", "admin", "--name", "bench", *where],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    token = out.stdout.strip().splitlines()[-1]
    port = free_port()
    server = Server(f"ours-{mode}", [*base, "run", "--port", str(port), *where], env, port, workdir)
    return server.start("/api/v1/health"), token


def start_floor(mode: str, workdir: Path, before: int = 0) -> Server:
    """bench/bare_app.py on a free port."""
    port = free_port()
    cmd = [sys.executable, str(BENCH / "bare_app.py"), "--port", str(port), "--async-mode", mode]
    cmd += ["--before", str(before)]
    return Server(f"floor-{mode}", cmd, {}, port, workdir).start("/health")


# -- display clients ---------------------------------------------------------------


class Pool:
    """Display clients on one asyncio loop, recording when each call's event arrives."""

    def __init__(self) -> None:
        self.clients: list[socketio.AsyncClient] = []
        self.arrivals: dict[str, list[int]] = defaultdict(list)
        self.sample: dict[str, Any] | None = None
        self.session: aiohttp.ClientSession | None = None

    def _record(self, data: dict[str, Any]) -> None:
        now = clock_ns()  # first thing: the event has reached this display
        # public events carry no ticket id (issue 9): a printed number is unique in a day
        self.arrivals[data["ticket"]["number"]].append(now)
        if self.sample is None:
            self.sample = data

    async def connect(
        self, url: str, count: int, concurrency: int, timeout: float
    ) -> tuple[int, dict[str, int]]:
        """Connect `count` clients, `concurrency` at a time; (connected, failures by reason)."""
        # One HTTP session for all, without aiohttp's default limit of 100 connections.
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        gate = asyncio.Semaphore(concurrency)
        errors: Counter[str] = Counter()

        async def one() -> None:
            sio = socketio.AsyncClient(reconnection=False, http_session=self.session)
            sio.on(EVENT, self._record, namespace=NAMESPACE)
            async with gate:
                try:
                    await asyncio.wait_for(
                        sio.connect(
                            url,
                            namespaces=[NAMESPACE],
                            transports=["websocket"],
                            wait_timeout=timeout,
                        ),
                        timeout + 5,
                    )
                    self.clients.append(sio)
                except Exception as err:
                    errors[f"{type(err).__name__}: {err}"[:200]] += 1
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(sio.disconnect(), 5)

        await asyncio.gather(*(one() for _ in range(count)))
        # The clients are the measuring instrument: keep the collector's full passes
        # over thousands of long-lived client objects out of the timings.
        gc.collect()
        gc.freeze()
        return len(self.clients), dict(errors)

    def connected(self) -> int:
        """Clients still connected."""
        return sum(1 for c in self.clients if c.connected)

    async def collect(self, keys: list[str], timeout: float) -> dict[str, list[int]]:
        """Wait until every client has every key (or timeout); the arrival times per key."""
        deadline = time.monotonic() + timeout
        want = len(self.clients)
        while time.monotonic() < deadline and any(len(self.arrivals[k]) < want for k in keys):
            await asyncio.sleep(0.01)
        return {k: list(self.arrivals[k]) for k in keys}

    async def close(self) -> None:
        """Disconnect every client (bounded), close the HTTP session."""

        async def one(c: socketio.AsyncClient) -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(c.disconnect(), 10)

        await asyncio.gather(*(one(c) for c in self.clients))
        self.clients.clear()
        gc.unfreeze()
        if self.session is not None:
            await self.session.close()
            self.session = None


def worker_main(conn: Connection) -> None:
    """A client process: a Pool driven by commands from the main process."""
    asyncio.run(_worker(conn))


async def _worker(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    pool = Pool()
    while True:
        cmd, args = await loop.run_in_executor(None, conn.recv)
        if cmd == "connect":
            pool = Pool()
            conn.send(await pool.connect(*args))
        elif cmd == "connected":
            conn.send(pool.connected())
        elif cmd == "collect":
            conn.send(await pool.collect(*args))
        elif cmd == "close":
            await pool.close()
            conn.send(None)
        else:
            return


class RemotePool:
    """A Pool in another process, with the same async methods."""

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(child,), daemon=True)
        self.proc.start()

    async def _ask(self, cmd: str, *args: Any, timeout: float = 120) -> Any:
        self.conn.send((cmd, args))
        loop = asyncio.get_running_loop()
        ready = await loop.run_in_executor(None, self.conn.poll, timeout)
        if not ready:
            raise TimeoutError(f"client process did not answer {cmd!r} in {timeout} s")
        return self.conn.recv()

    async def connect(self, *args: Any) -> tuple[int, dict[str, int]]:
        return await self._ask("connect", *args, timeout=600)  # type: ignore[no-any-return]

    async def connected(self) -> int:
        return await self._ask("connected")  # type: ignore[no-any-return]

    async def collect(self, keys: list[str], timeout: float) -> dict[str, list[int]]:
        return await self._ask("collect", keys, timeout, timeout=timeout + 60)  # type: ignore[no-any-return]

    async def close(self) -> None:
        await self._ask("close", timeout=60)

    def stop(self) -> None:
        """Ask the process to quit, then terminate/kill it."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(("quit", ()))
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)


# -- what is measured ------------------------------------------------------------------


@dataclass
class Target:
    """A server and how a clerk makes it emit one `ticket.called`."""

    kind: str  # "ours" or "floor"
    server: Server | None
    url: str
    call_url: str
    headers: dict[str, str]
    make_body: Callable[[int], dict[str, Any]]
    key_of: Callable[[dict[str, Any], dict[str, Any]], str]

    def pid(self) -> int:
        """The server's pid when we started it (0 for --url)."""
        return self.server.pid if self.server else 0


@dataclass
class Phase:
    """The figures of one target at one N."""

    kind: str
    mode: str
    clients: int
    connected: int = 0
    connect_errors: dict[str, int] = field(default_factory=dict)
    connect_seconds: float = 0.0
    per_call_ms: list[float] = field(default_factory=list)
    deliveries_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    missing: int = 0
    dropped_clients: int = 0
    call_errors: dict[str, int] = field(default_factory=dict)
    server_cpu_ms_per_call: float = math.nan
    clients_cpu_share: float = math.nan
    others_cores: float = math.nan
    note: str = ""

    def summary(self) -> dict[str, Any]:
        """Numbers for the table and --json."""
        return {
            "kind": self.kind,
            "mode": self.mode,
            "clients": self.clients,
            "connected": self.connected,
            "connect_errors": self.connect_errors,
            "connect_seconds": round(self.connect_seconds, 1),
            "calls": len(self.per_call_ms),
            "every_display_p50_ms": pct(self.per_call_ms, 50),
            "every_display_p99_ms": pct(self.per_call_ms, 99),
            "every_display_max_ms": max(self.per_call_ms, default=math.nan),
            "delivery_p50_ms": pct(self.deliveries_ms, 50),
            "delivery_p99_ms": pct(self.deliveries_ms, 99),
            "post_p50_ms": pct(self.post_ms, 50),
            "missing_deliveries": self.missing,
            "dropped_clients": self.dropped_clients,
            "call_errors": self.call_errors,
            "server_cpu_ms_per_call": self.server_cpu_ms_per_call,
            "clients_cpu_share": self.clients_cpu_share,
            "other_processes_cores": self.others_cores,
            "note": self.note,
        }


class Clients:
    """N display clients: a share on this loop (with the clerk), the rest in other processes."""

    def __init__(self, procs: int) -> None:
        self.local = Pool()
        self.remotes = [RemotePool() for _ in range(max(0, procs - 1))]

    def pools(self) -> list[Any]:
        """Every pool, this process's first."""
        return [self.local, *self.remotes]

    def pids(self) -> list[int]:
        """The processes the clients run in."""
        return [os.getpid(), *(r.proc.pid or 0 for r in self.remotes)]

    async def connect(
        self, url: str, count: int, concurrency: int, timeout: float
    ) -> tuple[int, dict[str, int]]:
        """Split `count` over the pools and connect them side by side."""
        pools = self.pools()
        shares = [
            count // len(pools) + (1 if i < count % len(pools) else 0) for i in range(len(pools))
        ]
        each = max(1, concurrency // len(pools))
        results = await asyncio.gather(
            *(p.connect(url, n, each, timeout) for p, n in zip(pools, shares, strict=True))
        )
        errors: Counter[str] = Counter()
        for _, errs in results:
            errors.update(errs)
        return sum(ok for ok, _ in results), dict(errors)

    async def connected(self) -> int:
        """Clients still connected, over all pools."""
        counts = [self.local.connected(), *[await r.connected() for r in self.remotes]]
        return sum(counts)

    async def collect(self, keys: list[str], timeout: float) -> dict[str, list[int]]:
        """Arrival times per key, merged over the pools."""
        parts = await asyncio.gather(*(p.collect(keys, timeout) for p in self.pools()))
        merged: dict[str, list[int]] = {k: [] for k in keys}
        for part in parts:
            for k, times in part.items():
                merged[k].extend(times)
        return merged

    async def close(self) -> None:
        """Disconnect everything."""
        await asyncio.gather(*(p.close() for p in self.pools()), return_exceptions=True)
        self.local = Pool()

    def stop(self) -> None:
        """End the client processes."""
        for r in self.remotes:
            r.stop()


async def run_phase(
    targets: list[Target], mode: str, n: int, groups: dict[str, Clients], args: argparse.Namespace
) -> list[Phase]:
    """Connect N displays to each target, then call on the targets in turn, and measure.

    Both targets' calls are interleaved (floor, ours, floor, ours...), one every
    --interval, so anything else running on the machine slows both alike.
    """
    total = args.warmup + args.calls
    phases = {t.kind: Phase(t.kind, mode, n) for t in targets}
    for target in targets:
        if target.kind == "ours":  # tickets to call, issued before the displays connect
            for _ in range(total):
                await asyncio.to_thread(
                    http_json,
                    f"{target.url}/api/v1/tickets",
                    {"service": args.service},
                    target.headers["Authorization"][7:],
                )
    for target in targets:
        phase, clients = phases[target.kind], groups[target.kind]
        started = time.monotonic()
        phase.connected, phase.connect_errors = await clients.connect(
            target.url, n, args.connect_concurrency, args.connect_timeout
        )
        phase.connect_seconds = time.monotonic() - started
        log(
            f"{target.kind:5} {mode:9} N={n}: {phase.connected}/{n} connected in "
            f"{phase.connect_seconds:.1f} s"
            + (f", failures {phase.connect_errors}" if phase.connect_errors else "")
        )
    live = [t for t in targets if phases[t.kind].connected > 0]
    for target in targets:
        if target not in live:
            phases[target.kind].note = "no client connected"
    await asyncio.sleep(args.settle)

    sent: dict[str, list[tuple[str, int, int]]] = {t.kind: [] for t in live}
    errors: dict[str, Counter[str]] = {t.kind: Counter() for t in live}
    cpu_pids = [pid for t in live for pid in groups[t.kind].pids()]
    server_cpu0 = {t.kind: cpu_seconds(t.pid()) if t.pid() else math.nan for t in live}
    clients_cpu0 = sum(cpu_seconds(p) for p in dict.fromkeys(cpu_pids))
    servers = [t.pid() for t in targets if t.pid()]
    ours_cpu0 = clients_cpu0 + sum(cpu_seconds(p) for p in servers)
    machine0 = machine_busy_seconds()
    wall0 = time.monotonic()
    loop = asyncio.get_running_loop()
    timeout = aiohttp.ClientTimeout(total=args.request_timeout)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        start = loop.time()
        for i in range(total * len(live)):
            target = live[i % len(live)]
            await asyncio.sleep(max(0.0, start + i * args.interval - loop.time()))
            body = target.make_body(i)
            t0 = clock_ns()
            try:
                async with http.post(target.call_url, json=body, headers=target.headers) as resp:
                    data = await resp.json()
                    t1 = clock_ns()
                    if resp.status >= 300:
                        errors[target.kind][f"HTTP {resp.status}: {str(data)[:120]}"] += 1
                        continue
                sent[target.kind].append((target.key_of(data, body), t0, t1))
            except Exception as err:
                errors[target.kind][f"{type(err).__name__}: {err}"[:160]] += 1
        arrivals = {
            t.kind: await groups[t.kind].collect(
                [k for k, _, _ in sent[t.kind]], args.delivery_timeout
            )
            for t in live
        }
    wall = time.monotonic() - wall0
    clients_cpu1 = sum(cpu_seconds(p) for p in dict.fromkeys(cpu_pids))
    clients_share = (clients_cpu1 - clients_cpu0) / wall
    # CPU used meanwhile by processes that are not part of the benchmark (noise).
    ours_cpu = clients_cpu1 + sum(cpu_seconds(p) for p in servers) - ours_cpu0
    others = (machine_busy_seconds() - machine0 - ours_cpu) / wall
    for target in live:
        phase = phases[target.kind]
        if target.pid():
            used = cpu_seconds(target.pid()) - server_cpu0[target.kind]
            phase.server_cpu_ms_per_call = used * 1000 / total
        phase.clients_cpu_share = clients_share
        phase.others_cores = max(0.0, others)
        phase.call_errors = dict(errors[target.kind])
        phase.dropped_clients = phase.connected - await groups[target.kind].connected()
        for i, (key, t0, t1) in enumerate(sent[target.kind]):
            if i < args.warmup:
                continue
            times = arrivals[target.kind].get(key, [])
            phase.missing += max(0, phase.connected - len(times))
            phase.post_ms.append((t1 - t0) / 1e6)
            if times:
                lat = [(t - t0) / 1e6 for t in times]
                phase.deliveries_ms.extend(lat)
                phase.per_call_ms.append(max(lat))
        s = phase.summary()
        log(
            f"{target.kind:5} {mode:9} N={n}: every display p50 "
            f"{s['every_display_p50_ms']:.1f} ms p99 {s['every_display_p99_ms']:.1f} ms; "
            f"deliveries p50 {s['delivery_p50_ms']:.1f} p99 {s['delivery_p99_ms']:.1f}; "
            f"POST p50 {s['post_p50_ms']:.1f}; missing {phase.missing}; "
            f"errors {phase.call_errors or 0}"
        )
    for target in targets:
        await groups[target.kind].close()
    await asyncio.sleep(args.settle)
    return [phases[t.kind] for t in targets]


async def capture_sample(url: str, token: str, counter: int, service: str) -> dict[str, Any]:
    """One real `ticket.called` body from ours, to give the floor the same payload."""
    pool = Pool()
    ok, errs = await pool.connect(url, 1, 1, 20)
    if not ok:
        raise RuntimeError(f"could not connect a display to {url}: {errs}")
    try:
        await asyncio.to_thread(http_json, f"{url}/api/v1/tickets", {"service": service}, token)
        called = await asyncio.to_thread(
            http_json, f"{url}/api/v1/counters/{counter}/call-next", {}, token
        )
        key = called["ticket"]["number"]
        await pool.collect([key], 10)
        if pool.sample is None:
            raise RuntimeError("no ticket.called event reached the display")
        return {k: v for k, v in pool.sample.items() if k not in ("epoch", "seq")}
    finally:
        await pool.close()


def ours_target(url: str, token: str, counter: int, server: Server | None) -> Target:
    return Target(
        "ours",
        server,
        url,
        f"{url}/api/v1/counters/{counter}/call-next",
        {"Authorization": f"Bearer {token}"},
        lambda i: {},
        lambda data, body: data["ticket"]["number"] if data.get("ticket") else "(queue empty)",
    )


def floor_target(server: Server, template: dict[str, Any]) -> Target:
    run = os.urandom(4).hex()

    def body(i: int) -> dict[str, Any]:
        return {**template, "ticket": {**template["ticket"], "number": f"floor-{run}-{i:06d}"}}

    return Target(
        "floor",
        server,
        server.url,
        f"{server.url}/emit",
        {},
        body,
        lambda data, sent: sent["ticket"]["number"],
    )


# -- report ------------------------------------------------------------------------------


def report(phases: list[Phase], args: argparse.Namespace) -> str:
    """The table of figures."""
    rows = []
    by = {(p.mode, p.clients, p.kind): p.summary() for p in phases}
    head = (
        f"{'mode':9} {'N':>5} | {'ours p50':>8} {'p99':>7} | {'floor p50':>9} {'p99':>7} | "
        f"{'p99 ratio':>9} {'(p50)':>6} | {'<=1.5x floor':>12} | {'<50ms@200':>9}"
    )
    rows.append("Time from POST call-next to ticket.called on EVERY display (per-call max), ms")
    rows.append(head)
    rows.append("-" * len(head))
    for mode in dict.fromkeys(p.mode for p in phases):
        for n in dict.fromkeys(p.clients for p in phases if p.mode == mode):
            ours, floor = by.get((mode, n, "ours")), by.get((mode, n, "floor"))
            o50 = ours["every_display_p50_ms"] if ours else math.nan
            o99 = ours["every_display_p99_ms"] if ours else math.nan
            f50 = floor["every_display_p50_ms"] if floor else math.nan
            f99 = floor["every_display_p99_ms"] if floor else math.nan
            ratio = o99 / f99 if f99 and not math.isnan(f99) else math.nan
            ratio50 = o50 / f50 if f50 and not math.isnan(f50) else math.nan
            ok_ratio = "-" if math.isnan(ratio) else ("yes" if ratio <= 1.5 else "NO")
            ok_200 = "" if n != 200 else ("yes" if o99 < 50 else "NO")
            rows.append(
                f"{mode:9} {n:>5} | {o50:>8.1f} {o99:>7.1f} | {f50:>9.1f} {f99:>7.1f} | "
                f"{ratio:>9.2f} {ratio50:>6.2f} | {ok_ratio:>12} | {ok_200:>9}"
            )
    rows.append("")
    rows.append(
        "Details (dlv = every call x client pair; CPU over the calls window: server ms per "
        "call, clients in % of one core, others = cores used by unrelated processes)"
    )
    head2 = (
        f"{'mode':9} {'N':>5} {'what':5} | {'conn':>9} {'conn s':>6} | {'calls':>5} "
        f"{'dlv p50':>7} {'dlv p99':>7} {'max':>7} | {'POST p50':>8} | {'missing':>7} "
        f"{'dropped':>7} | {'srv CPU ms/call':>15} {'clients CPU':>11} {'others':>6}"
    )
    rows.append(head2)
    rows.append("-" * len(head2))
    for p in phases:
        s = p.summary()
        rows.append(
            f"{p.mode:9} {p.clients:>5} {p.kind:5} | {f'{p.connected}/{p.clients}':>9} "
            f"{s['connect_seconds']:>6.1f} | {s['calls']:>5} {s['delivery_p50_ms']:>7.1f} "
            f"{s['delivery_p99_ms']:>7.1f} {s['every_display_max_ms']:>7.1f} | "
            f"{s['post_p50_ms']:>8.1f} | {p.missing:>7} {p.dropped_clients:>7} | "
            f"{s['server_cpu_ms_per_call']:>15.2f} {s['clients_cpu_share']:>10.0%} "
            f"{p.others_cores:>6.2f}"
        )
        for reason, count in {**p.connect_errors, **p.call_errors}.items():
            rows.append(f"{'':17}  {count} x {reason}")
        if p.note:
            rows.append(f"{'':17}  {p.note}")
    rows.append("")
    rows.append(
        f"{args.calls} measured calls per row (+{args.warmup} warmup); floor and ours "
        f"alternate, one call every {args.interval * 1000:.0f} ms; clients in "
        f"{args.procs} process(es), websocket "
        f"transport; {os.cpu_count()} CPU(s). Targets: ours p99 <= 1.5x floor p99, "
        "and < 50 ms at N = 200."
    )
    return "\n".join(rows)


# -- main ----------------------------------------------------------------------------------


async def run(
    args: argparse.Namespace, workdir: Path, started: list[Server], phases: list[Phase]
) -> None:
    """Every mode, every N, floor then ours; figures are appended to `phases` as they come."""
    groups = {kind: Clients(args.procs) for kind in ("floor", "ours")}
    try:
        for mode in args.async_modes:
            if args.url:
                ours_server, url, token = None, args.url.rstrip("/"), args.token
            else:
                log(f"starting motcua run ({mode})")
                ours_server, token = await asyncio.to_thread(start_ours, mode, workdir)
                started.append(ours_server)
                url = ours_server.url
            log(f"starting the floor, bench/bare_app.py ({mode})")
            floor_server = await asyncio.to_thread(start_floor, mode, workdir, args.floor_before)
            started.append(floor_server)
            template = await capture_sample(url, token, args.counter, args.service)
            size = len(json.dumps({**template, "epoch": "x" * 16, "seq": 1}, ensure_ascii=False))
            log(f"ticket.called payload: {size} bytes of JSON (the floor emits the same body)")
            ours = ours_target(url, token, args.counter, ours_server)
            floor = floor_target(floor_server, template)
            targets = [t for t in (floor, ours) if t.kind in args.targets]
            for n in args.clients:
                for server in (ours_server, floor_server):
                    if server is not None and not server.alive():
                        raise RuntimeError(f"{server.name} died:\n{server.tail()}")
                phases.extend(await run_phase(targets, mode, n, groups, args))
            for server in (floor_server, ours_server):
                if server is not None:
                    server.stop()
            if args.url:
                break
    finally:
        for clients in groups.values():
            await clients.close()
            clients.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Time from a call to its event on every display, ours vs a bare "
        "Flask-SocketIO floor.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--clients", default="50,200,1000", help="comma-separated values of N")
    p.add_argument("--calls", type=int, default=50, help="measured calls per N")
    p.add_argument("--warmup", type=int, default=5, help="unmeasured calls first")
    p.add_argument("--interval", type=float, default=0.2, help="seconds between calls")
    p.add_argument("--async-modes", default="threading", help="comma-separated: threading, gevent")
    p.add_argument("--procs", type=int, default=1, help="processes hosting the clients")
    p.add_argument("--connect-concurrency", type=int, default=50, help="connects in flight")
    p.add_argument("--connect-timeout", type=float, default=20, help="seconds per connect")
    p.add_argument("--delivery-timeout", type=float, default=15, help="wait for late events")
    p.add_argument("--request-timeout", type=float, default=15, help="seconds per POST")
    p.add_argument("--settle", type=float, default=1.0, help="pause after connecting")
    p.add_argument("--targets", default="floor,ours", help="what to measure: floor, ours")
    p.add_argument(
        "--floor-before",
        type=int,
        default=0,
        help="diagnostics: the floor also emits this many other events before each call "
        "(ours emits ticket.completed before ticket.called)",
    )
    p.add_argument("--url", help="measure this running server instead of starting one")
    p.add_argument("--token", help="admin token for --url")
    p.add_argument("--counter", type=int, default=1, help="counter the clerk calls at")
    p.add_argument("--service", default="HT", help="service of the issued tickets")
    p.add_argument("--budget", type=float, default=1800, help="give up after this many seconds")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (server logs)")
    args = p.parse_args(argv)
    args.clients = [int(x) for x in args.clients.split(",") if x.strip()]
    args.targets = {t.strip() for t in args.targets.split(",") if t.strip()}
    args.async_modes = [m.strip() for m in args.async_modes.split(",") if m.strip()]
    if args.url and not args.token:
        p.error("--url needs --token (an admin or clerk token for --counter)")
    for m in args.async_modes:
        if m not in ("threading", "gevent"):
            p.error(f"unknown async mode {m!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if (
        args.procs > 1
        and "CLOCK_MONOTONIC" not in time.get_clock_info("perf_counter").implementation
    ):
        sys.exit("bench_realtime: --procs > 1 needs a system-wide perf_counter (Linux)")

    def terminated(signum: int, frame: Any) -> None:
        raise SystemExit(f"bench_realtime: stopped by signal {signum}")

    signal.signal(signal.SIGTERM, terminated)  # so `finally` stops the servers
    workdir = Path(tempfile.mkdtemp(prefix="motcua-bench-rt-"))
    started: list[Server] = []
    phases: list[Phase] = []
    code = 0
    try:
        asyncio.run(asyncio.wait_for(run(args, workdir, started, phases), args.budget))
    except TimeoutError:
        log(f"gave up after the budget of {args.budget:.0f} s")
        code = 1
    except Exception as err:
        log(f"failed: {type(err).__name__}: {err}")
        code = 1
    except (KeyboardInterrupt, SystemExit) as stop:
        log(f"interrupted: {stop}")
        code = 130
    finally:
        for server in started:
            server.stop()
        if args.keep or code:
            log(f"server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if phases:
        print(report(phases, args))
        if args.json:
            Path(args.json).write_text(
                json.dumps([p.summary() for p in phases], indent=2, default=str), "utf-8"
            )
    return code


if __name__ == "__main__":
    raise SystemExit(main())
