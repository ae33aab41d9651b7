"""Socket.IO events of the /display namespace, declared once: name, payload, meaning.

The server builds every payload through its model here (`model_dump(mode="json",
by_alias=True)`), the device agent takes the names from here, and the pages import them from
the ES module generated from this table (GET /contract.js). The README's events table shows
each `description`; a test keeps them equal.

Every event in `NUMBERED` carries `epoch` and its own `seq`, which grows by exactly 1 per
event within an epoch; a client that sees a gap or a new epoch emits `sync` and gets a
SNAPSHOT back. Field order is the JSON key order on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from .models import (
    AnnounceAt,
    Announcement,
    AnnounceMs,
    CounterRef,
    CounterStateRef,
    PublicTicket,
    ServerTime,
    Snapshot,
)

NAMESPACE = "/display"
"""Open to anyone: what the lobby TV shows (tickets in their public shape, without ids)."""


class Event(StrEnum):
    """Every event name of the /display namespace."""

    ISSUED = "ticket.issued"
    CALLED = "ticket.called"
    STARTED = "ticket.started"
    COMPLETED = "ticket.completed"
    NO_SHOW = "ticket.no_show"
    TRANSFERRED = "ticket.transferred"
    RETURNED = "ticket.returned"
    CANCELLED = "ticket.cancelled"
    COUNTER_STATE = "counter.state"
    SNAPSHOT = "snapshot"
    HEARTBEAT = "heartbeat"
    SYNC = "sync"


def _absent(value: Any) -> bool:
    return value is None


Epoch = Annotated[str, Field(description="Changes whenever the sequence restarts.")]
Seq = Annotated[int, Field(description="Grows by exactly 1 per event within an epoch.")]
Waiting = Annotated[dict[str, int], Field(description="{service code: tickets waiting} after it.")]


class Payload(BaseModel):
    """An event body: exactly these keys, in this order."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True)


class TicketIssued(Payload):
    ticket: PublicTicket
    waiting: Waiting
    epoch: Epoch
    seq: Seq


class TicketCalled(Payload):
    ticket: PublicTicket
    counter: CounterRef
    announcement: Announcement
    recall: bool = Field(description="An announcement of a ticket already called.")
    announce_at: AnnounceAt
    announce_ms: AnnounceMs
    waiting: Waiting
    epoch: Epoch
    seq: Seq


class TicketStarted(Payload):
    ticket: PublicTicket
    counter: CounterRef
    waiting: Waiting
    epoch: Epoch
    seq: Seq


class TicketCompleted(Payload):
    ticket: PublicTicket
    counter: CounterRef | None = Field(
        None, exclude_if=_absent, description="Absent when calling the next number completed it."
    )
    waiting: Waiting
    epoch: Epoch
    seq: Seq


class TicketNoShow(Payload):
    ticket: PublicTicket
    counter: CounterRef
    waiting: Waiting
    epoch: Epoch
    seq: Seq


class TicketTransferred(Payload):
    ticket: PublicTicket
    counter: CounterRef
    from_: str = Field(alias="from", description="The service it was in before.")
    waiting: Waiting
    epoch: Epoch
    seq: Seq


class TicketReturned(Payload):
    ticket: PublicTicket
    waiting: Waiting
    epoch: Epoch
    seq: Seq


class TicketCancelled(Payload):
    ticket: PublicTicket
    waiting: Waiting
    epoch: Epoch
    seq: Seq


class CounterStateChanged(Payload):
    counter: CounterStateRef
    epoch: Epoch
    seq: Seq


class Heartbeat(Payload):
    epoch: Epoch
    seq: Seq = Field(description="The last seq handed out (a heartbeat has none of its own).")
    server_time: ServerTime


class SyncRequest(Payload):
    site: str | None = Field(None, exclude_if=_absent, description="Site code; else the first.")


@dataclass(frozen=True)
class EventSpec:
    """What one event carries and means."""

    payload: type[BaseModel]
    description: str
    numbered: bool = True  # carries its own seq: applied in seq order, a gap means sync
    leaves_counter: bool = False  # the ticket is no longer at the counter that held it
    from_client: bool = False


SPECS: dict[Event, EventSpec] = {
    Event.ISSUED: EventSpec(TicketIssued, "A ticket was issued: `ticket`, `waiting`"),
    Event.CALLED: EventSpec(
        TicketCalled,
        "A ticket was called or recalled: `ticket`, `counter` {number, name}, "
        "`announcement` {text, text_en, audio_url}, `recall` (bool), `announce_at` and "
        "`announce_ms` (its announcement slot: when it takes the main panel and is read, and "
        "for how long), `waiting`",
    ),
    Event.STARTED: EventSpec(
        TicketStarted,
        "The citizen arrived; the clerk started serving: `ticket`, `counter`, `waiting`",
    ),
    Event.COMPLETED: EventSpec(
        TicketCompleted,
        "A ticket was served: `ticket`, `counter` (absent when calling the next number "
        "completed it), `waiting`",
        leaves_counter=True,
    ),
    Event.NO_SHOW: EventSpec(
        TicketNoShow,
        "A called citizen did not come: `ticket`, `counter`, `waiting`",
        leaves_counter=True,
    ),
    Event.TRANSFERRED: EventSpec(
        TicketTransferred,
        "A ticket moved to another service and waits there: `ticket`, `counter`, "
        "`from` (previous service), `waiting`",
        leaves_counter=True,
    ),
    Event.RETURNED: EventSpec(
        TicketReturned,
        "A no-show ticket was put back in the queue: `ticket`, `waiting`",
        leaves_counter=True,
    ),
    Event.CANCELLED: EventSpec(
        TicketCancelled, "A ticket was cancelled: `ticket`, `waiting`", leaves_counter=True
    ),
    Event.COUNTER_STATE: EventSpec(
        CounterStateChanged,
        "A counter opened, paused, closed or handed over to another clerk (Đổi ca): "
        "`counter` {number, name, state, state_text, opened_today, clerk {username, name} "
        "or null}",
    ),
    Event.SNAPSHOT: EventSpec(
        Snapshot,
        "The lobby at one moment, on connect and as the answer to `sync`: `site`, `time`, "
        "`counters`, `waiting`, `services`, `recent`, `server_time`, `announcing` (calls "
        "being read or waiting to be read, with their slots)",
        numbered=False,
    ),
    Event.HEARTBEAT: EventSpec(
        Heartbeat,
        "`epoch`, the current `seq` and `server_time` every 30 s (no seq of its own): a "
        "display that missed the last event of a quiet spell resyncs, and keeps its clock "
        "offset fresh",
        numbered=False,
    ),
    Event.SYNC: EventSpec(
        SyncRequest,
        "From a client, at any time: `site` (optional); answered with a SNAPSHOT",
        numbered=False,
        from_client=True,
    ),
}

NUMBERED: tuple[Event, ...] = tuple(e for e in Event if SPECS[e].numbered)
"""The events a live client applies in seq order (what the desk publishes)."""

LEAVING: frozenset[Event] = frozenset(e for e in Event if SPECS[e].leaves_counter)
"""After these the ticket is no longer at the counter that held it."""


def payload_model(event: str) -> type[BaseModel]:
    """The payload model of an event name (ValueError for an unknown name)."""
    return SPECS[Event(event)].payload
