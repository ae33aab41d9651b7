"""Routing as pure domain code: who a counter calls next."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from queue_server.domain import lifecycle
from queue_server.domain.lifecycle import Action
from queue_server.domain.model import CallingPolicy, Counter, PriorityPolicy, Ticket, TicketStatus
from queue_server.domain.routing import choose_next, priority_turn

T0 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
DAY = date(2026, 11, 26)
STRICT = PriorityPolicy("strict")
RATIO_1_2 = PriorityPolicy("ratio", priority=1, normal=2)
RATIO_2_1 = PriorityPolicy("ratio", priority=2, normal=1)
BOTH = Counter(1, "Quầy số 01", ("HT", "CT"))
BOTH_REVERSED = Counter(2, "Quầy số 02", ("CT", "HT"))
ONLY_HT = Counter(5, "Quầy số 05", ("HT",))
ONLY_CT = Counter(6, "Quầy số 06", ("CT",))


def tk(
    service: str,
    seq: int,
    minute: float,
    *,
    priority: bool = False,
    sort_minute: float | None = None,
) -> Ticket:
    """A waiting ticket issued `minute` minutes after T0."""
    issued = T0 + timedelta(minutes=minute)
    sort_at = issued if sort_minute is None else T0 + timedelta(minutes=sort_minute)
    return Ticket(
        id=f"{service}-{seq}",
        site="test",
        service=service,
        issued_service=service,
        number=f"{service}{seq:03d}",
        seq=seq,
        day=DAY,
        priority=priority,
        status=TicketStatus.WAITING,
        issued_at=issued,
        sort_at=sort_at,
    )


def drain(
    counter: Counter,
    waiting: Sequence[Ticket],
    policy: PriorityPolicy,
    history: Sequence[bool] = (),
    limit: int | None = None,
) -> list[Ticket]:
    """Call next until nothing is left (or `limit` calls), as the desk does, returning the calls."""
    pool = list(waiting)
    hist = list(history)
    calls: list[Ticket] = []
    while limit is None or len(calls) < limit:
        chosen = choose_next(counter, pool, policy, hist)
        if chosen is None:
            break
        pool.remove(chosen)
        hist.append(chosen.priority)
        calls.append(chosen)
    return calls


def kinds(calls: Sequence[Ticket]) -> str:
    return "".join("p" if t.priority else "n" for t in calls)


def ids(calls: Sequence[Ticket]) -> list[str]:
    return [t.id for t in calls]


def mixed(n_priority: int, n_normal: int, service: str = "HT") -> list[Ticket]:
    """Normals issued first (so FIFO alone would call them first), then priority tickets."""
    normals = [tk(service, i + 1, i) for i in range(n_normal)]
    prio = [tk(service, n_normal + i + 1, n_normal + i, priority=True) for i in range(n_priority)]
    return normals + prio


# -- nothing to call ------------------------------------------------------------------


def test_no_candidates_gives_none() -> None:
    assert choose_next(BOTH, [], STRICT, []) is None
    assert choose_next(BOTH, [], RATIO_1_2, [True, False]) is None


def test_tickets_of_other_services_are_ignored() -> None:
    others = [tk("DD", 1, 0), tk("DD", 2, 1, priority=True)]
    assert choose_next(ONLY_HT, others, STRICT, []) is None
    assert choose_next(ONLY_HT, [*others, tk("HT", 1, 5)], STRICT, []).id == "HT-1"


# -- strict ------------------------------------------------------------------------------


def test_strict_priority_always_first() -> None:
    calls = drain(ONLY_HT, mixed(3, 3), STRICT)
    assert kinds(calls) == "pppnnn"
    assert ids(calls) == ["HT-4", "HT-5", "HT-6", "HT-1", "HT-2", "HT-3"]


def test_strict_ignores_history() -> None:
    waiting = mixed(1, 1)
    for history in ([], [True], [True] * 10, [False, True, True]):
        assert priority_turn(STRICT, history) is True
        assert choose_next(ONLY_HT, waiting, STRICT, history).priority


def test_strict_priority_of_second_service_beats_normal_of_first() -> None:
    waiting = [tk("HT", 1, 0), tk("CT", 1, 10, priority=True)]
    assert choose_next(BOTH, waiting, STRICT, []).id == "CT-1"


# -- ratio -------------------------------------------------------------------------------


def test_ratio_1_2_sequence_when_both_keep_waiting() -> None:
    calls = drain(ONLY_HT, mixed(4, 8), RATIO_1_2, limit=9)
    assert kinds(calls) == "pnnpnnpnn"
    # within each kind, still first come first served
    assert ids(calls) == ["HT-9", "HT-1", "HT-2", "HT-10", "HT-3", "HT-4", "HT-11", "HT-5", "HT-6"]


def test_ratio_2_1_sequence() -> None:
    calls = drain(ONLY_HT, mixed(6, 6), RATIO_2_1, limit=9)
    assert kinds(calls) == "ppnppnppn"


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([], True),
        ([True], False),
        ([True, False], False),
        ([True, False, False], True),
        ([False], True),
        ([False, False, False, False], True),
        ([True, True, True], False),
        ([True, True, True, False], False),
        ([True, True, True, False, False], True),
        ([False, True], False),
    ],
)
def test_priority_turn_ratio_1_2(history: list[bool], expected: bool) -> None:
    assert priority_turn(RATIO_1_2, history) is expected


def test_ratio_only_normal_waiting_calls_normal_even_when_priority_is_due() -> None:
    waiting = [tk("HT", 1, 0), tk("HT", 2, 1)]
    assert priority_turn(RATIO_1_2, [False, False]) is True
    assert ids(drain(ONLY_HT, waiting, RATIO_1_2, history=[False, False])) == ["HT-1", "HT-2"]


def test_ratio_only_priority_waiting_calls_priority_even_when_normal_is_due() -> None:
    waiting = [tk("HT", 1, 0, priority=True), tk("HT", 2, 1, priority=True)]
    assert priority_turn(RATIO_1_2, [True]) is False
    calls = drain(ONLY_HT, waiting, RATIO_1_2, history=[True])
    assert ids(calls) == ["HT-1", "HT-2"]


def test_ratio_after_a_priority_only_run_normals_get_their_turn() -> None:
    # Three priority calls happened while no normal ticket waited; now both kinds wait.
    calls = drain(ONLY_HT, mixed(3, 3), RATIO_1_2, history=[True, True, True])
    # two normals are owed; then p n, and the last priority tickets once normals run out
    assert kinds(calls) == "nnpnpp"


def test_ratio_after_a_normal_only_run_priority_goes_next() -> None:
    calls = drain(ONLY_HT, mixed(2, 4), RATIO_1_2, history=[False] * 5)
    assert kinds(calls) == "pnnpnn"


def test_ratio_counts_across_services_of_the_counter() -> None:
    # A priority CT ticket and normal HT tickets: the counter's mix, not per service.
    waiting = [tk("HT", 1, 0), tk("HT", 2, 1), tk("HT", 3, 2), tk("CT", 1, 3, priority=True),
               tk("CT", 2, 4, priority=True)]  # fmt: skip
    calls = drain(BOTH, waiting, RATIO_1_2)
    assert ids(calls) == ["CT-1", "HT-1", "HT-2", "CT-2", "HT-3"]


# -- counter service order -----------------------------------------------------------------


def test_counter_service_order_ht_first() -> None:
    # CT tickets came earlier, but counter 1 serves HT before CT.
    waiting = [tk("CT", 1, 0), tk("CT", 2, 1), tk("HT", 1, 2), tk("HT", 2, 3)]
    assert ids(drain(BOTH, waiting, STRICT)) == ["HT-1", "HT-2", "CT-1", "CT-2"]


def test_counter_service_order_ct_first() -> None:
    waiting = [tk("HT", 1, 0), tk("HT", 2, 1), tk("CT", 1, 2), tk("CT", 2, 3)]
    assert ids(drain(BOTH_REVERSED, waiting, STRICT)) == ["CT-1", "CT-2", "HT-1", "HT-2"]


def test_service_order_applies_within_priority_too() -> None:
    waiting = [tk("CT", 1, 0, priority=True), tk("HT", 1, 5, priority=True), tk("HT", 2, 6)]
    assert ids(drain(BOTH, waiting, STRICT)) == ["HT-1", "CT-1", "HT-2"]
    assert ids(drain(BOTH_REVERSED, waiting, STRICT)) == ["CT-1", "HT-1", "HT-2"]


# -- FIFO --------------------------------------------------------------------------------


def test_fifo_by_sort_time_not_list_order() -> None:
    waiting = [tk("HT", 3, 20), tk("HT", 1, 0), tk("HT", 2, 10)]
    assert ids(drain(ONLY_HT, waiting, STRICT)) == ["HT-1", "HT-2", "HT-3"]


def test_fifo_same_time_broken_by_seq() -> None:
    waiting = [tk("HT", 7, 0), tk("HT", 5, 0), tk("HT", 6, 0)]
    assert ids(drain(ONLY_HT, waiting, STRICT)) == ["HT-5", "HT-6", "HT-7"]


def test_fifo_sort_time_beats_seq() -> None:
    # seq 9 was put back with its original (earlier) place; it goes before seq 2.
    waiting = [tk("HT", 2, 10), tk("HT", 9, 30, sort_minute=1)]
    assert ids(drain(ONLY_HT, waiting, STRICT)) == ["HT-9", "HT-2"]


# -- transfer fairness -------------------------------------------------------------------------


def _transferred(keep_place: bool) -> Ticket:
    """HT-1 issued at 08:00, served at counter 5, transferred to CT at 08:30."""
    original = tk("HT", 1, 0)
    called, _ = lifecycle.apply(original, Action.CALL, T0 + timedelta(minutes=20), counter=5)
    moved, _ = lifecycle.apply(
        called, Action.TRANSFER, T0 + timedelta(minutes=30), counter=5, service="CT",
        keep_place=keep_place,
    )  # fmt: skip
    assert moved.service == "CT" and moved.status is TicketStatus.WAITING
    return moved


def test_transfer_keeps_issue_time_goes_before_later_tickets() -> None:
    moved = _transferred(keep_place=True)
    earlier = tk("CT", 1, -5)  # 07:55, before the HT ticket
    later = [tk("CT", 2, 5), tk("CT", 3, 15), tk("CT", 4, 25)]
    calls = drain(ONLY_CT, [*later, moved, earlier], STRICT)
    assert ids(calls) == ["CT-1", "HT-1", "CT-2", "CT-3", "CT-4"]
    assert calls[1].number == "HT001"


def test_transfer_without_keeping_issue_time_goes_to_the_back() -> None:
    moved = _transferred(keep_place=False)
    earlier = tk("CT", 1, -5)
    later = [tk("CT", 2, 5), tk("CT", 3, 15), tk("CT", 4, 25)]
    after = tk("CT", 5, 35)  # issued after the transfer
    calls = drain(ONLY_CT, [after, *later, moved, earlier], STRICT)
    assert ids(calls) == ["CT-1", "CT-2", "CT-3", "CT-4", "HT-1", "CT-5"]


def test_transferred_ticket_is_no_longer_for_the_old_service() -> None:
    moved = _transferred(keep_place=True)
    assert choose_next(ONLY_HT, [moved], STRICT, []) is None


# -- calling policy: oldest first across the counter's fields ------------------------------

ALL_OLDEST = Counter(12, "Quầy số 12", ("HT", "CT", "DD"), policy=CallingPolicy.OLDEST_FIRST)
ALL_FIELD_ORDER = Counter(12, "Quầy số 12", ("HT", "CT", "DD"))


def test_field_order_is_the_default_and_takes_the_first_field_first() -> None:
    # The walk-through: a Đất đai ticket from 13:46 and a Hộ tịch one from 13:57.
    waiting = [tk("DD", 1, 46), tk("HT", 1, 57)]
    assert ALL_FIELD_ORDER.policy is CallingPolicy.FIELD_ORDER
    assert ids(drain(ALL_FIELD_ORDER, waiting, STRICT)) == ["HT-1", "DD-1"]


def test_oldest_first_takes_whoever_waited_longest_across_fields() -> None:
    waiting = [tk("DD", 1, 46), tk("HT", 1, 57), tk("CT", 1, 50), tk("DD", 2, 58)]
    assert ids(drain(ALL_OLDEST, waiting, STRICT)) == ["DD-1", "CT-1", "HT-1", "DD-2"]


def test_oldest_first_uses_the_place_in_the_queue_not_the_issue_time() -> None:
    # A transferred ticket keeps its place (sort_at) though it was issued later.
    waiting = [tk("HT", 1, 10), tk("DD", 7, 30, sort_minute=5)]
    assert ids(drain(ALL_OLDEST, waiting, STRICT)) == ["DD-7", "HT-1"]


def test_oldest_first_still_puts_priority_first_strict() -> None:
    waiting = [tk("DD", 1, 0), tk("HT", 1, 5), tk("CT", 1, 20, priority=True)]
    assert ids(drain(ALL_OLDEST, waiting, STRICT)) == ["CT-1", "DD-1", "HT-1"]


def test_oldest_first_keeps_the_priority_ratio() -> None:
    waiting = [tk("DD", 1, 0), tk("HT", 1, 1), tk("CT", 1, 2), tk("HT", 2, 3),
               tk("CT", 2, 10, priority=True), tk("DD", 2, 11, priority=True)]  # fmt: skip
    calls = drain(ALL_OLDEST, waiting, RATIO_1_2)
    assert kinds(calls) == "pnnpnn"
    assert ids(calls) == ["CT-2", "DD-1", "HT-1", "DD-2", "CT-1", "HT-2"]


def test_oldest_first_same_moment_falls_back_to_field_order() -> None:
    waiting = [tk("DD", 1, 3), tk("CT", 1, 3), tk("HT", 1, 3)]
    assert ids(drain(ALL_OLDEST, waiting, STRICT)) == ["HT-1", "CT-1", "DD-1"]
