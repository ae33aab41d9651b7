"""Many threads at once against one database: numbers stay unique, tickets go to one counter."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from queue_server.desk import QueueDesk
from queue_server.domain.clock import FakeClock
from queue_server.domain.model import EventKind, TicketStatus
from queue_server.events import EventBus
from queue_server.storage.database import Database
from queue_server.storage.schema import day_counters, ticket_events, tickets
from tests.conftest import make_config

THREADS = 8
PER_THREAD = 200

# Four counters competing for the same two fields, in different orders.
SHARED_CENTRE = """
[[sites]]
code = "test"
name = "Trung tâm kiểm thử"
hours = "always"

[[sites.services]]
code = "HT"
name = "Hộ tịch"
prefix = "A"
digits = 4

[[sites.services]]
code = "CT"
name = "Chứng thực"
prefix = "B"
digits = 4

[[sites.counters]]
number = 1
services = ["HT", "CT"]

[[sites.counters]]
number = 2
services = ["CT", "HT"]

[[sites.counters]]
number = 3
services = ["HT", "CT"]

[[sites.counters]]
number = 4
services = ["CT", "HT"]
"""


def run_threads(n: int, target: Callable[[int], Any]) -> list[Any]:
    """Start n threads together; return their results, re-raising the first error."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as err:  # re-raised by the caller
            errors.append(err)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def scalar(desk: QueueDesk, query: Any) -> Any:
    with desk.db.read() as conn:
        return conn.execute(query).scalar_one()


def test_concurrent_issues_give_distinct_consecutive_numbers(desk: QueueDesk) -> None:
    published: list[str] = []
    desk.bus.subscribe(lambda e: published.append(e.ticket.number))

    def issue_batch(_i: int) -> list[tuple[str, int]]:
        return [(v.ticket.number, v.ticket.seq) for v in
                (desk.issue("HT") for _ in range(PER_THREAD))]  # fmt: skip

    results = run_threads(THREADS, issue_batch)
    total = THREADS * PER_THREAD
    numbers = [n for batch in results for n, _ in batch]
    assert len(numbers) == total
    assert sorted(numbers) == [f"A{k:04d}" for k in range(1, total + 1)]
    # each thread saw its own numbers rising
    for batch in results:
        seqs = [s for _, s in batch]
        assert seqs == sorted(seqs)
        assert all(f"A{s:04d}" == n for n, s in batch)
    assert scalar(desk, select(func.count()).select_from(tickets)) == total
    assert scalar(desk, select(func.count(func.distinct(tickets.c.number)))) == total
    assert scalar(desk, select(func.max(tickets.c.seq))) == total
    assert scalar(desk, select(day_counters.c.last).where(day_counters.c.service == "HT")) == total
    assert scalar(desk, select(func.count()).select_from(ticket_events)) == total
    assert sorted(published) == sorted(numbers)
    # the next one carries on
    assert desk.issue("HT").ticket.number == f"A{total + 1:04d}"


def test_concurrent_call_next_calls_each_ticket_once(
    tmp_path: Path, db: Database, clock: FakeClock
) -> None:
    desk = QueueDesk(make_config(tmp_path, SHARED_CENTRE), db, clock, EventBus())
    desk.prepare()
    issued = []
    for k in range(200):
        issued.append(desk.issue("HT" if k % 2 else "CT", priority=k % 7 == 0).ticket)
        clock.advance(seconds=10)
    announced: list[tuple[int, str]] = []
    lock = threading.Lock()

    def on_event(event: Any) -> None:
        if event.name == "ticket.called":
            with lock:
                announced.append((event.counter.number, event.ticket.id))

    desk.bus.subscribe(on_event)

    def serve(i: int) -> list[str]:
        counter = i + 1
        got: list[str] = []
        while True:
            view = desk.call_next(counter, actor=f"clerk-{counter}")
            if view is None:
                return got
            assert view.ticket.counter == counter
            got.append(view.ticket.id)

    results = run_threads(4, serve)
    called = [tid for batch in results for tid in batch]
    counts = Counter(called)
    assert len(called) == 200
    assert set(counts) == {t.id for t in issued}
    assert max(counts.values()) == 1
    assert sorted(tid for _, tid in announced) == sorted(called)
    # the log agrees: one call per ticket, by the counter that got it
    by_counter = {tid: i + 1 for i, batch in enumerate(results) for tid in batch}
    with desk.db.read() as conn:
        calls = conn.execute(
            select(ticket_events.c.ticket_id, ticket_events.c.counter).where(
                ticket_events.c.kind == EventKind.CALLED.value
            )
        ).all()
    assert len(calls) == 200
    assert {tid: counter for tid, counter in calls} == by_counter
    # each call finished the counter's previous ticket, the final empty call its last one
    statuses = Counter(desk.get(t.id).ticket.status for t in issued)
    assert statuses == {TicketStatus.DONE: 200}
