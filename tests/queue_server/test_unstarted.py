""" "Gọi tiếp" on a ticket called but never started ("Bắt đầu"): no silent completion that
inflates handling times. Handling time is start to done; a ticket never started has none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from queue_server.desk import QueueDesk
from queue_server.domain.clock import FakeClock
from queue_server.domain.model import EventKind, TicketStatus
from queue_server.domain.timing import timing
from queue_server.events import EventBus
from queue_server.storage.database import Database
from tests.conftest import auth, centre_text, make_config

S = TicketStatus


def desk_with(tmp_path: Path, db: Database, clock: FakeClock, setting: str | None) -> QueueDesk:
    text = centre_text()
    if setting is not None:
        text = text.replace(
            'hours = "always"\n', f'hours = "always"\ncall_next_unstarted = "{setting}"\n', 1
        )
    desk = QueueDesk(make_config(tmp_path, text), db, clock, EventBus())
    desk.prepare()
    assert desk.site().call_next_unstarted == (setting or "ask")
    return desk


@pytest.mark.parametrize(
    ("setting", "answer", "expected"),
    [
        (None, None, S.DONE),  # default "ask": a keypad or an API call that cannot ask
        ("ask", "no_show", S.NO_SHOW),  # the console asked; the clerk said not present
        ("ask", "complete", S.DONE),  # ... or that the citizen was served
        ("no_show", None, S.NO_SHOW),
        ("no_show", "complete", S.DONE),  # the clerk's answer wins
        ("complete", None, S.DONE),
        ("complete", "no_show", S.NO_SHOW),
    ],
)
def test_next_on_a_ticket_never_started(
    tmp_path: Path, db: Database, clock: FakeClock, setting: str | None, answer: Any,
    expected: TicketStatus,
) -> None:  # fmt: skip
    desk = desk_with(tmp_path, db, clock, setting)
    first = desk.issue("HT").ticket
    desk.issue("HT")
    desk.call_next(1)
    clock.advance(minutes=4)
    desk.call_next(1, unstarted=answer)
    assert desk.get(first.id).ticket.status is expected
    t = timing(desk.history(first.id))
    assert t.service_seconds is None  # never started: no handling time, whatever happened
    stats = desk.counter_stats(None, 1)
    assert (stats["served"], stats["no_show"]) == ((1, 0) if expected is S.DONE else (0, 1))
    assert stats["avg_service_seconds"] is None


@pytest.mark.parametrize("setting", ["ask", "no_show", "complete"])
def test_a_started_ticket_is_always_completed(
    tmp_path: Path, db: Database, clock: FakeClock, setting: str
) -> None:
    desk = desk_with(tmp_path, db, clock, setting)
    first = desk.issue("HT").ticket
    desk.issue("HT")
    desk.call_next(1)
    clock.advance(minutes=1)  # walking to the counter: not handling time
    desk.start(1)
    clock.advance(minutes=3, seconds=8)
    desk.call_next(1, unstarted="no_show")  # only for a ticket never started
    assert desk.get(first.id).ticket.status is S.DONE
    assert timing(desk.history(first.id)).service_seconds == 188
    assert desk.counter_stats(None, 1)["avg_service_seconds"] == 188


def test_the_no_show_is_announced_after_the_call(
    tmp_path: Path, db: Database, clock: FakeClock
) -> None:
    desk = desk_with(tmp_path, db, clock, "no_show")
    desk.issue("HT")
    desk.issue("HT")
    desk.call_next(1)
    seen: list[Any] = []
    desk.bus.subscribe(lambda e: seen.append((e.name, e.ticket.number, e.counter)))
    desk.call_next(1)
    assert [(n, num) for n, num, _ in seen] == [("ticket.called", "A0002"),
                                                ("ticket.no_show", "A0001")]  # fmt: skip
    assert seen[1][2] is not None and seen[1][2].number == 1
    kinds = [e.kind for e in desk.history(desk.by_number("A0001").id)]
    assert kinds == [EventKind.ISSUED, EventKind.CALLED, EventKind.NO_SHOW]


def test_the_api_takes_the_clerks_answer(client: Any, token: Any, desk: QueueDesk) -> None:
    clerk = token("clerk", counter=1)
    first = desk.issue("HT").ticket
    desk.issue("HT")
    desk.call_next(1)
    resp = client.post(
        "/api/v1/counters/1/call-next", json={"unstarted": "no_show"}, headers=auth(clerk)
    )
    assert resp.status_code == 200
    assert desk.get(first.id).ticket.status is S.NO_SHOW
    resp = client.post(
        "/api/v1/counters/1/call-next", json={"unstarted": "later"}, headers=auth(clerk)
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "invalid_field"
