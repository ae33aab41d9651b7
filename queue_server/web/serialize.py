"""Response models of the public contract from domain values: TICKET, SNAPSHOT and the rest."""

from __future__ import annotations

from datetime import datetime

from ..auth import PERSON_ROLES, ROLES
from ..contract import models as m
from ..contract.messages import MESSAGES
from ..desk import Snapshot, TicketView
from ..domain.counters import CounterDay
from ..domain.model import STATUS_VI, Counter, CounterState, Service, Site, Ticket
from ..voice import Spoken


def iso(moment: datetime | None, site: Site) -> str | None:
    """ISO 8601 in the site's local time, with its offset."""
    return site.local(moment).isoformat(timespec="seconds") if moment else None


def ms_time(ms: int, site: Site) -> str:
    """Milliseconds since the Unix epoch as ISO 8601 with milliseconds, in the site's time."""
    return datetime.fromtimestamp(ms / 1000, site.tz).isoformat(timespec="milliseconds")


def public_ticket(ticket: Ticket, site: Site, ahead: int | None = None) -> m.PublicTicket:
    """A ticket as anonymous readers get it: what the lobby shows, without id or status link."""
    service = site.services_by_code.get(ticket.service)
    counter = site.counters_by_number.get(ticket.counter) if ticket.counter else None
    return m.PublicTicket(
        number=ticket.number,
        service=ticket.service,
        service_name=service.name if service else ticket.service,
        status=ticket.status,
        status_text=STATUS_VI[ticket.status],
        priority=ticket.priority,
        ahead=ahead,
        issued_at=site.local(ticket.issued_at).isoformat(timespec="seconds"),
        called_at=iso(ticket.called_at, site),
        counter=ticket.counter,
        counter_name=counter.name if counter else None,
        site=ticket.site,
        transferred_from=ticket.issued_service if ticket.issued_service != ticket.service else None,
    )


def ticket_out(ticket: Ticket, site: Site, base_url: str, ahead: int | None = None) -> m.Ticket:
    """TICKET as the contract names it (for the holder of its id and for staff)."""
    return m.Ticket(
        **dict(public_ticket(ticket, site, ahead)),
        id=ticket.id,
        status_url=f"{base_url.rstrip('/')}/t/{ticket.id}",
    )


def view_out(view: TicketView, site: Site, base_url: str) -> m.Ticket:
    """TICKET from a desk view."""
    return ticket_out(view.ticket, site, base_url, view.ahead)


def public_view(view: TicketView, site: Site) -> m.PublicTicket:
    """The public shape of a ticket from a desk view."""
    return public_ticket(view.ticket, site, view.ahead)


def public_actor(actor: str, counter: int | None, site: Site) -> str:
    """Who acted, as a ticket's log tells anyone: the counter's name, else the role.

    The stored actor is `role#token-id:name` or `role@username` (auth.Principal.actor):
    neither the token id nor the staff member leaves the server.
    """
    known = site.counters_by_number.get(counter) if counter is not None else None
    if known is not None:
        return known.name
    role = actor.partition("#")[0].partition("@")[0]
    return role if role in ROLES or role in PERSON_ROLES else ""


def counter_ref(counter: Counter) -> m.CounterRef:
    """{"number", "name"} of a counter."""
    return m.CounterRef(number=counter.number, name=counter.name)


def counter_state(counter: Counter, state: CounterState, opened_today: bool) -> m.CounterStateRef:
    """{"number", "name", "state", "state_text", "opened_today"} of a counter."""
    label = MESSAGES[CounterDay(state, opened_today).label_code].vi
    return m.CounterStateRef(
        number=counter.number, name=counter.name, state=state, state_text=label,
        opened_today=opened_today,
    )  # fmt: skip


def counter_now(
    counter: Counter, state: CounterState, opened_today: bool, ticket: Ticket | None,
    site: Site, base_url: str,
) -> m.CounterNow:  # fmt: skip
    """A counter, its state and the ticket it holds."""
    return m.CounterNow(
        **counter_state(counter, state, opened_today).model_dump(),
        ticket=ticket_out(ticket, site, base_url) if ticket else None,
    )


def service_info(
    service: Service, site: Site, now: datetime, remaining: int | None = None
) -> m.ServiceInfo:
    """A service as /services lists it (`remaining`: numbers left today under its cap)."""
    fmt = service.number_format
    return m.ServiceInfo(
        code=service.code,
        name=service.name,
        name_en=service.name_en,
        prefix=fmt.prefix,
        first_number=fmt.number_for(1),
        last_number=fmt.number_for(fmt.capacity),
        open=service.hours.is_open(site.local(now)),
        hours=service.hours.describe(),
        daily_cap=service.daily_cap,
        remaining=remaining,
        icon=service.icon,
        procedures=[
            m.Procedure(name=p.name, documents=list(p.documents)) for p in service.procedures
        ],
        counters=list(site.serving_counters(service.code)),
        waiting_area=site.waiting_area_for(service.code),
    )


def announcement(spoken: Spoken, base_url: str) -> m.Announcement:
    """What the loudspeaker says for a call: the sentence as spoken and its audio."""
    return m.Announcement(
        text=spoken.text,
        text_en=spoken.text_en,
        audio_url=f"{base_url.rstrip('/')}/audio/calls/{spoken.audio_name}"
        if spoken.audio_name
        else None,
    )


def snapshot_out(
    snap: Snapshot,
    epoch: str,
    seq: int,
    server_time: str,
    announcing: list[m.AnnouncingCall],
) -> m.Snapshot:
    """SNAPSHOT as the contract names it: open to anyone, so tickets in the public shape."""
    site = snap.site
    return m.Snapshot(
        epoch=epoch,
        seq=seq,
        site=m.SiteRef(code=site.code, name=site.name, notice=site.notice),
        time=iso(snap.taken_at, site),
        counters=[
            m.SnapshotCounter(
                **dict(counter_state(v.counter, v.state, v.opened_today)),
                ticket=public_ticket(v.ticket, site) if v.ticket else None,
                services=list(v.counter.services),
            )
            for v in snap.counters
        ],
        waiting=snap.waiting,
        services=[m.ServiceRef(code=s.code, name=s.name, name_en=s.name_en) for s in site.services],
        recent=[public_ticket(t, site) for t in snap.recent],
        server_time=server_time,
        announcing=announcing,
    )
