"""The ticket state machine: which action may move a ticket from which status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ..contract.messages import Message
from .errors import IllegalTransition
from .model import STATUS_VI, EventKind, Ticket, TicketEvent, TicketStatus

S = TicketStatus


class Action(StrEnum):
    """What a clerk, kiosk or the system can do to a ticket."""

    CALL = "call"
    RECALL = "recall"
    START = "start"
    NO_SHOW = "no_show"
    RETURN = "return"
    TRANSFER = "transfer"
    COMPLETE = "complete"
    CANCEL = "cancel"


ACTION_VI = {
    Action.CALL: "gọi",
    Action.RECALL: "gọi lại",
    Action.START: "bắt đầu phục vụ",
    Action.NO_SHOW: "đánh dấu không có mặt",
    Action.RETURN: "đưa lại vào hàng chờ",
    Action.TRANSFER: "chuyển lĩnh vực",
    Action.COMPLETE: "hoàn thành",
    Action.CANCEL: "hủy",
}


@dataclass(frozen=True)
class Transition:
    """The statuses an action accepts, the status it leads to and the event it logs."""

    sources: frozenset[TicketStatus]
    target: TicketStatus | None  # None: the status does not change
    event: EventKind


TRANSITIONS: dict[Action, Transition] = {
    Action.CALL: Transition(frozenset({S.WAITING}), S.CALLED, EventKind.CALLED),
    Action.RECALL: Transition(frozenset({S.CALLED, S.SERVING}), None, EventKind.RECALLED),
    Action.START: Transition(frozenset({S.CALLED}), S.SERVING, EventKind.STARTED),
    Action.NO_SHOW: Transition(frozenset({S.CALLED}), S.NO_SHOW, EventKind.NO_SHOW),
    Action.RETURN: Transition(frozenset({S.NO_SHOW}), S.WAITING, EventKind.RETURNED),
    Action.TRANSFER: Transition(
        frozenset({S.WAITING, S.CALLED, S.SERVING}), S.WAITING, EventKind.TRANSFERRED
    ),
    Action.COMPLETE: Transition(frozenset({S.CALLED, S.SERVING}), S.DONE, EventKind.COMPLETED),
    Action.CANCEL: Transition(
        frozenset({S.WAITING, S.CALLED, S.NO_SHOW}), S.CANCELLED, EventKind.CANCELLED
    ),
}

ACTIVE = frozenset({S.CALLED, S.SERVING})
"""Statuses in which a ticket occupies a counter."""


def check(ticket: Ticket, action: Action) -> Transition:
    """Return the transition for an action or raise IllegalTransition naming both sides."""
    transition = TRANSITIONS[action]
    if ticket.status not in transition.sources:
        raise IllegalTransition(
            "illegal_transition",
            action=Message(ACTION_VI[action], action.value),
            number=ticket.number,
            status=Message(STATUS_VI[ticket.status], ticket.status.value),
        )
    return transition


def apply(
    ticket: Ticket,
    action: Action,
    at: datetime,
    *,
    counter: int | None = None,
    actor: str = "",
    service: str | None = None,
    keep_place: bool = True,
) -> tuple[Ticket, TicketEvent]:
    """Apply an action and return the new ticket and the log event describing it."""
    transition = check(ticket, action)
    changes: dict[str, object] = {"updated_at": at}
    if transition.target is not None:
        changes["status"] = transition.target
    if action is Action.CALL:
        changes.update(counter=counter, called_at=at)
    elif action in (Action.RECALL, Action.START, Action.NO_SHOW, Action.COMPLETE):
        counter = ticket.counter if counter is None else counter
    elif action in (Action.RETURN, Action.TRANSFER):
        changes.update(counter=None, called_at=None)
        if not keep_place:
            changes["sort_at"] = at
        if action is Action.TRANSFER:
            if not service:
                raise ValueError("transfer needs a target service")
            changes["service"] = service
    new = ticket.evolve(**changes)
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=transition.event,
        at=at,
        counter=counter,
        actor=actor,
        service=new.service,
        detail=f"{ticket.service}->{service}" if action is Action.TRANSFER else "",
    )
    return new, event
