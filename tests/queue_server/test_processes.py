"""Real `motcua run` processes: numbering across processes, SIGKILL safety, Socket.IO.

Everything here goes through HTTP and python-socketio's client against
servers started by the `server_factory` fixture, never through the app
object, so it checks what a kiosk, a display and a clerk console really see.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from tests.conftest import SLOTS_AT_ONCE, ServerProcess, centre_text, motcua

pytestmark = pytest.mark.server

NS = "/display"
API = "/api/v1"
HTTP_TIMEOUT = 10

# The bursts below come from one kiosk token, far above a real kiosk's rate limit.
BURST_CENTRE = centre_text().replace(
    'hours = "always"\n', 'hours = "always"\nkiosk_rate_per_minute = 1000000\n', 1
)
assert "kiosk_rate_per_minute" in BURST_CENTRE


def bearer(token: str) -> dict[str, str]:
    """Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def issue(http: Any, server: ServerProcess, token: str, service: str = "HT") -> requests.Response:
    """POST /tickets."""
    return http.post(  # type: ignore[no-any-return]
        f"{server.url}{API}/tickets", json={"service": service}, headers=bearer(token),
        timeout=HTTP_TIMEOUT,
    )  # fmt: skip


def counter_action(server: ServerProcess, token: str, number: int, action: str) -> dict[str, Any]:
    """POST /counters/<n>/<action>, which must answer 200; returns the TICKET (or None)."""
    r = requests.post(
        f"{server.url}{API}/counters/{number}/{action}", headers=bearer(token), timeout=HTTP_TIMEOUT
    )
    assert r.status_code == 200, r.text
    return r.json().get("ticket")  # type: ignore[no-any-return]  # open/close answer a counter


def seq_number(number: str) -> int:
    """The day sequence of a printed number: A0042 -> 42."""
    assert number.startswith("A") and len(number) == 5, number
    return int(number[1:])


class Display:
    """A lobby display: a python-socketio client on /display that records every event."""

    def __init__(self, url: str, *, reconnection: bool = False) -> None:
        self.url = url
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.sio = socketio.Client(reconnection=reconnection, reconnection_delay=0.2,
                                   reconnection_delay_max=0.5)  # fmt: skip
        self.sio.on("*", self._record, namespace=NS)

    def _record(self, event: str, data: dict[str, Any]) -> None:
        self.events.put((event, data))

    def connect(self) -> dict[str, Any]:
        """Connect over websocket and return the `snapshot` the server sends on connect."""
        self.sio.connect(self.url, namespaces=[NS], transports=["websocket"], wait_timeout=10)
        return self.expect("snapshot")

    def next(self, timeout: float = 10) -> tuple[str, dict[str, Any]]:
        """The next event received."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no Socket.IO event within {timeout} s")

    def expect(self, name: str, timeout: float = 10) -> dict[str, Any]:
        """The next event, which must be `name`."""
        got, data = self.next(timeout)
        assert got == name, f"expected {name}, got {got}: {data}"
        return data

    def quiet(self, within: float = 0.5) -> None:
        """Assert nothing arrives for a while."""
        try:
            got = self.events.get(timeout=within)
        except queue.Empty:
            return
        pytest.fail(f"unexpected event {got}")

    def sync(self) -> dict[str, Any]:
        """Ask for a fresh SNAPSHOT."""
        return self.sio.call("sync", namespace=NS, timeout=10)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Disconnect (also stops any reconnection attempts)."""
        self.sio.disconnect()


@pytest.fixture
def displays() -> Any:
    """Make Display clients; all are disconnected at the end of the test."""
    made: list[Display] = []

    def make(url: str, **kwargs: Any) -> Display:
        d = Display(url, **kwargs)
        made.append(d)
        return d

    yield make
    # Closed side by side: websocket-client may wait up to 3 s for the close frame.
    closers = [threading.Thread(target=d.close) for d in made]
    for t in closers:
        t.start()
    for t in closers:
        t.join(10)


def run_threads(count: int, target: Callable[[int], None]) -> None:
    """Run target(i) in `count` threads released together; re-raise the first failure."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait(10)
            target(i)
        except BaseException as err:  # re-raised below
            failures.append(err)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "client threads hung"
    if failures:
        raise failures[0]


# -- numbering across processes --------------------------------------------------


@pytest.mark.postgres
def test_two_processes_sharing_postgres_issue_consecutive_numbers(
    server_factory: Callable[..., ServerProcess], pg_url: str, tmp_path: Path
) -> None:
    env = {"MOTCUA_DATABASE_URL": pg_url}
    servers = [
        server_factory(env=env, centre=BURST_CENTRE, data_dir=tmp_path / "a").start(),
        server_factory(env=env, centre=BURST_CENTRE, data_dir=tmp_path / "b").start(),
    ]
    kiosk = servers[0].token("kiosk")  # stored in PostgreSQL, so both servers know it
    threads, per_thread = 8, 200
    results: list[list[tuple[int, str, str]]] = [[] for _ in range(threads)]

    def client(i: int) -> None:
        with requests.Session() as http:
            for j in range(per_thread):
                server = servers[(i + j) % 2]
                r = issue(http, server, kiosk)
                results[i].append((r.status_code, r.json()["ticket"]["number"], server.url))

    run_threads(threads, client)
    flat = [x for per in results for x in per]
    assert [status for status, _, _ in flat] == [201] * threads * per_thread
    numbers = [n for _, n, _ in flat]
    assert len(set(numbers)) == len(numbers), "duplicate numbers"
    assert sorted(numbers) == [f"A{i:04d}" for i in range(1, threads * per_thread + 1)]
    by_server = {url: sum(1 for _, _, u in flat if u == url) for url in (s.url for s in servers)}
    assert set(by_server.values()) == {threads * per_thread // 2}
    # Each thread's own numbers grow: a later request never gets an earlier number.
    for per in results:
        mine = [seq_number(n) for _, n, _ in per]
        assert mine == sorted(mine)


@pytest.mark.postgres
def test_a_revoked_token_is_refused_at_once_by_every_process(
    server_factory: Callable[..., ServerProcess], pg_url: str, tmp_path: Path
) -> None:
    """Revocation in one process (the CLI) holds on the very next request in two servers
    sharing the database, even right after each has just accepted the token."""
    env = {"MOTCUA_DATABASE_URL": pg_url}
    servers = [
        server_factory(env=env, data_dir=tmp_path / "a").start(),
        server_factory(env=env, data_dir=tmp_path / "b").start(),
    ]
    kiosk, other = servers[0].token("kiosk"), servers[1].token("kiosk")
    with requests.Session() as http:
        assert [issue(http, s, kiosk).status_code for s in servers] == [201, 201]
        listed = motcua(
            "token", "list", "--config", str(servers[0].config_path), "--data-dir",
            str(tmp_path / "a"), cwd=tmp_path, env=env,
        )  # fmt: skip
        first_id = listed.stdout.strip().splitlines()[1].split()[0]
        revoked = motcua(
            "token", "revoke", first_id, "--config", str(servers[0].config_path),
            "--data-dir", str(tmp_path / "a"), cwd=tmp_path, env=env,
        )  # fmt: skip
        assert revoked.returncode == 0, revoked.stderr
        answers = [issue(http, s, kiosk) for s in servers]
        assert [r.status_code for r in answers] == [401, 401]
        assert {r.json()["error"]["code"] for r in answers} == {"unauthorized"}
        assert [issue(http, s, other).status_code for s in servers] == [201, 201]


# -- crash safety ------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """Server environment for the embedded SQLite default, or PostgreSQL."""
    if request.param == "sqlite":
        return {}
    return {"MOTCUA_DATABASE_URL": str(request.getfixturevalue("pg_url"))}


def test_sigkill_mid_burst_keeps_every_acknowledged_ticket(
    server_factory: Callable[..., ServerProcess], backend_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = server_factory(env=backend_env, centre=BURST_CENTRE, data_dir=data).start()
    kiosk = first.token("kiosk")
    acked: list[tuple[str, str]] = []  # (id, number) of every 201 a client received
    odd: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def burst(_i: int) -> None:
        with requests.Session() as http:
            while not stop.is_set():
                try:
                    r = issue(http, first, kiosk)
                except requests.RequestException:
                    return  # the server died under us: expected
                if r.status_code != 201:
                    odd.append(f"{r.status_code} {r.text[:200]}")
                    return
                t = r.json()["ticket"]
                with lock:
                    acked.append((t["id"], t["number"]))

    workers = [threading.Thread(target=burst, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 60
    while len(acked) < 300 and time.monotonic() < deadline and not odd:
        time.sleep(0.005)
    alive_at_kill = sum(w.is_alive() for w in workers)
    first.kill()  # SIGKILL while the four clients are still sending
    stop.set()
    for w in workers:
        w.join(30)
    assert not odd, odd
    assert len(acked) >= 300, f"only {len(acked)} tickets before the deadline"
    assert alive_at_kill == 4, "the burst ended before the kill"

    second = server_factory(env=backend_env, centre=BURST_CENTRE, data_dir=data).start()
    with requests.Session() as http:
        for ticket_id, number in acked:
            r = http.get(f"{second.url}{API}/tickets/{ticket_id}", timeout=HTTP_TIMEOUT)
            assert r.status_code == 200, f"acknowledged {number} lost: {r.text}"
            assert r.json()["ticket"]["number"] == number

        # Everything committed (acknowledged or not) is gap-free: A0001..AN.
        r = http.get(f"{second.url}{API}/counters/1/waiting", timeout=HTTP_TIMEOUT)
        stored = [t["number"] for t in r.json()["tickets"] if t["service"] == "HT"]
        last = len(stored)
        assert sorted(stored) == [f"A{i:04d}" for i in range(1, last + 1)]
        assert {n for _, n in acked} <= set(stored)
        assert last - len(acked) <= 4, "more unacknowledged tickets than requests in flight"

        # Numbering continues right after the last committed number.
        after = []
        for _ in range(10):
            r = issue(http, second, kiosk)  # the token survived the crash too
            assert r.status_code == 201, r.text
            after.append(r.json()["ticket"]["number"])
    assert after == [f"A{i:04d}" for i in range(last + 1, last + 11)]
    everything = stored + after
    assert len(set(everything)) == len(everything)


# -- Socket.IO through a real server ------------------------------------------------


def test_display_events_seq_sync_gap_and_new_epoch(
    server_factory: Callable[..., ServerProcess], displays: Callable[..., Display], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    server = server_factory(env={"MOTCUA_TEST_HOOKS": "1"}, data_dir=data).start()
    kiosk, clerk = server.token("kiosk"), server.token("clerk", 1)
    display = displays(server.url, reconnection=True)
    snap = display.connect()
    epoch, seq = snap["epoch"], snap["seq"]
    assert isinstance(epoch, str) and epoch
    assert seq == 0
    assert snap["waiting"]["HT"] == 0
    assert [c["number"] for c in snap["counters"]] == [1, 2, 3, 4]

    def expect_next(name: str) -> dict[str, Any]:
        nonlocal seq
        event = display.expect(name)
        assert (event["epoch"], event["seq"]) == (epoch, seq + 1)
        seq += 1
        return event

    r = issue(requests, server, kiosk)
    assert r.status_code == 201
    ticket = r.json()["ticket"]
    issued = expect_next("ticket.issued")
    assert "id" not in issued["ticket"] and "status_url" not in issued["ticket"]  # public shape
    assert issued["ticket"]["number"] == ticket["number"] == "A0001"
    assert issued["ticket"]["status"] == "waiting"

    assert counter_action(server, clerk, 1, "call-next")["number"] == "A0001"
    opened = expect_next("counter.state")  # the day's first call opened the counter
    assert (opened["counter"]["number"], opened["counter"]["state"]) == (1, "open")
    called = expect_next("ticket.called")
    assert called["ticket"]["number"] == "A0001"
    assert called["ticket"]["status"] == "called"
    assert called["ticket"]["counter"] == 1
    assert called["counter"] == {"number": 1, "name": "Quầy số 01"}
    assert called["recall"] is False
    assert called["announcement"]["text"] == ("Xin mời công dân có số thứ tự a một đến quầy số một")
    assert "audio_url" in called["announcement"]

    counter_action(server, clerk, 1, "recall")
    recalled = expect_next("ticket.called")
    assert recalled["recall"] is True
    assert recalled["ticket"]["number"] == "A0001"
    assert recalled["announcement"]["text"] == called["announcement"]["text"]

    synced = display.sync()
    assert (synced["epoch"], synced["seq"]) == (epoch, seq)
    assert synced["counters"][0]["ticket"]["number"] == "A0001"
    display.quiet(0.2)

    # Lose one event on purpose: the display sees a gap, and a sync repairs it.
    r = requests.post(f"{server.url}{API}/_test/drop-next-event", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert issue(requests, server, kiosk).json()["ticket"]["number"] == "A0002"  # not shown
    assert issue(requests, server, kiosk).json()["ticket"]["number"] == "A0003"
    after_gap = display.expect("ticket.issued")
    assert after_gap["epoch"] == epoch
    assert after_gap["seq"] == seq + 2, "the dropped event must leave a gap"
    assert after_gap["ticket"]["number"] == "A0003"
    seq = after_gap["seq"]
    repaired = display.sync()
    assert (repaired["epoch"], repaired["seq"]) == (epoch, seq)
    assert repaired["waiting"]["HT"] == 2  # A0002, which the display never saw, and A0003
    display.quiet(0.2)

    # A restart on the same data dir and port: the client reconnects, gets a new epoch.
    server.stop()
    restarted = server_factory(
        env={"MOTCUA_TEST_HOOKS": "1"}, data_dir=data, port=server.port
    ).start()
    fresh = display.expect("snapshot", timeout=20)
    assert fresh["epoch"] != epoch
    assert fresh["seq"] == 0
    assert fresh["waiting"]["HT"] == 2  # the state itself survived
    assert fresh["counters"][0]["ticket"]["number"] == "A0001"
    assert issue(requests, restarted, kiosk).status_code == 201
    event = display.expect("ticket.issued")
    assert (event["epoch"], event["seq"]) == (fresh["epoch"], 1)
    assert event["ticket"]["number"] == "A0004"


@pytest.mark.redis
@pytest.mark.postgres
def test_redis_shares_events_and_one_sequence_across_processes(
    server_factory: Callable[..., ServerProcess],
    displays: Callable[..., Display],
    pg_url: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    env = {"MOTCUA_DATABASE_URL": pg_url, "MOTCUA_REDIS_URL": redis_url}
    a = server_factory(env=env, data_dir=tmp_path / "a").start()
    b = server_factory(env=env, data_dir=tmp_path / "b").start()
    kiosk, clerk1, clerk2 = a.token("kiosk"), a.token("clerk", 1), a.token("clerk", 2)
    for server, clerk, number in ((a, clerk1, 1), (b, clerk2, 2)):  # the clerks open up
        opened = requests.post(
            f"{server.url}{API}/counters/{number}/open", headers=bearer(clerk), timeout=HTTP_TIMEOUT
        )
        assert opened.status_code == 200, opened.text
    on_a = displays(a.url)
    snap = on_a.connect()
    epoch, seq = snap["epoch"], snap["seq"]
    on_b = displays(b.url)
    assert (on_b.connect()["epoch"], on_b.sync()["seq"]) == (epoch, seq), "one shared sequence"

    # Alternate servers; every event reaches the display on A, numbered one by one.
    steps: list[tuple[ServerProcess, str, Callable[[], Any]]] = [
        (a, "ticket.issued", lambda: issue(requests, a, kiosk)),
        (b, "ticket.issued", lambda: issue(requests, b, kiosk)),
        (b, "ticket.called", lambda: counter_action(b, clerk1, 1, "call-next")),
        (a, "ticket.called", lambda: counter_action(a, clerk2, 2, "call-next")),
        (b, "ticket.called", lambda: counter_action(b, clerk1, 1, "recall")),
        (a, "ticket.completed", lambda: counter_action(a, clerk1, 1, "complete")),
        (b, "ticket.issued", lambda: issue(requests, b, kiosk)),
    ]
    received = []
    for _server, name, act in steps:
        act()
        event = on_a.expect(name)
        assert (event["epoch"], event["seq"]) == (epoch, seq + 1)
        seq += 1
        received.append(event)
        # The display on B sees the same event with the same numbering.
        mirrored = on_b.expect(name)
        assert (mirrored["epoch"], mirrored["seq"]) == (epoch, seq)

    called_via_b = received[2]
    assert called_via_b["ticket"]["number"] == "A0001"
    assert called_via_b["counter"] == {"number": 1, "name": "Quầy số 01"}
    assert called_via_b["announcement"]["text"] == (
        "Xin mời công dân có số thứ tự a một đến quầy số một"
    )
    assert received[3]["ticket"]["number"] == "A0002"
    assert received[3]["announcement"]["text"] == (
        "Xin mời công dân có số thứ tự a hai đến quầy số hai"
    )
    assert received[4]["recall"] is True
    assert [on_a.sync()["seq"], on_b.sync()["seq"]] == [seq, seq]

    # Without MOTCUA_TEST_HOOKS the drop hook does not exist.
    r = requests.post(f"{a.url}{API}/_test/drop-next-event", timeout=HTTP_TIMEOUT)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_redis_shares_one_announcement_queue_across_processes(
    server_factory: Callable[..., ServerProcess],
    displays: Callable[..., Display],
    pg_url: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    """Calls made on two processes take consecutive slots of one queue; a display connected
    to either gets the calls still to be read (issue 11, item 4)."""
    env = {"MOTCUA_DATABASE_URL": pg_url, "MOTCUA_REDIS_URL": redis_url}
    centre = BURST_CENTRE.replace(SLOTS_AT_ONCE, "announce_slot_seconds = 20\n", 1)
    a = server_factory(env=env, centre=centre, data_dir=tmp_path / "a").start()
    b = server_factory(env=env, centre=centre, data_dir=tmp_path / "b").start()
    kiosk, admin = a.token("kiosk"), a.token("admin")
    on_a = displays(a.url)
    on_a.connect()
    for _ in range(3):
        assert issue(requests, b, kiosk).status_code == 201
        on_a.expect("ticket.issued")
    for server, counter in ((a, 1), (b, 2)):  # counters start the day closed
        counter_action(server, admin, counter, "open")
        assert on_a.expect("counter.state")["counter"]["state"] == "open"
    calls = []
    for server, counter in ((a, 1), (b, 2), (a, 1)):
        action = "recall" if calls and counter == 1 else "call-next"
        counter_action(server, admin, counter, action)
        calls.append(on_a.expect("ticket.called"))
    starts = [datetime.fromisoformat(c["announce_at"]).timestamp() for c in calls]
    assert [round(t - starts[0], 3) for t in starts] == [0, 20, 40]
    for display_on in (a, b):
        snap = displays(display_on.url).connect()
        assert [x["announce_at"] for x in snap["announcing"]] == [c["announce_at"] for c in calls]
        assert [x["seq"] for x in snap["announcing"]] == [c["seq"] for c in calls]
        now = datetime.fromisoformat(snap["server_time"]).timestamp()
        assert starts[0] <= now < starts[1]


# -- async modes ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["gevent", "eventlet"])
def test_async_mode_smoke(
    server_factory: Callable[..., ServerProcess],
    displays: Callable[..., Display],
    mode: str,
    tmp_path: Path,
) -> None:
    pytest.importorskip(mode)
    server = server_factory(env={"MOTCUA_ASYNC_MODE": mode}, data_dir=tmp_path / mode).start()
    assert f"async mode: {mode}" in server.log.read_text("utf-8")
    assert requests.get(f"{server.url}{API}/health", timeout=HTTP_TIMEOUT).json() == {
        "status": "ok"
    }
    services = requests.get(f"{server.url}{API}/services", timeout=HTTP_TIMEOUT).json()
    assert "HT" in [s["code"] for s in services["services"]]

    display = displays(server.url)
    snap = display.connect()
    assert snap["seq"] == 0 and snap["epoch"]
    kiosk = server.token("kiosk")
    with requests.Session() as http:  # keep-alive, as kiosks do
        for expected in ("A0001", "A0002"):
            r = issue(http, server, kiosk)
            assert r.status_code == 201, r.text
            assert r.json()["ticket"]["number"] == expected
    first, second = display.expect("ticket.issued"), display.expect("ticket.issued")
    assert [first["seq"], second["seq"]] == [1, 2]
    assert display.sync()["waiting"]["HT"] == 2
