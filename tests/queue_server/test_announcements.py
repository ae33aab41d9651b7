"""The announcement queue: slots back to back per site, shared by processes through Redis,
published with each call and in the snapshot (issue 11, item 4)."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from audio.announcer import estimate_seconds
from queue_server.announcements import LocalSchedule, RedisSchedule
from queue_server.app import create_app
from queue_server.auth import create_token
from queue_server.contract.events import NAMESPACE, Event
from queue_server.contract.models import Snapshot
from tests.conftest import SLOTS_AT_ONCE, auth, centre_text, make_config


class Tick:
    """A wall clock the test moves by hand (seconds)."""

    def __init__(self, at: float = 1_000.0) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_local_slots_follow_each_other_and_start_now_when_the_hall_is_quiet():
    tick = Tick()
    schedule = LocalSchedule(tick)
    slots = [schedule.book("a", 2_000, {"n": i}) for i in range(3)]
    assert [s.start_ms for s in slots] == [1_000_000, 1_002_000, 1_004_000]
    assert schedule.book("b", 500, {}).start_ms == 1_000_000  # each site has its own queue
    tick.at += 2.5  # the first is over, the second is being read
    assert [s.entry["n"] for s in schedule.pending("a")] == [1, 2]
    tick.at += 60  # all over: the next call starts at once
    assert schedule.pending("a") == []
    assert schedule.book("a", 1_000, {}).start_ms == schedule.now_ms()


@pytest.fixture
def redis_client(redis_url: str) -> Any:
    import redis

    return redis.Redis.from_url(redis_url)


def test_redis_slots_are_shared_by_processes(redis_client: Any):
    # Two server processes book alternately: one queue, on Redis's clock, back to back.
    first, second = RedisSchedule(redis_client), RedisSchedule(redis_client)
    before = first.now_ms()
    booked = [(first if i % 2 else second).book("s", 3_000, {"i": i}) for i in range(4)]
    starts = [s.start_ms for s in booked]
    assert before <= starts[0] <= second.now_ms()
    assert [b - a for a, b in itertools.pairwise(starts)] == [3_000] * 3
    # A third process (a display's sync) sees what both booked, in slot order.
    pending = RedisSchedule(redis_client).pending("s")
    assert [(s.start_ms, s.length_ms, s.entry) for s in pending] == [
        (s.start_ms, 3_000, {"i": i}) for i, s in enumerate(booked)
    ]
    assert RedisSchedule(redis_client).pending("other") == []
    # A slot of 0 ms is over at once and leaves the queue free.
    zero = first.book("z", 0, {})
    assert first.book("z", 0, {}).start_ms >= zero.start_ms
    assert first.pending("z") == []


def test_the_estimate_is_about_ten_seconds_for_the_default_call():
    text = "Xin mời công dân có số thứ tự a không không một đến quầy số một"
    assert 8.5 < estimate_seconds(text, 2) < 11.5
    assert estimate_seconds(text, 1) < estimate_seconds(text, 2) - 3


def _app(tmp_path: Path, db: Any, clock: Any, slot: str | None) -> Any:
    line = f"announce_slot_seconds = {slot}\n" if slot is not None else ""
    text = centre_text().replace(SLOTS_AT_ONCE, line, 1)
    config = make_config(tmp_path, text, voice=False)
    return create_app(config, clock=clock, db=db, heartbeat=False, voice=None)


def _call_three(app: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Three calls within a moment; the ticket.called events a display got, and GET /queue."""
    ext = app.extensions["motcua"]

    def token(role: str) -> str:
        return create_token(ext.db, ext.desk.clock, role=role, site="test", name="pytest")

    client = app.test_client()
    kiosk, admin = auth(token("kiosk")), auth(token("admin"))
    display = app.extensions["motcua"].socketio.test_client(app, namespace=NAMESPACE)
    for _ in range(3):
        issued = client.post("/api/v1/tickets", json={"service": "HT"}, headers=kiosk)
        assert issued.status_code == 201
    for n in (1, 2, 1):
        assert client.post(f"/api/v1/counters/{n}/call-next", headers=admin).status_code == 200
    calls = [e["args"][0] for e in display.get_received(NAMESPACE) if e["name"] == Event.CALLED]
    snap = client.get("/api/v1/queue").get_json()
    return calls, snap


def _ms(iso: str) -> int:
    return round(datetime.fromisoformat(iso).timestamp() * 1000)


@pytest.fixture
def slotted(tmp_path: Path, db: Any, clock: Any) -> Any:
    return _app(tmp_path, db, clock, "2.5")


def test_calls_carry_their_slots_and_the_snapshot_what_is_still_to_be_read(slotted):
    calls, snap = _call_three(slotted)
    assert [c["announce_ms"] for c in calls] == [2_500] * 3
    starts = [_ms(c["announce_at"]) for c in calls]
    assert [b - a for a, b in itertools.pairwise(starts)] == [2_500, 2_500]
    assert Snapshot.model_validate(snap).model_dump(mode="json") == snap
    # The snapshot: the server's clock, and the three calls (none is over yet) as called.
    now = _ms(snap["server_time"])
    assert starts[0] - 1_000 < now < starts[0] + 2_500
    announcing = snap["announcing"]
    assert [a["seq"] for a in announcing] == [c["seq"] for c in calls]
    assert [a["announce_at"] for a in announcing] == [c["announce_at"] for c in calls]
    assert [a["ticket"]["number"] for a in announcing] == [c["ticket"]["number"] for c in calls]
    assert [a["recall"] for a in announcing] == [False] * 3
    assert announcing[0]["announcement"] == calls[0]["announcement"]
    assert "id" not in announcing[0]["ticket"]  # public: no ticket ids


def test_without_voice_or_setting_a_slot_is_the_estimate(tmp_path: Path, db: Any, clock: Any):
    calls, _snap = _call_three(_app(tmp_path, db, clock, None))
    for call in calls:
        expected = estimate_seconds(call["announcement"]["text"], 2) * 1000 + 500
        assert abs(call["announce_ms"] - expected) <= 1
        assert 8_000 < call["announce_ms"] < 13_000
