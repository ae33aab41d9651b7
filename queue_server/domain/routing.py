"""Which waiting ticket a counter calls next."""

from __future__ import annotations

from collections.abc import Sequence

from .model import CallingPolicy, Counter, PriorityPolicy, Ticket


def priority_turn(policy: PriorityPolicy, history: Sequence[bool]) -> bool:
    """Whether a priority ticket should go next, given the counter's calls today (True = priority).

    Only used when both kinds are waiting. Under the ratio policy, a run of
    `policy.priority` priority calls owes `policy.normal` normal calls before
    the next priority one.
    """
    if policy.mode == "strict":
        return True
    trailing_normal = _trailing(history, False)
    run_before = _trailing(history[: len(history) - trailing_normal], True)
    if trailing_normal == 0:
        return run_before < policy.priority
    owed = run_before >= policy.priority and trailing_normal < policy.normal
    return not owed


def _trailing(history: Sequence[bool], value: bool) -> int:
    n = 0
    for item in reversed(history):
        if item is not value:
            break
        n += 1
    return n


def fifo_key(counter: Counter, ticket: Ticket) -> tuple[int, object, int]:
    """Order inside one class (priority or not), by the counter's policy.

    field_order: the counter's service order, then time in the queue, then seq.
    oldest_first: time in the queue across all its fields, then its service order, then seq.
    """
    rank = counter.services.index(ticket.service)
    if counter.policy is CallingPolicy.OLDEST_FIRST:
        return (0, (ticket.sort_at, rank), ticket.seq)
    return (rank, ticket.sort_at, ticket.seq)


def choose_next(
    counter: Counter,
    candidates: Sequence[Ticket],
    policy: PriorityPolicy,
    history: Sequence[bool],
) -> Ticket | None:
    """Pick the next ticket among waiting candidates of the counter's services, or None."""
    eligible = [t for t in candidates if t.service in counter.services]
    priority = [t for t in eligible if t.priority]
    normal = [t for t in eligible if not t.priority]
    if priority and normal:
        pool = priority if priority_turn(policy, history) else normal
    else:
        pool = priority or normal
    if not pool:
        return None
    return min(pool, key=lambda t: fifo_key(counter, t))
