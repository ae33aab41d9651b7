"""The queue desk on a real database (SQLite and PostgreSQL): issuing, routing, actions, log."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from queue_server.config import Config
from queue_server.desk import QueueDesk
from queue_server.domain.clock import FakeClock
from queue_server.domain.errors import Conflict, ErrorKind, IllegalTransition, NotFound
from queue_server.domain.model import CounterState, EventKind, TicketStatus
from queue_server.domain.timing import timing
from queue_server.events import DeskEvent, EventBus
from queue_server.storage.database import Database
from queue_server.storage.schema import ticket_events, tickets
from tests.conftest import centre_text, local, make_config

S = TicketStatus
E = EventKind
TODAY = date(2026, 11, 26)


def count_rows(desk: QueueDesk, table: Any) -> int:
    with desk.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def issue_many(desk: QueueDesk, clock: FakeClock, spec: str, service: str = "HT") -> list[Any]:
    """Issue one ticket per letter of spec ('p' priority, 'n' normal), a minute apart."""
    out = []
    for kind in spec:
        out.append(desk.issue(service, priority=kind == "p").ticket)
        clock.advance(minutes=1)
    return out


def own_desk(tmp_path: Path, db: Database, clock: FakeClock, text: str) -> QueueDesk:
    config = make_config(tmp_path, text)
    desk = QueueDesk(config, db, clock, EventBus())
    desk.prepare()
    return desk


def listen(desk: QueueDesk) -> list[DeskEvent]:
    events: list[DeskEvent] = []
    desk.bus.subscribe(events.append)
    return events


def current(desk: QueueDesk, counter: int) -> Any:
    """The counter's current ticket, from the lobby snapshot."""
    view = next(c for c in desk.snapshot().counters if c.counter.number == counter)
    return view.ticket


# -- issuing -------------------------------------------------------------------------------


def test_issue_numbering_prefix_and_numeric_blocks(desk: QueueDesk, clock: FakeClock) -> None:
    got = [desk.issue(code).ticket for code in ("HT", "HT", "CT", "DD", "DD", "KD", "HT", "CT")]
    assert [t.number for t in got] == [
        "A0001", "A0002", "B001", "1001", "1002", "2001", "A0003", "B002",
    ]  # fmt: skip
    assert [t.seq for t in got] == [1, 2, 1, 1, 2, 1, 3, 2]
    for t in got:
        assert t.status is S.WAITING
        assert t.counter is None and t.called_at is None
        assert t.day == TODAY
        assert t.issued_at == clock.now() == t.sort_at
        assert t.service == t.issued_service
        assert desk.get(t.id).ticket == t
    assert len({t.id for t in got}) == len(got)
    assert count_rows(desk, tickets) == len(got)


def test_issue_records_priority_and_actor(desk: QueueDesk) -> None:
    t = desk.issue("HT", priority=True, actor="kiosk-2").ticket
    assert t.priority is True
    (issued,) = desk.history(t.id)
    assert issued.kind is E.ISSUED
    assert issued.actor == "kiosk-2"
    assert issued.counter is None
    assert issued.service == "HT"


def test_issue_unknown_service_writes_nothing(desk: QueueDesk) -> None:
    with pytest.raises(NotFound) as info:
        desk.issue("ZZ")
    assert info.value.code == "unknown_service"
    assert info.value.kind is ErrorKind.NOT_FOUND
    assert count_rows(desk, tickets) == 0


def test_ahead_counts(desk: QueueDesk, clock: FakeClock) -> None:
    views = []
    for code in ("HT", "HT", "CT", "HT"):
        views.append(desk.issue(code))
        clock.advance(minutes=1)
    # people ahead in the same field only
    assert [v.ahead for v in views] == [0, 1, 0, 2]
    prio = desk.issue("HT", priority=True)
    assert prio.ahead == 0  # nobody priority before it
    clock.advance(minutes=1)
    late = desk.issue("HT")
    assert late.ahead == 4  # three earlier normals and the priority ticket
    desk.call_next(1)  # strict: the priority ticket goes first
    assert desk.get(prio.ticket.id).ahead is None  # called: no longer waiting
    assert desk.get(views[0].ticket.id).ahead == 0
    assert desk.get(late.ticket.id).ahead == 3
    desk.call_next(1)
    assert desk.get(views[1].ticket.id).ahead == 0
    assert desk.get(views[3].ticket.id).ahead == 1
    assert desk.get(late.ticket.id).ahead == 2


# -- routing through the desk -----------------------------------------------------------


def test_call_next_across_counters_serving_several_fields(
    desk: QueueDesk, clock: FakeClock
) -> None:
    ct = issue_many(desk, clock, "nn", "CT")
    ht = issue_many(desk, clock, "nn", "HT")
    dd = issue_many(desk, clock, "nn", "DD")
    assert desk.call_next(1).ticket.id == ht[0].id  # counter 1: HT before CT
    assert desk.call_next(2).ticket.id == ct[0].id  # counter 2: CT before HT
    assert desk.call_next(3).ticket.id == dd[0].id  # counter 3: DD only
    assert desk.call_next(4).ticket.id == dd[1].id  # counter 4: no KD waiting, so DD
    assert desk.call_next(1).ticket.id == ht[1].id
    assert desk.call_next(1).ticket.id == ct[1].id  # HT drained: CT next
    assert desk.call_next(2) is None  # nothing left for CT or HT
    assert desk.call_next(3) is None
    assert desk.call_next(4) is None


def test_counter_never_calls_another_field(desk: QueueDesk) -> None:
    desk.issue("HT")
    desk.issue("CT")
    assert desk.call_next(3) is None
    assert desk.call_next(4) is None


def test_strict_priority_through_desk(desk: QueueDesk, clock: FakeClock) -> None:
    got = issue_many(desk, clock, "nnpnp")
    order = [desk.call_next(1).ticket.id for _ in got]
    assert order == [got[i].id for i in (2, 4, 0, 1, 3)]


def test_priority_ratio_through_desk(tmp_path: Path, db: Database, clock: FakeClock) -> None:
    desk = own_desk(tmp_path, db, clock, centre_text("ratio"))
    got = issue_many(desk, clock, "nnnnnnnpppp")
    called = []
    for _ in got:
        called.append(desk.call_next(1).ticket)
        clock.advance(minutes=2)
    kinds = "".join("p" if t.priority else "n" for t in called)
    assert kinds == "pnnpnnpnnpn"
    assert [t.number for t in called] == [
        "A0008", "A0001", "A0002", "A0009", "A0003", "A0004", "A0010", "A0005", "A0006",
        "A0011", "A0007",
    ]  # fmt: skip
    assert desk.call_next(1) is None


def test_priority_ratio_is_kept_per_counter(tmp_path: Path, db: Database, clock: FakeClock) -> None:
    desk = own_desk(tmp_path, db, clock, centre_text("ratio"))
    issue_many(desk, clock, "nnnnnnpppp")
    one = [desk.call_next(1).ticket.priority for _ in range(3)]
    two = [desk.call_next(2).ticket.priority for _ in range(3)]
    assert one == [True, False, False]
    assert two == [True, False, False]


def test_two_counters_never_get_the_same_ticket(desk: QueueDesk, clock: FakeClock) -> None:
    got = issue_many(desk, clock, "nnpnnpn", "HT") + issue_many(desk, clock, "npn", "CT")
    seen = []
    for i in range(len(got)):
        view = desk.call_next(1 + i % 2)
        seen.append(view.ticket.id)
    assert sorted(seen) == sorted(t.id for t in got)
    assert desk.call_next(1) is None and desk.call_next(2) is None


def test_nobody_waiting_gives_none(desk: QueueDesk) -> None:
    desk.set_counter_state(1, CounterState.OPEN)
    events = listen(desk)
    assert desk.call_next(1) is None
    assert events == []


def test_call_next_completes_the_previous_ticket(desk: QueueDesk, clock: FakeClock) -> None:
    a, b = issue_many(desk, clock, "nn")
    desk.call_next(1, actor="clerk-a")
    events = listen(desk)
    view = desk.call_next(1, actor="clerk-a")
    assert view.ticket.id == b.id
    done = desk.get(a.id).ticket
    assert done.status is S.DONE
    # the call goes out first: it is what the hall waits for
    assert [e.name for e in events] == ["ticket.called", "ticket.completed"]
    assert events[0].ticket.id == b.id and events[1].ticket.id == a.id
    assert desk.history(a.id)[-1].kind is E.COMPLETED
    assert desk.history(a.id)[-1].counter == 1
    assert desk.history(a.id)[-1].actor == "clerk-a"
    # last one: completing still happens when nobody else waits
    assert desk.call_next(1) is None
    assert desk.get(b.id).ticket.status is S.DONE
    assert current(desk, 1) is None


def test_yesterday_waiting_tickets_are_not_called(desk: QueueDesk, clock: FakeClock) -> None:
    old = desk.issue("HT").ticket
    clock.set(local(2026, 11, 27, 8, 0))
    assert desk.call_next(1) is None
    fresh = desk.issue("HT").ticket
    assert fresh.number == old.number == "A0001"
    assert desk.call_next(1).ticket.id == fresh.id
    assert desk.get(old.id).ticket.status is S.WAITING


# -- call a specific ticket ------------------------------------------------------------------


def test_call_ticket_by_number_and_by_id(desk: QueueDesk, clock: FakeClock) -> None:
    a, b, c = issue_many(desk, clock, "nnn")
    view = desk.call_ticket(1, "a0003", actor="clerk-a")  # typed in lower case
    assert view.ticket.id == c.id
    assert view.ticket.status is S.CALLED and view.ticket.counter == 1
    view = desk.call_ticket(2, b.id)
    assert view.ticket.id == b.id and view.ticket.counter == 2
    # the queue carries on in order
    assert desk.call_next(1).ticket.id == a.id
    assert desk.get(c.id).ticket.status is S.DONE  # finished by the next call
    called = desk.history(c.id)[1]
    assert (called.kind, called.counter, called.actor) == (E.CALLED, 1, "clerk-a")


def test_call_ticket_completes_the_counters_previous_ticket(
    desk: QueueDesk, clock: FakeClock
) -> None:
    a, _b, c = issue_many(desk, clock, "nnn")
    desk.call_next(1)
    events = listen(desk)
    assert desk.call_ticket(1, c.number).ticket.id == c.id
    assert desk.get(a.id).ticket.status is S.DONE
    assert [(e.name, e.ticket.id) for e in events] == [
        ("ticket.called", c.id),
        ("ticket.completed", a.id),
    ]
    assert current(desk, 1).id == c.id


def test_call_ticket_numeric_block(desk: QueueDesk) -> None:
    desk.issue("DD")
    d2 = desk.issue("DD").ticket
    assert desk.call_ticket(3, "1002").ticket.id == d2.id


def test_call_ticket_wrong_counter(desk: QueueDesk) -> None:
    d = desk.issue("DD").ticket
    with pytest.raises(Conflict) as info:
        desk.call_ticket(1, d.number)
    assert info.value.code == "wrong_counter"
    assert d.number in info.value.message
    assert desk.get(d.id).ticket.status is S.WAITING


def test_call_ticket_unknown(desk: QueueDesk) -> None:
    desk.issue("HT")
    for ref in ("A0099", "nonexistent-id"):
        with pytest.raises(NotFound) as info:
            desk.call_ticket(1, ref)
        assert info.value.code == "unknown_ticket"


def test_call_ticket_of_yesterday_is_unknown(desk: QueueDesk, clock: FakeClock) -> None:
    old = desk.issue("HT").ticket
    clock.set(local(2026, 11, 27, 8, 0))
    for ref in (old.number, old.id):
        with pytest.raises(NotFound) as info:
            desk.call_ticket(1, ref)
        assert info.value.code == "unknown_ticket"
    assert desk.get(old.id).ticket.status is S.WAITING


def test_call_ticket_taken_by_another_counter_names_it(desk: QueueDesk, clock: FakeClock) -> None:
    a, b = issue_many(desk, clock, "nn")
    desk.call_next(1)
    desk.call_next(2)  # counter 2 is now busy with b
    with pytest.raises(Conflict) as info:
        desk.call_ticket(2, a.number)
    assert info.value.code == "ticket_taken"
    assert info.value.message == f"Số {a.number} đang được Quầy số 1 phục vụ."
    # the failed call must not have finished counter 2's ticket
    assert desk.get(b.id).ticket.status is S.CALLED
    assert current(desk, 2).id == b.id
    desk.complete(1)
    with pytest.raises(IllegalTransition):
        desk.call_ticket(1, a.id)


# -- counter actions ---------------------------------------------------------------------------


def test_recall(desk: QueueDesk, clock: FakeClock) -> None:
    t = desk.issue("HT").ticket
    desk.call_next(1)
    clock.advance(seconds=40)
    events = listen(desk)
    view = desk.recall(1, actor="clerk-a")
    assert view.ticket.id == t.id and view.ticket.status is S.CALLED
    assert [(e.name, e.recall, e.counter.number) for e in events] == [("ticket.called", True, 1)]
    last = desk.history(t.id)[-1]
    assert (last.kind, last.counter, last.actor, last.at) == (E.RECALLED, 1, "clerk-a", clock.now())
    desk.start(1)
    assert desk.recall(1).ticket.status is S.SERVING


def test_actions_without_a_current_ticket(desk: QueueDesk) -> None:
    desk.issue("HT")
    for act in (desk.recall, desk.start, desk.complete, desk.no_show):
        with pytest.raises(Conflict) as info:
            act(1)
        assert info.value.code == "no_current_ticket"
    with pytest.raises(Conflict) as info:
        desk.transfer(1, "CT")
    assert info.value.code == "no_current_ticket"


def test_start_and_complete(desk: QueueDesk, clock: FakeClock) -> None:
    t = desk.issue("HT").ticket
    desk.call_next(1)
    started = desk.start(1, actor="clerk-a").ticket
    assert started.status is S.SERVING and started.counter == 1
    with pytest.raises(IllegalTransition):
        desk.start(1)
    done = desk.complete(1, actor="clerk-a").ticket
    assert done.id == t.id and done.status is S.DONE
    assert current(desk, 1) is None
    with pytest.raises(Conflict) as info:
        desk.complete(1)
    assert info.value.code == "no_current_ticket"


def test_complete_straight_from_called(desk: QueueDesk) -> None:
    desk.issue("HT")
    desk.call_next(1)
    assert desk.complete(1).ticket.status is S.DONE


def test_no_show_without_requeue(desk: QueueDesk, clock: FakeClock) -> None:
    a, b = issue_many(desk, clock, "nn")
    desk.call_next(1)
    view = desk.no_show(1, actor="clerk-a")
    assert view.ticket.id == a.id and view.ticket.status is S.NO_SHOW
    assert view.ahead is None
    assert current(desk, 1) is None
    assert desk.call_next(1).ticket.id == b.id  # a is out of the queue
    assert desk.get(a.id).ticket.status is S.NO_SHOW  # and was not "completed" by the next call
    assert [e.kind for e in desk.history(a.id)] == [E.ISSUED, E.CALLED, E.NO_SHOW]


def test_no_show_of_a_serving_ticket_is_illegal(desk: QueueDesk) -> None:
    t = desk.issue("HT").ticket
    desk.call_next(1)
    desk.start(1)
    with pytest.raises(IllegalTransition) as info:
        desk.no_show(1)
    assert t.number in info.value.message


def test_no_show_with_requeue(desk: QueueDesk, clock: FakeClock) -> None:
    a, b, c = issue_many(desk, clock, "nnn")
    desk.call_next(1)
    events = listen(desk)
    view = desk.no_show(1, actor="clerk-a", requeue=True)
    assert view.ticket.id == a.id
    assert view.ticket.status is S.WAITING
    assert view.ticket.counter is None and view.ticket.called_at is None
    assert view.ahead == 0  # keeps its place by default
    assert [e.name for e in events] == ["ticket.no_show", "ticket.returned"]
    assert [e.kind for e in desk.history(a.id)] == [E.ISSUED, E.CALLED, E.NO_SHOW, E.RETURNED]
    assert desk.get(b.id).ahead == 1
    assert [desk.call_next(2).ticket.id for _ in range(3)] == [a.id, b.id, c.id]


def test_requeue_to_the_back_when_configured(
    tmp_path: Path, db: Database, clock: FakeClock
) -> None:
    text = centre_text().replace(
        'hours = "always"\n', 'hours = "always"\nreturn_keeps_place = false\n', 1
    )
    desk = own_desk(tmp_path, db, clock, text)
    a, b, c = issue_many(desk, clock, "nnn")
    desk.call_next(1)
    view = desk.no_show(1, requeue=True)
    assert view.ahead == 2
    assert [desk.call_next(2).ticket.id for _ in range(3)] == [b.id, c.id, a.id]


def test_return_ticket(desk: QueueDesk, clock: FakeClock) -> None:
    a, b = issue_many(desk, clock, "nn")
    desk.call_next(1)
    desk.no_show(1)
    desk.call_next(1)  # b
    clock.advance(minutes=5)
    view = desk.return_ticket(a.id, actor="clerk-a")
    assert view.ticket.status is S.WAITING and view.ahead == 0
    last = desk.history(a.id)[-1]
    assert (last.kind, last.actor, last.at) == (E.RETURNED, "clerk-a", clock.now())
    assert desk.call_next(1).ticket.id == a.id
    assert desk.get(b.id).ticket.status is S.DONE


def test_return_ticket_errors(desk: QueueDesk) -> None:
    t = desk.issue("HT").ticket
    with pytest.raises(IllegalTransition) as info:
        desk.return_ticket(t.id)
    assert info.value.code == "illegal_transition" and t.number in info.value.message
    with pytest.raises(NotFound) as nf:
        desk.return_ticket("no-such-ticket")
    assert nf.value.code == "unknown_ticket"


def test_cancel(desk: QueueDesk, clock: FakeClock) -> None:
    a, b, c = issue_many(desk, clock, "nnn")
    events = listen(desk)
    view = desk.cancel(b.id, actor="staff")
    assert view.ticket.status is S.CANCELLED
    assert [e.name for e in events] == ["ticket.cancelled"]
    assert desk.get(c.id).ahead == 1  # b no longer counts
    assert desk.call_next(1).ticket.id == a.id
    assert desk.call_next(1).ticket.id == c.id
    # a called ticket can be cancelled; the counter is then free
    assert desk.cancel(c.id).ticket.status is S.CANCELLED
    assert current(desk, 1) is None
    # a finished ticket cannot
    with pytest.raises(IllegalTransition):
        desk.cancel(a.id)
    with pytest.raises(IllegalTransition):
        desk.cancel(b.id)
    with pytest.raises(NotFound):
        desk.cancel("no-such-ticket")
    last = desk.history(b.id)[-1]
    assert (last.kind, last.actor) == (E.CANCELLED, "staff")


# -- transfer --------------------------------------------------------------------------------


def test_transfer_keeps_number_and_place(desk: QueueDesk, clock: FakeClock) -> None:
    ht = desk.issue("HT").ticket  # 09:00
    clock.advance(minutes=5)
    ct = issue_many(desk, clock, "nn", "CT")  # 09:05, 09:06
    desk.call_next(1)
    clock.advance(minutes=10)
    events = listen(desk)
    view = desk.transfer(1, "CT", actor="clerk-a")
    moved = view.ticket
    assert moved.id == ht.id and moved.number == "A0001"
    assert moved.service == "CT" and moved.issued_service == "HT"
    assert moved.status is S.WAITING and moved.counter is None
    assert moved.issued_at == ht.issued_at and moved.sort_at == ht.issued_at
    assert view.ahead == 0  # issued before both CT tickets
    assert current(desk, 1) is None
    assert [(e.name, e.previous_service) for e in events] == [("ticket.transferred", "HT")]
    last = desk.history(ht.id)[-1]
    assert (last.kind, last.counter, last.actor, last.service) == (
        E.TRANSFERRED,
        1,
        "clerk-a",
        "CT",
    )
    assert desk.get(ct[0].id).ahead == 1
    # counter 3 does not serve CT; counter 2 calls the transferred ticket first
    assert desk.call_next(3) is None
    assert [desk.call_next(2).ticket.number for _ in range(3)] == ["A0001", "B001", "B002"]
    assert desk.waiting_for(None, 2) == []


def test_transfer_to_the_back_when_configured(
    tmp_path: Path, db: Database, clock: FakeClock
) -> None:
    text = centre_text().replace(
        'hours = "always"\n', 'hours = "always"\ntransfer_keeps_issue_time = false\n', 1
    )
    desk = own_desk(tmp_path, db, clock, text)
    ht = desk.issue("HT").ticket
    clock.advance(minutes=5)
    ct = issue_many(desk, clock, "nn", "CT")
    desk.call_next(1)
    clock.advance(minutes=10)
    view = desk.transfer(1, "CT")
    assert view.ahead == 2
    assert view.ticket.sort_at == clock.now()
    clock.advance(minutes=1)
    later = desk.issue("CT").ticket
    order = [desk.call_next(2).ticket.id for _ in range(4)]
    assert order == [ct[0].id, ct[1].id, ht.id, later.id]


def test_transfer_errors(desk: QueueDesk) -> None:
    t = desk.issue("HT").ticket
    desk.call_next(1)
    with pytest.raises(Conflict) as info:
        desk.transfer(1, "HT")
    assert info.value.code == "same_service"
    with pytest.raises(NotFound) as nf:
        desk.transfer(1, "ZZ")
    assert nf.value.code == "unknown_service"
    assert desk.get(t.id).ticket.status is S.CALLED
    assert desk.get(t.id).ticket.service == "HT"


def test_transfer_of_a_serving_ticket_to_a_numeric_field(desk: QueueDesk) -> None:
    t = desk.issue("HT").ticket
    desk.call_next(1)
    desk.start(1)
    moved = desk.transfer(1, "DD").ticket
    assert moved.service == "DD" and moved.number == t.number
    assert desk.call_next(3).ticket.id == t.id


# -- counter state ---------------------------------------------------------------------------


def test_pause_and_resume(desk: QueueDesk) -> None:
    t = desk.issue("HT").ticket
    events = listen(desk)
    paused = desk.set_counter_state(1, CounterState.PAUSED, actor="clerk-a")
    assert paused.state is CounterState.PAUSED
    assert [(e.name, e.counter_state) for e in events] == [("counter.state", CounterState.PAUSED)]
    desk.set_counter_state(1, CounterState.PAUSED)  # no change: no event
    assert len(events) == 1
    with pytest.raises(Conflict) as info:
        desk.call_next(1)
    assert info.value.code == "counter_paused"
    assert "Quầy số 1" in info.value.message
    with pytest.raises(Conflict) as info:
        desk.call_ticket(1, t.number)
    assert info.value.code == "counter_paused"
    assert desk.get(t.id).ticket.status is S.WAITING
    assert desk.snapshot().counters[0].state is CounterState.PAUSED
    desk.set_counter_state(1, CounterState.OPEN)
    assert desk.call_next(1).ticket.id == t.id


def test_paused_counter_keeps_and_can_finish_its_ticket(desk: QueueDesk) -> None:
    t = desk.issue("HT").ticket
    desk.call_next(1)
    view = desk.set_counter_state(1, CounterState.PAUSED)
    assert view.ticket.id == t.id
    assert desk.complete(1).ticket.status is S.DONE


def test_counters_start_the_day_closed_and_not_opened(desk: QueueDesk) -> None:
    views = desk.snapshot().counters
    assert [(v.state, v.opened_today) for v in views] == [(CounterState.CLOSED, False)] * 4
    assert desk.counter_log(None, 1) == []


def test_open_and_close_are_logged_with_their_events(desk: QueueDesk, clock: FakeClock) -> None:
    events = listen(desk)
    opened = desk.set_counter_state(1, CounterState.OPEN, actor="clerk-a")
    assert (opened.state, opened.opened_today) == (CounterState.OPEN, True)
    desk.set_counter_state(1, CounterState.OPEN)  # already open: nothing logged, no event
    clock.advance(minutes=5)
    desk.set_counter_state(1, CounterState.PAUSED, actor="clerk-a")
    desk.set_counter_state(1, CounterState.OPEN, actor="clerk-a")
    closed = desk.set_counter_state(1, CounterState.CLOSED, actor="clerk-a")
    assert (closed.state, closed.opened_today) == (CounterState.CLOSED, True)
    log = desk.counter_log(None, 1)
    assert [(e.kind.value, e.actor, e.cause) for e in log] == [
        ("opened", "clerk-a", ""), ("paused", "clerk-a", ""), ("resumed", "clerk-a", ""),
        ("closed", "clerk-a", ""),
    ]  # fmt: skip
    assert log[0].at == log[1].at - timedelta(minutes=5)
    assert [(e.name, e.counter_state, e.opened_today) for e in events] == [
        ("counter.state", CounterState.OPEN, True),
        ("counter.state", CounterState.PAUSED, True),
        ("counter.state", CounterState.OPEN, True),
        ("counter.state", CounterState.CLOSED, True),
    ]
    view = desk.snapshot().counters[0]
    assert (view.state, view.opened_today) == (CounterState.CLOSED, True)  # Đã đóng quầy


def test_a_first_call_opens_a_closed_counter_and_is_logged(desk: QueueDesk) -> None:
    t = desk.issue("HT").ticket
    events = listen(desk)
    assert desk.call_next(2, actor="keypad-2").ticket.id == t.id
    # The screens learn that it opened before they see the call.
    assert [(e.name, e.counter_state) for e in events] == [
        ("counter.state", CounterState.OPEN), ("ticket.called", None),
    ]  # fmt: skip
    assert [(e.kind.value, e.actor, e.cause) for e in desk.counter_log(None, 2)] == [
        ("opened", "keypad-2", "call")
    ]
    assert desk.snapshot().counters[1].state is CounterState.OPEN
    desk.complete(2)
    desk.set_counter_state(2, CounterState.CLOSED)  # closed for the day ...
    u = desk.issue("HT").ticket
    assert desk.call_ticket(2, u.number).ticket.id == u.id  # ... a call opens it again
    assert [e.kind.value for e in desk.counter_log(None, 2)] == ["opened", "closed", "opened"]


def test_a_first_call_opens_the_counter_even_with_nobody_waiting(desk: QueueDesk) -> None:
    events = listen(desk)
    assert desk.call_next(1) is None
    assert [(e.name, e.counter_state) for e in events] == [("counter.state", CounterState.OPEN)]
    assert desk.snapshot().counters[0].state is CounterState.OPEN


def test_closing_is_refused_while_the_counter_holds_a_ticket(desk: QueueDesk) -> None:
    t = desk.issue("HT").ticket
    desk.call_next(1)
    desk.set_counter_state(1, CounterState.PAUSED)  # a break keeps the ticket
    events = listen(desk)
    with pytest.raises(Conflict) as info:
        desk.set_counter_state(1, CounterState.CLOSED)
    assert info.value.code == "counter_has_ticket"
    assert t.number in info.value.message and "trước khi đóng quầy" in info.value.message
    assert events == [] and desk.snapshot().counters[0].state is CounterState.PAUSED
    assert desk.get(t.id).ticket.status is S.CALLED  # neither completed nor dropped
    desk.complete(1)
    assert desk.set_counter_state(1, CounterState.CLOSED).state is CounterState.CLOSED


def test_yesterdays_open_counter_is_closed_today(desk: QueueDesk, clock: FakeClock) -> None:
    clock.set(local(2026, 11, 26, 16, 55))
    desk.set_counter_state(1, CounterState.OPEN)
    desk.set_counter_state(2, CounterState.PAUSED)
    desk.set_counter_state(3, CounterState.OPEN)
    desk.set_counter_state(3, CounterState.CLOSED)
    assert desk.close_stale_counters() == 0  # still the same day
    clock.set(local(2026, 11, 27, 0, 0, 30))
    states = [(v.state, v.opened_today) for v in desk.snapshot().counters]
    assert states == [(CounterState.CLOSED, False)] * 4  # read as not opened, at once
    events = listen(desk)
    assert desk.close_stale_counters() == 2  # counters 1 and 2; 3 was closed already
    assert [(e.counter.number, e.counter_state, e.opened_today) for e in events] == [
        (1, CounterState.CLOSED, False), (2, CounterState.CLOSED, False),
    ]  # fmt: skip
    assert desk.close_stale_counters() == 0  # once
    assert [(e.kind.value, e.cause) for e in desk.counter_log(None, 1)] == [("closed", "day_end")]
    assert [(v.state, v.opened_today) for v in desk.snapshot().counters] == states


def test_the_estimate_counts_only_open_counters(desk: QueueDesk) -> None:
    views = [desk.issue("DD") for _ in range(3)]  # only counters 3 and 4 serve DD
    assert desk.estimate(views[-1]) is None  # none opened yet: no estimate, no division by 0
    desk.set_counter_state(3, CounterState.OPEN)
    assert desk.estimate(desk.get(views[-1].ticket.id)) == 10  # 2 ahead x 5 min, 1 counter
    desk.set_counter_state(4, CounterState.OPEN)
    assert desk.estimate(desk.get(views[-1].ticket.id)) == 5
    desk.set_counter_state(4, CounterState.PAUSED)
    assert desk.estimate(desk.get(views[-1].ticket.id)) == 10


# -- the log and timing -----------------------------------------------------------------------


def test_history_records_every_step(desk: QueueDesk, clock: FakeClock) -> None:
    t = desk.issue("HT", actor="kiosk-1").ticket
    steps: list[tuple[str, Any]] = [
        ("clerk-a", lambda: desk.call_next(1, actor="clerk-a")),
        ("clerk-a", lambda: desk.recall(1, actor="clerk-a")),
        ("clerk-a", lambda: desk.no_show(1, actor="clerk-a")),
        ("staff", lambda: desk.return_ticket(t.id, actor="staff")),
        ("clerk-b", lambda: desk.call_next(2, actor="clerk-b")),
        ("clerk-b", lambda: desk.start(2, actor="clerk-b")),
        ("clerk-b", lambda: desk.transfer(2, "CT", actor="clerk-b")),
        ("clerk-b", lambda: desk.call_next(2, actor="clerk-b")),
        ("clerk-b", lambda: desk.complete(2, actor="clerk-b")),
    ]
    times = [clock.now()]
    before = desk.history(t.id)
    for _, step in steps:
        clock.advance(minutes=3)
        times.append(clock.now())
        step()
        now = desk.history(t.id)
        assert now[: len(before)] == before  # append-only
        assert len(now) == len(before) + 1
        before = now
    log = desk.history(t.id)
    assert [e.kind for e in log] == [
        E.ISSUED, E.CALLED, E.RECALLED, E.NO_SHOW, E.RETURNED, E.CALLED, E.STARTED,
        E.TRANSFERRED, E.CALLED, E.COMPLETED,
    ]  # fmt: skip
    assert [e.counter for e in log] == [None, 1, 1, 1, None, 2, 2, 2, 2, 2]
    assert [e.actor for e in log] == ["kiosk-1"] + [actor for actor, _ in steps]
    assert [e.service for e in log] == ["HT"] * 7 + ["CT"] * 3
    assert [e.at for e in log] == times
    assert log[7].detail == "HT->CT"
    assert all(e.ticket_id == t.id for e in log)
    with pytest.raises(NotFound):
        desk.history("no-such-ticket")


def test_failed_actions_write_nothing(desk: QueueDesk, clock: FakeClock) -> None:
    a, b = issue_many(desk, clock, "nn")
    desk.call_next(1)
    rows = count_rows(desk, ticket_events)
    for attempt in (
        lambda: desk.call_ticket(1, a.number),  # already called
        lambda: desk.call_ticket(3, b.number),  # wrong counter
        lambda: desk.return_ticket(b.id),  # waiting, not no-show
        lambda: desk.transfer(1, "HT"),  # same service
        lambda: desk.complete(2),  # nothing called at counter 2
    ):
        with pytest.raises(Conflict):
            attempt()
    assert count_rows(desk, ticket_events) == rows
    assert desk.get(a.id).ticket.status is S.CALLED
    assert desk.get(b.id).ticket.status is S.WAITING


def test_timing_from_the_log(desk: QueueDesk, clock: FakeClock) -> None:
    t = desk.issue("HT").ticket
    clock.advance(minutes=12)
    desk.call_next(1)
    clock.advance(seconds=90)
    desk.start(1)
    clock.advance(minutes=8, seconds=15)
    desk.complete(1)
    got = timing(desk.history(t.id))
    assert got.wait_seconds == 12 * 60
    assert got.service_seconds == 8 * 60 + 15
    assert got.calls == 1


def test_timing_without_start_has_no_handling_time(desk: QueueDesk, clock: FakeClock) -> None:
    """Handling time is start to done: a ticket never started has none (README)."""
    t = desk.issue("HT").ticket
    clock.advance(minutes=3)
    desk.call_next(1)
    clock.advance(minutes=4)
    desk.recall(1)
    clock.advance(minutes=2)
    desk.complete(1)
    got = timing(desk.history(t.id))
    assert (got.wait_seconds, got.service_seconds, got.calls) == (180, None, 1)


def test_timing_of_a_returned_ticket(desk: QueueDesk, clock: FakeClock) -> None:
    t = desk.issue("HT").ticket
    clock.advance(minutes=10)
    desk.call_next(1)
    clock.advance(minutes=2)
    desk.no_show(1, requeue=True)
    assert timing(desk.history(t.id)).service_seconds is None
    clock.advance(minutes=20)
    desk.call_next(2)
    clock.advance(minutes=1)
    desk.start(2)
    clock.advance(minutes=5)
    desk.call_next(2)  # completes t
    got = timing(desk.history(t.id))
    assert got.wait_seconds == 600  # until the first call
    assert got.service_seconds == 300  # from the start
    assert got.calls == 2


def test_timing_of_a_waiting_ticket(desk: QueueDesk, clock: FakeClock) -> None:
    t = desk.issue("HT").ticket
    clock.advance(hours=1)
    got = timing(desk.history(t.id))
    assert (got.wait_seconds, got.service_seconds, got.calls) == (None, None, 0)


# -- events ----------------------------------------------------------------------------------


def test_events_published_after_commit_in_order(desk: QueueDesk, clock: FakeClock) -> None:
    seen: list[tuple[str, Any, Any, Any]] = []

    def observe(event: DeskEvent) -> None:
        # Read through a fresh transaction: what we see here was committed.
        if event.ticket is not None:
            stored = desk.get(event.ticket.id).ticket
            seen.append((event.name, event.ticket.number, event.ticket.status, stored.status))
        else:
            state = desk.snapshot().counters[event.counter.number - 1].state
            seen.append((event.name, event.counter.number, event.counter_state, state))

    desk.bus.subscribe(observe)
    a = desk.issue("HT").ticket
    b = desk.issue("HT", priority=True).ticket
    desk.call_next(1)  # opens counter 1, calls b (priority)
    desk.recall(1)
    desk.start(1)
    desk.call_next(1)  # completes b, calls a
    desk.no_show(1, requeue=True)
    desk.call_next(2)
    desk.transfer(2, "CT")
    desk.cancel(a.id)
    desk.set_counter_state(1, CounterState.PAUSED)
    assert [s[:3] for s in seen] == [
        ("ticket.issued", "A0001", S.WAITING),
        ("ticket.issued", "A0002", S.WAITING),
        ("counter.state", 1, CounterState.OPEN),
        ("ticket.called", "A0002", S.CALLED),
        ("ticket.called", "A0002", S.CALLED),
        ("ticket.started", "A0002", S.SERVING),
        ("ticket.called", "A0001", S.CALLED),
        ("ticket.completed", "A0002", S.DONE),
        ("ticket.no_show", "A0001", S.NO_SHOW),
        ("ticket.returned", "A0001", S.WAITING),
        ("counter.state", 2, CounterState.OPEN),
        ("ticket.called", "A0001", S.CALLED),
        ("ticket.transferred", "A0001", S.WAITING),
        ("ticket.cancelled", "A0001", S.CANCELLED),
        ("counter.state", 1, CounterState.PAUSED),
    ]
    # at publication time the database already held exactly the announced state
    for name, _number, announced, stored in seen:
        assert stored == announced, name
    assert b.priority and not a.priority


def test_failed_actions_publish_nothing(desk: QueueDesk) -> None:
    t = desk.issue("HT").ticket
    events = listen(desk)
    with pytest.raises(NotFound):
        desk.issue("ZZ")
    with pytest.raises(Conflict):
        desk.complete(1)
    desk.set_counter_state(1, CounterState.PAUSED)
    events.clear()
    with pytest.raises(Conflict):
        desk.call_next(1)
    with pytest.raises(IllegalTransition):
        desk.return_ticket(t.id)
    assert events == []


def test_a_broken_listener_does_not_undo_the_action(desk: QueueDesk) -> None:
    def broken(_event: DeskEvent) -> None:
        raise RuntimeError("display unplugged")

    desk.bus.subscribe(broken)
    events = listen(desk)
    t = desk.issue("HT").ticket
    assert desk.get(t.id).ticket.status is S.WAITING
    assert [e.name for e in events] == ["ticket.issued"]


def test_config_fixture_is_strict(config: Config) -> None:
    assert config.default_site.priority_policy.mode == "strict"
