"""JSON shapes of the public contract: TICKET, SNAPSHOT and event payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..desk import Snapshot, TicketView
from ..domain.model import COUNTER_STATE_VI, STATUS_VI, Counter, CounterState, Service, Site, Ticket
from ..voice import Spoken


def iso(moment: datetime | None, site: Site) -> str | None:
    """ISO 8601 in the site's local time, with its offset."""
    return site.local(moment).isoformat(timespec="seconds") if moment else None


def ticket_json(
    ticket: Ticket, site: Site, base_url: str, ahead: int | None = None
) -> dict[str, Any]:
    """TICKET as the contract names it, plus Vietnamese labels for screens."""
    service = site.services_by_code.get(ticket.service)
    counter = site.counters_by_number.get(ticket.counter) if ticket.counter else None
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service": ticket.service,
        "service_name": service.name if service else ticket.service,
        "status": ticket.status.value,
        "status_text": STATUS_VI[ticket.status],
        "priority": ticket.priority,
        "ahead": ahead,
        "issued_at": iso(ticket.issued_at, site),
        "called_at": iso(ticket.called_at, site),
        "counter": ticket.counter,
        "counter_name": counter.name if counter else None,
        "status_url": f"{base_url.rstrip('/')}/t/{ticket.id}",
        "site": ticket.site,
        "transferred_from": ticket.issued_service
        if ticket.issued_service != ticket.service
        else None,
    }


def view_json(view: TicketView, site: Site, base_url: str) -> dict[str, Any]:
    """TICKET from a desk view."""
    return ticket_json(view.ticket, site, base_url, view.ahead)


def counter_ref(counter: Counter, state: CounterState | None = None) -> dict[str, Any]:
    """{"number", "name"} (+ state) of a counter."""
    body: dict[str, Any] = {"number": counter.number, "name": counter.name}
    if state is not None:
        body["state"] = state.value
        body["state_text"] = COUNTER_STATE_VI[state]
    return body


def service_json(
    service: Service, site: Site, now: datetime, remaining: int | None = None
) -> dict[str, Any]:
    """A service as /services lists it (`remaining`: numbers left today under its cap)."""
    fmt = service.number_format
    return {
        "code": service.code,
        "name": service.name,
        "name_en": service.name_en,
        "prefix": fmt.prefix,
        "first_number": fmt.number_for(1),
        "last_number": fmt.number_for(fmt.capacity),
        "open": service.hours.is_open(site.local(now)),
        "hours": service.hours.describe(),
        "daily_cap": service.daily_cap,
        "remaining": remaining,
        "icon": service.icon,
        "procedures": [
            {"name": p.name, "documents": list(p.documents)} for p in service.procedures
        ],
    }


def print_json(result: Any) -> dict[str, Any]:
    """A PrintResult as the kiosk sees it."""
    return {
        "ok": result.ok,
        "error_code": result.error_code,
        "message": result.message_vi,
        "message_en": result.message_en,
        "job_id": result.job_id,
        "paper_low": result.paper_low,
    }


def announcement(spoken: Spoken, base_url: str) -> dict[str, Any]:
    """What the loudspeaker says for a call: the sentence as spoken and its audio."""
    return {
        "text": spoken.text,
        "text_en": spoken.text_en,
        "audio_url": f"{base_url.rstrip('/')}/audio/calls/{spoken.audio_name}"
        if spoken.audio_name
        else None,
    }


def snapshot_json(snap: Snapshot, epoch: str, seq: int, base_url: str) -> dict[str, Any]:
    """SNAPSHOT as the contract names it."""
    site = snap.site
    return {
        "epoch": epoch,
        "seq": seq,
        "site": {"code": site.code, "name": site.name, "notice": site.notice},
        "time": iso(snap.taken_at, site),
        "counters": [
            {
                **counter_ref(v.counter, v.state),
                "services": list(v.counter.services),
                "ticket": ticket_json(v.ticket, site, base_url) if v.ticket else None,
            }
            for v in snap.counters
        ],
        "waiting": snap.waiting,
        "services": [{"code": s.code, "name": s.name, "name_en": s.name_en} for s in site.services],
        "recent": [ticket_json(t, site, base_url) for t in snap.recent],
    }
