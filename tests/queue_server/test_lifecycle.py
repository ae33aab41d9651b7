"""The ticket state machine: every action against every status, legal or not."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from queue_server.domain import lifecycle
from queue_server.domain.errors import Conflict, ErrorKind, IllegalTransition
from queue_server.domain.lifecycle import Action
from queue_server.domain.model import EventKind, Ticket, TicketStatus

S = TicketStatus
A = Action
E = EventKind

ISSUED = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
CALLED = ISSUED + timedelta(minutes=7)
NOW = ISSUED + timedelta(minutes=20)

# The rules as the issue and domain notes describe them, written out by hand:
# (action, from status) -> (status afterwards, event logged). Anything absent is illegal.
LEGAL: dict[tuple[Action, TicketStatus], tuple[TicketStatus, EventKind]] = {
    (A.CALL, S.WAITING): (S.CALLED, E.CALLED),
    (A.RECALL, S.CALLED): (S.CALLED, E.RECALLED),
    (A.RECALL, S.SERVING): (S.SERVING, E.RECALLED),
    (A.START, S.CALLED): (S.SERVING, E.STARTED),
    (A.NO_SHOW, S.CALLED): (S.NO_SHOW, E.NO_SHOW),
    (A.RETURN, S.NO_SHOW): (S.WAITING, E.RETURNED),
    (A.TRANSFER, S.WAITING): (S.WAITING, E.TRANSFERRED),
    (A.TRANSFER, S.CALLED): (S.WAITING, E.TRANSFERRED),
    (A.TRANSFER, S.SERVING): (S.WAITING, E.TRANSFERRED),
    (A.COMPLETE, S.CALLED): (S.DONE, E.COMPLETED),
    (A.COMPLETE, S.SERVING): (S.DONE, E.COMPLETED),
    (A.CANCEL, S.WAITING): (S.CANCELLED, E.CANCELLED),
    (A.CANCEL, S.CALLED): (S.CANCELLED, E.CANCELLED),
    (A.CANCEL, S.NO_SHOW): (S.CANCELLED, E.CANCELLED),
}

ALL_PAIRS = list(itertools.product(Action, TicketStatus))
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in LEGAL]

# How a citizen reads each status (domain notes: đang chờ, đang phục vụ, đã phục vụ, ...).
STATUS_WORDS_VI = {
    S.WAITING: "đang chờ",
    S.CALLED: "đã gọi",
    S.SERVING: "đang phục vụ",
    S.DONE: "đã phục vụ",
    S.NO_SHOW: "không có mặt",
    S.CANCELLED: "đã hủy",
}


def _id(pair: tuple[Action, TicketStatus]) -> str:
    return f"{pair[0].value}-from-{pair[1].value}"


def make_ticket(status: TicketStatus, number: str = "A0042") -> Ticket:
    """A ticket in a status, with the counter fields that status implies."""
    at_counter = status in (S.CALLED, S.SERVING, S.NO_SHOW)
    return Ticket(
        id="t-42",
        site="test",
        service="HT",
        issued_service="HT",
        number=number,
        seq=42,
        day=datetime(2026, 11, 26).date(),
        priority=False,
        status=status,
        issued_at=ISSUED,
        sort_at=ISSUED,
        counter=3 if at_counter else None,
        called_at=CALLED if at_counter else None,
        updated_at=CALLED if at_counter else ISSUED,
    )


def run(ticket: Ticket, action: Action, **kwargs: object) -> tuple[Ticket, object]:
    """Apply with the arguments each action needs from the desk."""
    if action is A.TRANSFER:
        kwargs.setdefault("service", "CT")
    if action is A.CALL:
        kwargs.setdefault("counter", 5)
    return lifecycle.apply(ticket, action, NOW, actor="clerk-1", **kwargs)  # type: ignore[arg-type]


def test_table_covers_every_pair() -> None:
    assert len(ALL_PAIRS) == len(Action) * len(TicketStatus) == 48
    assert len(LEGAL) + len(ILLEGAL) == len(ALL_PAIRS)


@pytest.mark.parametrize("pair", list(LEGAL), ids=_id)
def test_legal_transition(pair: tuple[Action, TicketStatus]) -> None:
    action, status = pair
    want_status, want_event = LEGAL[pair]
    before = make_ticket(status)
    after, event = run(before, action)
    assert after.status is want_status
    assert event.kind is want_event
    assert event.ticket_id == before.id
    assert event.at == NOW
    assert event.actor == "clerk-1"
    assert after.updated_at == NOW
    assert after.id == before.id and after.number == before.number
    assert after.issued_at == ISSUED
    assert after.issued_service == "HT"
    assert before.status is status  # the old value is untouched
    # check() agrees with apply()
    assert lifecycle.check(before, action).event is want_event


@pytest.mark.parametrize("pair", ILLEGAL, ids=_id)
def test_illegal_transition(pair: tuple[Action, TicketStatus]) -> None:
    action, status = pair
    ticket = make_ticket(status, number="B017")
    with pytest.raises(IllegalTransition) as info:
        run(ticket, action)
    err = info.value
    assert isinstance(err, Conflict)
    assert err.kind is ErrorKind.CONFLICT
    assert err.code == "illegal_transition"
    assert "B017" in err.message
    assert "Không thể" in err.message
    assert STATUS_WORDS_VI[status] in err.message.lower()
    assert "B017" in err.message_en
    assert status.value in err.message_en
    assert action.value in err.message_en
    with pytest.raises(IllegalTransition):
        lifecycle.check(ticket, action)


@pytest.mark.parametrize("status", list(TicketStatus))
def test_finished_statuses_accept_nothing_and_open_ones_something(status: TicketStatus) -> None:
    allowed = {a for a in Action if (a, status) in LEGAL}
    if status in (S.DONE, S.CANCELLED):
        assert allowed == set()
    else:
        assert allowed


def test_call_sets_counter_and_call_time() -> None:
    after, event = run(make_ticket(S.WAITING), A.CALL, counter=5)
    assert after.counter == 5
    assert after.called_at == NOW
    assert after.sort_at == ISSUED
    assert event.counter == 5
    assert event.service == "HT"
    assert event.detail == ""


@pytest.mark.parametrize("action", [A.RECALL, A.START, A.NO_SHOW, A.COMPLETE])
def test_counter_actions_log_the_ticket_counter(action: Action) -> None:
    after, event = run(make_ticket(S.CALLED), action)
    assert event.counter == 3
    assert after.counter == 3
    assert after.called_at == CALLED


def test_recall_keeps_status_and_call_time() -> None:
    before = make_ticket(S.SERVING)
    after, event = run(before, A.RECALL)
    assert after.status is S.SERVING
    assert after.called_at == CALLED
    assert event.kind is E.RECALLED


@pytest.mark.parametrize("keep", [True, False])
def test_return_clears_counter_and_place_follows_setting(keep: bool) -> None:
    after, event = run(make_ticket(S.NO_SHOW), A.RETURN, keep_place=keep)
    assert after.status is S.WAITING
    assert after.counter is None and after.called_at is None
    assert after.sort_at == (ISSUED if keep else NOW)
    assert after.issued_at == ISSUED
    assert event.kind is E.RETURNED


@pytest.mark.parametrize("status", [S.WAITING, S.CALLED, S.SERVING])
@pytest.mark.parametrize("keep", [True, False])
def test_transfer_moves_service_and_keeps_number(status: TicketStatus, keep: bool) -> None:
    before = make_ticket(status)
    after, event = run(before, A.TRANSFER, service="CT", counter=3, keep_place=keep)
    assert after.service == "CT"
    assert after.issued_service == "HT"
    assert after.number == before.number
    assert after.status is S.WAITING
    assert after.counter is None and after.called_at is None
    assert after.sort_at == (ISSUED if keep else NOW)
    assert event.kind is E.TRANSFERRED
    assert event.service == "CT"
    assert event.detail == "HT->CT"
    assert event.counter == 3


def test_transfer_needs_a_target() -> None:
    with pytest.raises(ValueError):
        lifecycle.apply(make_ticket(S.WAITING), A.TRANSFER, NOW, service=None)


def test_cancel_keeps_times() -> None:
    after, event = run(make_ticket(S.NO_SHOW), A.CANCEL)
    assert after.status is S.CANCELLED
    assert after.issued_at == ISSUED and after.sort_at == ISSUED
    assert event.kind is E.CANCELLED


def test_full_life_in_order() -> None:
    t = make_ticket(S.WAITING)
    kinds = []
    for action in (A.CALL, A.NO_SHOW, A.RETURN, A.CALL, A.RECALL, A.START, A.COMPLETE):
        t, event = run(t, action)
        kinds.append(event.kind)
    assert t.status is S.DONE
    assert kinds == [E.CALLED, E.NO_SHOW, E.RETURNED, E.CALLED, E.RECALLED, E.STARTED, E.COMPLETED]
