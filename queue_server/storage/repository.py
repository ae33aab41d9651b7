"""Repository functions: read and write tickets, events, counters and day counters.

Each takes an open Connection; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..domain.counters import Clerk, CounterDay, CounterLogEntry, state_today
from ..domain.lifecycle import ACTIVE
from ..domain.model import CounterChange, CounterState, Ticket, TicketEvent, TicketStatus
from .schema import (
    counter_day_fields,
    counter_events,
    counters,
    day_counters,
    install_secrets,
    ticket_events,
    tickets,
)


def _ticket(row: Any) -> Ticket:
    m = row._mapping
    return Ticket(
        id=m["id"],
        site=m["site"],
        service=m["service"],
        issued_service=m["issued_service"],
        number=m["number"],
        seq=m["seq"],
        day=m["day"],
        priority=bool(m["priority"]),
        status=TicketStatus(m["status"]),
        issued_at=m["issued_at"],
        sort_at=m["sort_at"],
        counter=m["counter"],
        called_at=m["called_at"],
        updated_at=m["updated_at"],
    )


def next_day_seq(conn: Connection, site: str, service: str, day: date) -> int:
    """Atomically take the next sequence number of a service's day (1 for the first)."""
    key = {"site": site, "service": service, "day": day, "last": 0}
    ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(day_counters)
    conn.execute(ins.values(**key).on_conflict_do_nothing())
    row = conn.execute(
        update(day_counters)
        .where(
            day_counters.c.site == site,
            day_counters.c.service == service,
            day_counters.c.day == day,
        )
        .values(last=day_counters.c.last + 1)
        .returning(day_counters.c.last)
    ).one()
    return int(row[0])


def insert_ticket(conn: Connection, t: Ticket, citizen_hash: str | None = None) -> None:
    """Store a new ticket (with the keyed hash of the citizen's number when the site asks)."""
    conn.execute(
        insert(tickets).values(
            citizen_hash=citizen_hash,
            id=t.id,
            site=t.site,
            service=t.service,
            issued_service=t.issued_service,
            number=t.number,
            seq=t.seq,
            day=t.day,
            priority=t.priority,
            status=t.status.value,
            counter=t.counter,
            issued_at=t.issued_at,
            sort_at=t.sort_at,
            called_at=t.called_at,
            updated_at=t.updated_at,
        )
    )


def save_transition(conn: Connection, old: Ticket, new: Ticket) -> bool:
    """Write a ticket's new state if nobody changed it meanwhile (compare-and-set on status).

    Returns False when another transaction got there first.
    """
    result = conn.execute(
        update(tickets)
        .where(tickets.c.id == old.id, tickets.c.status == old.status.value)
        .values(
            service=new.service,
            status=new.status.value,
            counter=new.counter,
            sort_at=new.sort_at,
            called_at=new.called_at,
            updated_at=new.updated_at,
        )
    )
    return result.rowcount == 1


def append_events(conn: Connection, site: str, events: Iterable[TicketEvent]) -> None:
    """Append entries to the ticket log."""
    rows = [
        {
            "ticket_id": e.ticket_id,
            "site": site,
            "kind": e.kind.value,
            "at": e.at,
            "counter": e.counter,
            "actor": e.actor,
            "service": e.service,
            "detail": e.detail,
        }
        for e in events
    ]
    if rows:
        conn.execute(insert(ticket_events), rows)


def citizen_has_ticket(
    conn: Connection, site: str, service: str, day: date, citizen_hash: str
) -> bool:
    """Whether this citizen already took a number for this field today."""
    row = conn.execute(
        select(tickets.c.id).where(
            tickets.c.site == site,
            tickets.c.issued_service == service,
            tickets.c.day == day,
            tickets.c.citizen_hash == citizen_hash,
        )
    ).first()
    return row is not None


def install_secret(conn: Connection, name: str, make: Callable[[], str]) -> str:
    """A secret of this installation, created once and shared by every server process."""
    ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(
        install_secrets
    )
    conn.execute(ins.values(name=name, value=make()).on_conflict_do_nothing())
    return str(
        conn.execute(
            select(install_secrets.c.value).where(install_secrets.c.name == name)
        ).scalar_one()
    )


def get_ticket(conn: Connection, ticket_id: str) -> Ticket | None:
    """A ticket by id."""
    if "\x00" in ticket_id:  # no id has one, and PostgreSQL rejects NUL in text
        return None
    row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
    return _ticket(row) if row else None


def lock_ticket(conn: Connection, ticket_id: str) -> Ticket | None:
    """A ticket by id, its row locked until the transaction ends (one rating at a time)."""
    if "\x00" in ticket_id:
        return None
    row = conn.execute(select(tickets).where(tickets.c.id == ticket_id).with_for_update()).first()
    return _ticket(row) if row else None


def find_ticket_by_number(conn: Connection, site: str, day: date, number: str) -> Ticket | None:
    """Today's ticket with a printed number."""
    if "\x00" in number:  # no number has one, and PostgreSQL rejects NUL in text
        return None
    row = conn.execute(
        select(tickets).where(
            tickets.c.site == site, tickets.c.day == day, tickets.c.number == number
        )
    ).first()
    return _ticket(row) if row else None


def queue_heads(conn: Connection, site: str, day: date, services: Sequence[str]) -> list[Ticket]:
    """For each (service, priority) the first waiting ticket today: the only possible next calls."""
    heads: list[Ticket] = []
    for service in services:
        for priority in (True, False):
            row = conn.execute(
                select(tickets)
                .where(
                    tickets.c.site == site,
                    tickets.c.day == day,
                    tickets.c.status == TicketStatus.WAITING.value,
                    tickets.c.service == service,
                    tickets.c.priority == priority,
                )
                .order_by(tickets.c.sort_at, tickets.c.seq)
                .limit(1)
            ).first()
            if row:
                heads.append(_ticket(row))
    return heads


def waiting_tickets(
    conn: Connection, site: str, day: date, services: Sequence[str]
) -> list[Ticket]:
    """Every ticket waiting today for some services, in queue order."""
    rows = conn.execute(
        select(tickets)
        .where(
            tickets.c.site == site,
            tickets.c.day == day,
            tickets.c.status == TicketStatus.WAITING.value,
            tickets.c.service.in_(list(services)),
        )
        .order_by(tickets.c.sort_at, tickets.c.seq)
    ).all()
    return [_ticket(r) for r in rows]


def people_ahead(conn: Connection, t: Ticket) -> int:
    """Waiting tickets of the same service that come before t.

    A priority ticket only has earlier priority tickets ahead of it; a normal
    one has every earlier ticket (priority tickets arriving later may still
    pass it, so this is a lower bound).
    """
    earlier = or_(
        tickets.c.sort_at < t.sort_at,
        and_(tickets.c.sort_at == t.sort_at, tickets.c.seq < t.seq),
    )
    conds = [
        tickets.c.site == t.site,
        tickets.c.day == t.day,
        tickets.c.status == TicketStatus.WAITING.value,
        tickets.c.service == t.service,
        tickets.c.id != t.id,
        earlier,
    ]
    if t.priority:
        conds.append(tickets.c.priority.is_(True))
    return int(conn.execute(select(func.count()).select_from(tickets).where(*conds)).scalar_one())


def waiting_counts(conn: Connection, site: str, day: date) -> dict[str, int]:
    """How many tickets wait today per service."""
    rows = conn.execute(
        select(tickets.c.service, func.count())
        .where(
            tickets.c.site == site,
            tickets.c.day == day,
            tickets.c.status == TicketStatus.WAITING.value,
        )
        .group_by(tickets.c.service)
    ).all()
    return {r[0]: int(r[1]) for r in rows}


def issued_today(conn: Connection, site: str, service: str, day: date) -> int:
    """How many numbers a service has issued today."""
    value = conn.execute(
        select(day_counters.c.last).where(
            day_counters.c.site == site,
            day_counters.c.service == service,
            day_counters.c.day == day,
        )
    ).scalar()
    return int(value or 0)


def active_ticket(conn: Connection, site: str, counter: int) -> Ticket | None:
    """The ticket a counter is calling or serving, if any."""
    row = conn.execute(
        select(tickets)
        .where(
            tickets.c.site == site,
            tickets.c.counter == counter,
            tickets.c.status.in_([s.value for s in ACTIVE]),
        )
        .order_by(tickets.c.called_at.desc())
        .limit(1)
    ).first()
    return _ticket(row) if row else None


def active_tickets(conn: Connection, site: str) -> dict[int, Ticket]:
    """Every counter's current ticket."""
    rows = conn.execute(
        select(tickets)
        .where(tickets.c.site == site, tickets.c.status.in_([s.value for s in ACTIVE]))
        .order_by(tickets.c.called_at)
    ).all()
    return {t.counter: t for t in map(_ticket, rows) if t.counter is not None}


def call_history(
    conn: Connection, site: str, counter: int, since: datetime, limit: int
) -> list[bool]:
    """Whether each of a counter's latest calls since a moment was priority, oldest first."""
    rows = conn.execute(
        select(tickets.c.priority)
        .select_from(ticket_events.join(tickets, tickets.c.id == ticket_events.c.ticket_id))
        .where(
            ticket_events.c.site == site,
            ticket_events.c.counter == counter,
            ticket_events.c.kind == "called",
            ticket_events.c.at >= since,
        )
        .order_by(ticket_events.c.id.desc())
        .limit(limit)
    ).all()
    return [bool(r[0]) for r in reversed(rows)]


def last_completed_at_counter(
    conn: Connection, site: str, counter: int, since: datetime
) -> Ticket | None:
    """The ticket a counter completed most recently since a moment."""
    row = conn.execute(
        select(tickets)
        .select_from(ticket_events.join(tickets, tickets.c.id == ticket_events.c.ticket_id))
        .where(
            ticket_events.c.site == site,
            ticket_events.c.counter == counter,
            ticket_events.c.kind == "completed",
            ticket_events.c.at >= since,
        )
        .order_by(ticket_events.c.id.desc())
        .limit(1)
    ).first()
    return _ticket(row) if row else None


def counter_day_events(
    conn: Connection, site: str, counter: int, since: datetime
) -> list[tuple[str, datetime, datetime | None]]:
    """(kind, at, the ticket's last start before it) of a counter's completions and no-shows
    since a moment; the start is None for a ticket never started."""
    started = ticket_events.alias("started")
    last_start = (
        select(func.max(started.c.at))
        .where(
            started.c.ticket_id == ticket_events.c.ticket_id,
            started.c.kind == "started",
            started.c.at <= ticket_events.c.at,
        )
        .scalar_subquery()
    )
    rows = conn.execute(
        select(ticket_events.c.kind, ticket_events.c.at, last_start).where(
            ticket_events.c.site == site,
            ticket_events.c.counter == counter,
            ticket_events.c.kind.in_(["completed", "no_show"]),
            ticket_events.c.at >= since,
        )
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def service_handling_seconds(
    conn: Connection, site: str, service: str, since: datetime
) -> list[float]:
    """Handling times (call to completion) of a service's tickets completed since a moment."""
    rows = conn.execute(
        select(ticket_events.c.at, tickets.c.called_at)
        .select_from(ticket_events.join(tickets, tickets.c.id == ticket_events.c.ticket_id))
        .where(
            ticket_events.c.site == site,
            ticket_events.c.kind == "completed",
            ticket_events.c.service == service,
            ticket_events.c.at >= since,
        )
    ).all()
    return [(at - called).total_seconds() for at, called in rows if called is not None]


def ticket_events_of(conn: Connection, ticket_id: str) -> list[TicketEvent]:
    """A ticket's log, oldest first."""
    from ..domain.model import EventKind

    rows = conn.execute(
        select(ticket_events)
        .where(ticket_events.c.ticket_id == ticket_id)
        .order_by(ticket_events.c.id)
    ).all()
    return [
        TicketEvent(
            ticket_id=r.ticket_id,
            kind=EventKind(r.kind),
            at=r.at,
            counter=r.counter,
            actor=r.actor,
            service=r.service,
            detail=r.detail,
        )
        for r in rows
    ]


def recent_calls(conn: Connection, site: str, since: datetime, limit: int) -> list[Ticket]:
    """Tickets called most recently (newest first) for the lobby's 'Số đã gọi' list."""
    rows = conn.execute(
        select(tickets)
        .where(
            tickets.c.site == site,
            tickets.c.called_at.is_not(None),
            tickets.c.called_at >= since,
        )
        .order_by(tickets.c.called_at.desc())
        .limit(limit)
    ).all()
    return [_ticket(r) for r in rows]


def ensure_counters(conn: Connection, site: str, numbers: Iterable[int]) -> None:
    """Create state rows for configured counters that have none yet (closed, never opened)."""
    existing = set(conn.execute(select(counters.c.number).where(counters.c.site == site)).scalars())
    rows = [
        {"site": site, "number": n, "state": CounterState.CLOSED.value, "updated_at": None}
        for n in numbers
        if n not in existing
    ]
    if rows:
        ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(counters)
        conn.execute(ins.on_conflict_do_nothing(), rows)


def lock_counter(conn: Connection, site: str, number: int, day_start: datetime) -> CounterDay:
    """A counter's state today, locking its row so actions on one counter go one at a time."""
    row = conn.execute(
        select(counters.c.state, counters.c.updated_at, counters.c.clerk, counters.c.clerk_name)
        .where(counters.c.site == site, counters.c.number == number)
        .with_for_update()
    ).first()
    if row is None:
        return state_today(CounterState.CLOSED, None, day_start)
    return state_today(CounterState(row[0]), row[1], day_start, _clerk(row[2], row[3]))


def _clerk(username: str | None, name: str | None) -> Clerk | None:
    return Clerk(username, name or username) if username else None


def counter_states(conn: Connection, site: str, day_start: datetime) -> dict[int, CounterDay]:
    """Every counter's state today (`day_start`: the site's local midnight)."""
    rows = conn.execute(
        select(
            counters.c.number, counters.c.state, counters.c.updated_at, counters.c.clerk,
            counters.c.clerk_name,
        ).where(counters.c.site == site)
    )  # fmt: skip
    return {
        int(n): state_today(CounterState(s), at, day_start, _clerk(u, name))
        for n, s, at, u, name in rows
    }


def set_counter_state(
    conn: Connection, site: str, number: int, state: CounterState, at: datetime,
    clerk: Clerk | None = None,
) -> None:  # fmt: skip
    """Change a counter's state and the clerk it is open with (none once closed)."""
    conn.execute(
        update(counters)
        .where(counters.c.site == site, counters.c.number == number)
        .values(
            state=state.value, updated_at=at,
            clerk=clerk.username if clerk and state is not CounterState.CLOSED else None,
            clerk_name=clerk.name if clerk and state is not CounterState.CLOSED else None,
        )
    )  # fmt: skip


def set_counter_clerk(conn: Connection, site: str, number: int, clerk: Clerk | None) -> None:
    """The staff member an open counter is open with from now on (its state unchanged)."""
    conn.execute(
        update(counters)
        .where(counters.c.site == site, counters.c.number == number)
        .values(clerk=clerk.username if clerk else None, clerk_name=clerk.name if clerk else None)
    )


def close_stale_counters(conn: Connection, site: str, day_start: datetime) -> list[int]:
    """Mark closed the counters left open or paused before `day_start`; their numbers.

    The time they were set is kept, so they read as not opened today. Compare-and-set: of
    several processes doing this at midnight, one gets each counter.
    """
    rows = conn.execute(
        update(counters)
        .where(
            counters.c.site == site,
            counters.c.state != CounterState.CLOSED.value,
            or_(counters.c.updated_at.is_(None), counters.c.updated_at < day_start),
        )
        .values(state=CounterState.CLOSED.value, clerk=None, clerk_name=None)
        .returning(counters.c.number)
    ).scalars()
    return sorted(int(n) for n in rows)


def log_counter(conn: Connection, site: str, entry: CounterLogEntry) -> None:
    """Append to a counter's log."""
    conn.execute(
        insert(counter_events).values(
            site=site, counter=entry.counter, kind=entry.kind.value, at=entry.at,
            actor=entry.actor, cause=entry.cause,
        )
    )  # fmt: skip


def counter_log(conn: Connection, site: str, number: int, since: datetime) -> list[CounterLogEntry]:
    """A counter's log since a moment, oldest first."""
    rows = conn.execute(
        select(counter_events)
        .where(
            counter_events.c.site == site,
            counter_events.c.counter == number,
            counter_events.c.at >= since,
        )
        .order_by(counter_events.c.id)
    ).all()
    return [CounterLogEntry(r.counter, CounterChange(r.kind), r.at, r.actor, r.cause) for r in rows]


def day_fields(conn: Connection, site: str, day: date) -> dict[int, tuple[tuple[str, ...], str]]:
    """The counters whose fields were changed for `day`: {number: (services, policy)}."""
    rows = conn.execute(
        select(counter_day_fields.c.counter, counter_day_fields.c.services,
               counter_day_fields.c.policy)
        .where(counter_day_fields.c.site == site, counter_day_fields.c.day == day)
    )  # fmt: skip
    return {int(n): (tuple(s for s in services.split(",") if s), p) for n, services, p in rows}


def set_day_fields(
    conn: Connection, site: str, counter: int, day: date, services: Sequence[str], policy: str,
    at: datetime, actor: str,
) -> None:  # fmt: skip
    """A counter's fields and policy for `day`, replacing any set earlier that day."""
    conn.execute(
        counter_day_fields.delete().where(
            counter_day_fields.c.site == site, counter_day_fields.c.counter == counter,
            counter_day_fields.c.day == day,
        )
    )  # fmt: skip
    conn.execute(
        insert(counter_day_fields).values(
            site=site, counter=counter, day=day, services=",".join(services), policy=policy,
            set_at=at, actor=actor[:64],
        )
    )  # fmt: skip
