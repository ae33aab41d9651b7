"""Nothing anonymous tells another ticket's id, a token id or a staff name.

A ticket id is the secret behind its status page; the /display namespace, GET /queue, the
waiting lists without a staff token, a ticket's log and the public pages carry what the
lobby TV shows. One day is driven through a real `motcua run` process (issue, call, recall,
start, complete, transfer, no-show, return, cancel, pause) while a python-socketio client
on /display records every event, then every anonymous surface is read and searched.

One exception, by the contract (issue 12): the staff member a counter is open with is public
at that counter, as Vietnamese centres show the officer's name: `counter.state` events, the
snapshot's counters and the counter display carry `clerk` {username, name}. A clerk account
works at counter 3 here; its name and username may appear there and nowhere else (never in
a ticket's log, a waiting list or a page), and token ids and token names nowhere at all.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import socketio

from tests.conftest import ServerProcess

pytestmark = pytest.mark.server

NS = "/display"
API = "/api/v1"
HTTP_TIMEOUT = 10
NAMES = {
    "kiosk": "Kiosk Tầng Trệt Zeta",
    "clerk1": "Nguyễn Thị Ngọc Hân",
    "clerk2": "Phạm Quốc Toản",
    "admin": "Võ Minh Quản Trị",
    "display": "Màn hình Sảnh Omega",
}
ACCOUNT = {"username": "thao-ct", "name": "Đặng Thu Thảo"}
PASSWORD = "mat-khau-quay-ba"
TOKEN_ID = re.compile(r"#\d")  # how the log named a token: clerk#5:<name>
TOKEN_IN_HTML = re.compile(r"\b(?:kiosk|display|clerk|agent|admin)#\d")


def make_token(server: ServerProcess, role: str, name: str, counter: int | None = None) -> str:
    """`motcua token create` with a name, against the server's database."""
    cmd = [sys.executable, "-m", "queue_server.cli", "token", "create", "--role", role,
           "--name", name, "--data-dir", str(server.data_dir)]  # fmt: skip
    if counter is not None:
        cmd += ["--counter", str(counter)]
    if server.config_path:
        cmd += ["--config", str(server.config_path)]
    out = subprocess.run(cmd, env=server.env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


class Recorder:
    """A display on /display: every event and snapshot it receives, as the server sent it."""

    def __init__(self, url: str) -> None:
        self.got: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record, namespace=NS)
        self.sio.connect(url, namespaces=[NS], transports=["websocket"], wait_timeout=10)

    def _record(self, event: str, data: Any) -> None:
        with self.lock:
            self.got.append((event, data))

    def last_seq(self) -> int:
        with self.lock:
            return max((d.get("seq", -1) for _, d in self.got if isinstance(d, dict)), default=-1)

    def wait_for(self, seq: int, timeout: float = 10) -> None:
        """Until the event numbered `seq` has arrived."""
        deadline = time.monotonic() + timeout
        while self.last_seq() < seq:
            assert time.monotonic() < deadline, f"seq {seq} never arrived ({self.last_seq()})"
            time.sleep(0.05)


@pytest.fixture
def hall(server_factory: Any) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """A running server and named tokens of each role."""
    server = server_factory().start()
    tokens = {
        "kiosk": make_token(server, "kiosk", NAMES["kiosk"]),
        "clerk1": make_token(server, "clerk", NAMES["clerk1"], 1),
        "clerk2": make_token(server, "clerk", NAMES["clerk2"], 2),
        "admin": make_token(server, "admin", NAMES["admin"]),
        "display": make_token(server, "display", NAMES["display"]),
    }
    cmd = [sys.executable, "-m", "queue_server.cli", "user", "create", "--username",
           ACCOUNT["username"], "--name", ACCOUNT["name"], "--role", "clerk", "--counter", "3",
           "--password-stdin", "--data-dir", str(server.data_dir)]  # fmt: skip
    if server.config_path:
        cmd += ["--config", str(server.config_path)]
    subprocess.run(cmd, input=PASSWORD + "\n", env=server.env, text=True, check=True,
                   capture_output=True)  # fmt: skip
    yield server, tokens


def leaks(
    text: str, allowed: str | None, ids: set[str], html: bool = False, clerk: bool = False
) -> list[str]:
    """What `text` tells that it must not: ticket ids but `allowed`, token ids, token names,
    and, unless it is a counter's state (`clerk`), a staff account's name or username."""
    found = [f"ticket id {i}" for i in ids - {allowed} if i in text]
    if not clerk:
        found += [f"account {v!r}" for v in ACCOUNT.values() if v in text]
    pattern = TOKEN_IN_HTML if html else TOKEN_ID
    found += [f"token id {m.group(0)!r}" for m in pattern.finditer(text)]
    found += [f"token name {n!r}" for n in NAMES.values() if n in text]
    if allowed is None and "/t/" in text:
        found.append("a status link")
    return found


def test_nothing_anonymous_tells_ids_tokens_or_names(hall) -> None:
    server, tok = hall
    url = server.url
    http = requests.Session()

    def post(who: str, path: str, **body: Any) -> Any:
        r = http.post(f"{url}{API}{path}", json=body, timeout=HTTP_TIMEOUT,
                      headers={"Authorization": f"Bearer {tok[who]}"})  # fmt: skip
        assert r.status_code in (200, 201), (path, r.text)
        return r.json().get("ticket")

    display = Recorder(url)
    try:
        issued = [
            post("kiosk", "/tickets", service=s) for s in ("HT", "CT", "HT", "HT", "CT", "DD")
        ]
        issued.append(post("admin", "/tickets", service="HT", priority=True))
        first = post("clerk1", "/counters/1/call-next")
        post("clerk1", "/counters/1/recall")
        post("clerk1", "/counters/1/start")
        post("clerk1", "/counters/1/complete")
        post("clerk2", "/counters/2/call-next")
        post("clerk2", "/counters/2/no-show")  # stays a no-show
        post("clerk2", "/counters/2/call-next")
        post("clerk2", "/counters/2/no-show", requeue=True)  # back in the queue
        post("clerk1", "/counters/1/call-next")
        post("clerk1", "/counters/1/transfer", service="DD")
        post("clerk1", "/counters/1/call", ticket=issued[4]["number"])
        post("clerk1", "/counters/1/call-next")  # completes the one before, at no counter
        gone = post("clerk2", "/counters/2/call-next")
        post("clerk2", "/counters/2/no-show")
        post("admin", f"/tickets/{gone['id']}/return")
        post("admin", f"/tickets/{issued[3]['id']}/cancel")
        # A clerk account at counter 3, signed in with its session.
        desk = requests.Session()
        signed = desk.post(f"{url}{API}/session", timeout=HTTP_TIMEOUT, json={
            "username": ACCOUNT["username"], "password": PASSWORD, "counter": 3})  # fmt: skip
        assert signed.status_code == 200, signed.text
        csrf = {"X-CSRF-Token": signed.json()["csrf_token"]}
        for action in ("call-next", "start"):
            r = desk.post(f"{url}{API}/counters/3/{action}", json={}, headers=csrf,
                          timeout=HTTP_TIMEOUT)  # fmt: skip
            assert r.status_code == 200, r.text
        post("clerk2", "/counters/2/pause")
        post("clerk2", "/counters/2/resume")
        post("admin", "/counters/4/close")
        issued += [post("kiosk", "/tickets", service=s) for s in ("HT", "CT", "DD")]

        queue = http.get(f"{url}{API}/queue", timeout=HTTP_TIMEOUT)
        display.wait_for(queue.json()["seq"])
        sync = display.sio.call("sync", {}, namespace=NS, timeout=10)
        late = Recorder(url)  # its snapshot on connect holds the whole day
        late.wait_for(queue.json()["seq"])
        late.sio.disconnect()
    finally:
        display.sio.disconnect()

    ids = {t["id"] for t in issued}
    assert len(ids) == len(issued)
    names = [name for name, _ in display.got]
    assert names[0] == "snapshot" and len(names) > 30
    assert {"ticket.transferred", "ticket.no_show", "ticket.returned", "ticket.cancelled",
            "ticket.completed", "counter.state"} <= set(names)  # fmt: skip

    problems: dict[str, list[str]] = {}

    def check(
        where: str, text: str, allowed: str | None = None, html: bool = False,
        clerk: bool = False,
    ) -> None:  # fmt: skip
        found = leaks(text, allowed, ids, html, clerk)
        if found:
            problems[where] = found

    for i, (name, body) in enumerate([*display.got, *late.got]):
        # a counter's clerk is public by the contract: in counter.state and snapshots only
        clerk = name in ("counter.state", "snapshot")
        check(f"/display {name} #{i}", json.dumps(body, ensure_ascii=False), clerk=clerk)
    check("/display sync answer", json.dumps(sync, ensure_ascii=False), clerk=True)
    check("GET /queue", queue.text, clerk=True)
    three = next(c for c in queue.json()["counters"] if c["number"] == 3)
    assert three["clerk"] == ACCOUNT and three["state"] == "open"
    assert any(
        name == "counter.state" and body["counter"]["clerk"] == ACCOUNT
        for name, body in display.got
    )
    for number in (1, 2, 3, 4):
        waiting = f"{API}/counters/{number}/waiting"
        check(f"GET {waiting}", http.get(f"{url}{waiting}", timeout=HTTP_TIMEOUT).text)
        for who in ("kiosk", "display"):  # not staff: the public shape too
            r = http.get(f"{url}{waiting}", timeout=HTTP_TIMEOUT,
                         headers={"Authorization": f"Bearer {tok[who]}"})  # fmt: skip
            check(f"GET {waiting} ({who})", r.text)
    for t in issued:
        log = http.get(f"{url}{API}/tickets/{t['id']}/events", timeout=HTTP_TIMEOUT)
        assert log.status_code == 200
        check(f"GET /tickets/{t['number']}/events", log.text, t["id"])
        page = http.get(f"{url}/t/{t['id']}", timeout=HTTP_TIMEOUT)
        assert page.status_code == 200 and t["id"] in page.text
        check(f"/t/{t['number']}", page.text, t["id"], html=True)
    for path in ("/display", "/display?lang=en", "/display/counter/1", "/display/counter/3"):
        page = http.get(f"{url}{path}", timeout=HTTP_TIMEOUT)
        assert page.status_code == 200
        check(path, page.text, html=True)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)

    # What the lobby needs is still there: numbers, counters, fields, counts, times.
    snap = queue.json()
    one = next(c for c in snap["counters"] if c["number"] == 1)
    assert one["ticket"]["number"] and one["ticket"]["counter_name"] == one["name"]
    assert {"number", "service", "status", "issued_at", "called_at"} <= set(snap["recent"][0])
    assert snap["waiting"]["HT"] >= 1
    # The log names the counter or the role that acted, never the token.
    log = http.get(f"{url}{API}/tickets/{first['id']}/events", timeout=HTTP_TIMEOUT).json()
    assert [(e["kind"], e["actor"]) for e in log["events"]] == [
        ("issued", "admin" if first["priority"] else "kiosk"), ("called", one["name"]),
        ("recalled", one["name"]), ("started", one["name"]), ("completed", one["name"]),
    ]  # fmt: skip

    # The holder of an id still sees that ticket in full; staff still get ids where they act.
    mine = http.get(f"{url}{API}/tickets/{issued[0]['id']}", timeout=HTTP_TIMEOUT).json()
    assert mine["ticket"]["id"] == issued[0]["id"]
    assert mine["ticket"]["status_url"].endswith(f"/t/{issued[0]['id']}")
    for who, number in (("clerk1", 1), ("admin", 1), ("admin", 3)):
        r = http.get(f"{url}{API}/counters/{number}/waiting", timeout=HTTP_TIMEOUT,
                     headers={"Authorization": f"Bearer {tok[who]}"})  # fmt: skip
        staff = r.json()["tickets"]
        assert staff and all(t["id"] in ids and "status_url" in t for t in staff), (who, staff)
    other = http.get(f"{url}{API}/counters/1/waiting", timeout=HTTP_TIMEOUT,
                     headers={"Authorization": f"Bearer {tok['clerk2']}"})  # fmt: skip
    assert other.json()["tickets"] and not leaks(other.text, None, ids)
