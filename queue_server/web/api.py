"""HTTP API v1 (docs/contract.md): each route declared once, then parse, call the desk, render.

The decorator (`web.routes.Api`) names the route's models, roles and error codes; request
validation and the OpenAPI document both come from that declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from flask import current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from ..contract import models as m
from ..desk import QueueDesk, TicketView
from ..domain.counters import Clerk
from ..domain.errors import DomainError, NotFound
from ..domain.model import CounterState, Site
from ..domain.timing import timing
from .auditing import audited, request_entry
from .routes import Api, View, check_site, principal, sent_credentials, target_ticket
from .serialize import counter_now, public_actor, public_view, service_info, view_out

api = Api("api", __name__, url_prefix="/api/v1")
bp = api.blueprint

COUNTER_ROLES = ("clerk", "agent", "admin")
"""Who serves citizens at a counter: its clerk (a person or the counter's code), its agent's
keypad, an admin. Not a supervisor: calling and serving are a clerk's."""
CORRECTORS = ("clerk", "supervisor", "admin")
"""Who corrects the queue: a ticket's cancel and return (a supervisor: at their site)."""
COUNTER_STATE_ROLES = (*COUNTER_ROLES, "supervisor")
"""Who opens, pauses, resumes and closes a counter (a supervisor closes one left open)."""
STAFF = ("clerk", "agent", "supervisor", "admin")
COUNTER_ERRORS = ("unknown_site", "unknown_counter")
# What moving a counter's ticket can run into (desk.py): the counter's state and the ticket's.
MOVE_ERRORS = (
    *COUNTER_ERRORS, "no_current_ticket", "counter_paused",
    "illegal_transition", "ticket_taken", "busy",
)  # fmt: skip


def desk() -> QueueDesk:
    """The app's queue desk."""
    return current_app.extensions["motcua"].desk  # type: ignore[no-any-return]


def base_url() -> str:
    """Where status pages live: public_url, this request's root when its Host is trusted,
    else "" (relative links; slips then use the listening address)."""
    server = current_app.extensions["motcua"].config.server
    return server.status_base(request.host, request.url_root)  # type: ignore[no-any-return]


def site(query: m.SiteQuery | None = None) -> Site:
    """The site a request acts on: ?site=, else the token's, else the default (403 for a
    site outside the token's scope; see web.routes)."""
    code = query.site if query is not None else None
    if code is None and "principal" in g and not g.principal.all_sites:
        code = g.principal.site
    chosen = desk().site(code)
    if "principal" in g:
        check_site(g.principal, chosen.code)
    return chosen


def clerk_at(number: int) -> Clerk | None:
    """The signed-in staff member acting at counter `number` (their session's counter), whom
    the counter is then open with; None for a device's or system's token."""
    who = principal()
    if who.person and who.counter == number:
        return Clerk(who.username, who.name or who.username)
    return None


def ticket_answer(view: TicketView | None) -> m.TicketAnswer:
    """{"ticket": TICKET or null}."""
    if view is None:
        return m.TicketAnswer(ticket=None)
    return m.TicketAnswer(ticket=view_out(view, desk().site(view.ticket.site), base_url()))


@api.get("/health", response=m.Health)
def health() -> m.Health:
    """Liveness."""
    return m.Health(status="ok")


@api.get("/openapi.json", response=None)
def openapi() -> ResponseReturnValue:
    """This document (OpenAPI 3.1, generated from the route declarations)."""
    from .openapi import openapi_document

    return jsonify(openapi_document(current_app))


@api.get("/services", response=m.Services, query=m.SiteQuery, errors=("unknown_site",))
def services(query: m.SiteQuery) -> m.Services:
    """The site's services (procedure fields) and whether each takes tickets now."""
    s = site(query)
    now = desk().clock.now()
    left = desk().remaining_today(s)
    return m.Services(
        site=s.code, services=[service_info(x, s, now, left[x.code]) for x in s.services]
    )


@api.get("/queue", response=m.Snapshot, query=m.SiteQuery, errors=("unknown_site",))
def queue(query: m.SiteQuery) -> ResponseReturnValue:
    """SNAPSHOT of the lobby."""
    broadcaster = current_app.extensions["motcua"].broadcaster
    return jsonify(broadcaster.snapshot(site(query).code))


@api.post(
    "/tickets",
    response=m.Issued,
    status=201,
    roles=("kiosk", "admin"),
    query=m.SiteQuery,
    body=m.IssueRequest,
    errors=(
        "unknown_site", "unknown_service", "unknown_procedure", "closed_hours",
        "daily_cap_reached", "numbers_exhausted", "already_has_ticket", "citizen_id_required",
        "invalid_citizen_id", "rate_limited", "busy",
    ),
)  # fmt: skip
def issue(body: m.IssueRequest, query: m.SiteQuery) -> m.Issued:
    """Issue a ticket

    Committed before the answer and before it is printed. With `print`, the slip goes to
    the site's kiosk printer and `print` in the answer says how it went (a fault never loses
    the ticket). `procedure` adds that procedure's documents to the slip as a checklist.
    """
    s = site(query)
    who = principal()
    ext = current_app.extensions["motcua"]
    if who.role == "kiosk" and not ext.limiter.allow(who.token_id):
        raise DomainError("rate_limited")
    if body.procedure is not None:
        ext.printing.check_procedure(s, body.service, body.procedure)
    view = desk().issue(
        body.service,
        priority=body.priority,
        site_code=s.code,
        actor=who.actor,
        citizen_id=body.citizen_id,
    )
    printed = None
    if body.print_:
        printed = ext.printing.print_ticket(view, s, base_url(), body.procedure)
    return m.Issued(
        ticket=view_out(view, s, base_url()),
        estimate_minutes=desk().estimate(view),
        print=printed,
    )


@api.post(
    "/tickets/<ticket_id>/print",
    response=m.Issued,
    roles=("kiosk", "admin"),
    path=m.TicketPath,
    body=m.PrintRequest,
    errors=("unknown_ticket", "unknown_procedure"),
)
def print_ticket(path: m.TicketPath, body: m.PrintRequest) -> m.Issued:
    """Print a ticket's slip again (after a printer fault)"""
    view = desk().get(path.ticket_id)  # of a site the caller may act at (routes.authorise)
    s = desk().site(view.ticket.site)
    printed = current_app.extensions["motcua"].printing.print_ticket(
        view, s, base_url(), body.procedure
    )
    return m.Issued(ticket=view_out(view, s, base_url()), estimate_minutes=None, print=printed)


@api.get("/printers", response=m.Printers, roles=STAFF)
def printers() -> m.Printers:
    """Kiosk printers: last result, fault, jobs, failures (for staff of their site)"""
    who = principal()
    states = [
        st for st in current_app.extensions["motcua"].printing.states.values()
        if who.at_site(st.site)
    ]  # fmt: skip
    return m.Printers(
        printers=[
            m.PrinterState(
                site=st.site,
                printer=st.url,
                ok=st.ok,
                error_code=st.error_code,
                message=st.message,
                message_en=st.message_en,
                at=st.at.isoformat() if st.at else None,
                jobs=st.jobs,
                failures=st.failures,
            )
            for st in states
        ]
    )


@api.get(
    "/tickets/<ticket_id>",
    response=m.TicketStatusAnswer,
    path=m.TicketPath,
    errors=("unknown_ticket",),
)
def get_ticket(path: m.TicketPath) -> m.TicketStatusAnswer:
    """A ticket (anyone holding its id), with its estimated wait and its rating"""
    view = desk().get(path.ticket_id)
    s = desk().site(view.ticket.site)
    rating = desk().ticket_rating(view.ticket)
    return m.TicketStatusAnswer(
        ticket=view_out(view, s, base_url()),
        estimate_minutes=desk().estimate(view),
        print=None,
        rating=m.RatingOffer(offered=rating.offered, score=rating.score, scale=rating.scale),
    )


@api.post(
    "/tickets/<ticket_id>/rating",
    response=m.Rated,
    path=m.TicketPath,
    body=m.TicketRatingRequest,
    errors=(
        "unknown_ticket", "invalid_rating", "rating_off", "rating_not_served", "rating_closed",
        "already_rated",
    ),
)  # fmt: skip
def rate_ticket(path: m.TicketPath, body: m.TicketRatingRequest) -> m.Rated:
    """The citizen's rating from the ticket's status page

    Anyone holding the ticket's id (the status page's secret), once the ticket was served and
    within 24 hours, when the site has `status_rating` on. Once per ticket, whatever the
    channel (a counter's rating pad too): the same score again answers as the first time
    (a repeated tap), another score is 409 `already_rated`. 3 levels: 3 Rất hài lòng,
    2 Hài lòng, 1 Không hài lòng.
    """
    view = desk().rate_ticket(path.ticket_id, body.score, actor="citizen")
    s = desk().site(view.ticket.site)
    recorded = desk().ticket_rating(view.ticket)
    return m.Rated(
        ticket=view_out(view, s, base_url()),
        rating=m.Rating(score=recorded.score or body.score, scale=recorded.scale or 3),
    )


@api.get(
    "/tickets/<ticket_id>/events",
    response=m.TicketLog,
    path=m.TicketPath,
    errors=("unknown_ticket",),
)
def ticket_log(path: m.TicketPath) -> m.TicketLog:
    """A ticket's log with waiting and handling times derived from it"""
    events = desk().history(path.ticket_id)
    s = desk().site(desk().get(path.ticket_id).ticket.site)
    t = timing(events)
    overseer = overseer_of(s)
    return m.TicketLog(
        events=[
            m.LogEntry(
                kind=e.kind,
                at=e.at.astimezone(s.tz).isoformat(timespec="milliseconds"),
                counter=e.counter,
                actor=public_actor(e.actor, e.counter, s),  # never the token or the name
                staff=e.actor if overseer and "@" in e.actor else None,
                service=e.service,
                detail=e.detail,
            )
            for e in events
        ],
        wait_seconds=t.wait_seconds,
        service_seconds=t.service_seconds,
        calls=t.calls,
    )


@api.post(
    "/tickets/<ticket_id>/return",
    response=m.TicketAnswer,
    roles=CORRECTORS,
    path=m.TicketPath,
    body=m.Empty,
    errors=("unknown_ticket", "illegal_transition"),
)
def return_ticket(path: m.TicketPath) -> m.TicketAnswer:
    """Put a no-show ticket back in its queue"""
    view = desk().return_ticket(
        path.ticket_id, actor=principal().actor, audit=request_entry("ticket.return")
    )
    return ticket_answer(view)


@api.post(
    "/tickets/<ticket_id>/cancel",
    response=m.TicketAnswer,
    roles=CORRECTORS,
    path=m.TicketPath,
    body=m.Empty,
    errors=("unknown_ticket", "illegal_transition"),
)
def cancel_ticket(path: m.TicketPath) -> m.TicketAnswer:
    """Cancel a waiting, called or no-show ticket"""
    view = desk().cancel(
        path.ticket_id, actor=principal().actor, audit=request_entry("ticket.cancel")
    )
    return ticket_answer(view)


BY_NUMBER_ERRORS = (
    "unknown_site",
    "unknown_ticket",
    "ambiguous_ticket_ref",
    "illegal_transition",
    "ticket_taken",
)


def by_number_action(action: str) -> Callable[[View], View]:
    """A POST on today's ticket with a printed number, by a clerk of a counter serving its
    field (or holding it) or an admin of its site (scope: routes.authorise)."""
    return api.post(
        f"/tickets/by-number/<ticket_number>/{action}",
        response=m.TicketAnswer,
        roles=CORRECTORS,
        path=m.TicketNumberPath,
        query=m.SiteQuery,
        body=m.Empty,
        errors=BY_NUMBER_ERRORS,
    )


@by_number_action("return")
def return_by_number() -> m.TicketAnswer:
    """Put today's no-show with this printed number back in its queue

    The citizen came back (Gọi lại số vắng). With the site's `return_keeps_place` it keeps
    its place. Digits alone (`2`) name the number among the clerk's fields; when two of them
    have it the answer is 409 `ambiguous_ticket_ref` naming both.
    """
    view = desk().return_ticket(
        target_ticket().id, actor=principal().actor, audit=request_entry("ticket.return")
    )
    return ticket_answer(view)


@by_number_action("cancel")
def cancel_by_number() -> m.TicketAnswer:
    """Cancel today's waiting, called or no-show ticket with this printed number (Hủy số)"""
    view = desk().cancel(
        target_ticket().id, actor=principal().actor, audit=request_entry("ticket.cancel")
    )
    return ticket_answer(view)


def counter_action(
    rule: str,
    body: type[m.Body] = m.Empty,
    *,
    response: type[BaseModel] = m.TicketAnswer,
    errors: tuple[str, ...] = MOVE_ERRORS,
    roles: tuple[str, ...] = COUNTER_ROLES,
) -> Callable[[View], View]:
    """A POST on one counter by its clerk, an agent or an admin (`roles`)."""
    return api.post(
        f"/counters/<int:number>/{rule}",
        response=response,
        roles=roles,
        path=m.CounterPath,
        query=m.SiteQuery,
        body=body,
        errors=errors,
    )


@counter_action(
    "call-next",
    m.CallNextRequest,
    errors=(*COUNTER_ERRORS, "counter_paused", "ticket_taken", "busy"),
)
def call_next(path: m.CounterPath, query: m.SiteQuery, body: m.CallNextRequest) -> m.TicketAnswer:
    """Finish the current ticket, then call the next waiting one (ticket null if none)

    The current ticket is completed; one called but never started (no `start`) is recorded
    as a no-show when `unstarted` is `no_show`, or, without `unstarted`, when the site's
    `call_next_unstarted` is `no_show`.
    """
    s = site(query)
    view = desk().call_next(
        path.number, site_code=s.code, actor=principal().actor, unstarted=body.unstarted,
        clerk=clerk_at(path.number),
        audit=audited("ticket.call_next", f"counter {path.number}", s.code),
    )  # fmt: skip
    return ticket_answer(view)


@counter_action(
    "call",
    m.CallRequest,
    errors=(*MOVE_ERRORS, "unknown_ticket", "wrong_counter", "ambiguous_ticket_ref"),
)
def call_specific(path: m.CounterPath, query: m.SiteQuery, body: m.CallRequest) -> m.TicketAnswer:
    """Call a specific ticket of today by printed number (as typed) or id

    `A004`, `a4`, `004` and `4` all name A004 at a counter serving its field; digits alone
    that two of the counter's fields have today get 409 `ambiguous_ticket_ref`. A no-show
    of today comes back (Gọi lại số vắng): logged as returned, then called.
    """
    s = site(query)
    ref = body.ticket.strip()
    if len(ref) >= 16:  # an id: another site's ticket is refused as such, not as unknown
        with suppress(NotFound):  # unknown: the desk says so
            check_site(principal(), desk().get(ref).ticket.site)
    view = desk().call_ticket(
        path.number, body.ticket, site_code=s.code, actor=principal().actor,
        clerk=clerk_at(path.number),
        audit=request_entry("ticket.call", site=s.code),
    )  # fmt: skip
    return ticket_answer(view)


@counter_action("recall")
def recall(path: m.CounterPath, query: m.SiteQuery) -> m.TicketAnswer:
    """Announce the current ticket again"""
    s = site(query)
    view = desk().recall(
        path.number, site_code=s.code, actor=principal().actor, clerk=clerk_at(path.number),
        audit=audited("ticket.recall", site=s.code),
    )  # fmt: skip
    return ticket_answer(view)


@counter_action("start")
def start(path: m.CounterPath, query: m.SiteQuery) -> m.TicketAnswer:
    """The called citizen arrived: start serving"""
    s = site(query)
    view = desk().start(
        path.number, site_code=s.code, actor=principal().actor, clerk=clerk_at(path.number),
        audit=audited("ticket.start", site=s.code),
    )  # fmt: skip
    return ticket_answer(view)


@counter_action("complete")
def complete(path: m.CounterPath, query: m.SiteQuery) -> m.TicketAnswer:
    """Complete the current ticket"""
    s = site(query)
    view = desk().complete(
        path.number, site_code=s.code, actor=principal().actor, clerk=clerk_at(path.number),
        audit=audited("ticket.complete", site=s.code),
    )  # fmt: skip
    return ticket_answer(view)


@counter_action("no-show", m.NoShowRequest)
def no_show(path: m.CounterPath, query: m.SiteQuery, body: m.NoShowRequest) -> m.TicketAnswer:
    """The called citizen did not come (Không có mặt)"""
    s = site(query)
    view = desk().no_show(
        path.number, site_code=s.code, actor=principal().actor, requeue=body.requeue,
        clerk=clerk_at(path.number),
        audit=audited("ticket.no_show", site=s.code),
    )  # fmt: skip
    return ticket_answer(view)


@counter_action(
    "transfer", m.TransferRequest, errors=(*MOVE_ERRORS, "unknown_service", "same_service")
)
def transfer(path: m.CounterPath, query: m.SiteQuery, body: m.TransferRequest) -> m.TicketAnswer:
    """Move the current ticket to another service's queue"""
    s = site(query)
    view = desk().transfer(
        path.number, body.service, site_code=s.code, actor=principal().actor,
        clerk=clerk_at(path.number),
        audit=request_entry("ticket.transfer", site=s.code),
    )  # fmt: skip
    return ticket_answer(view)


@counter_action(
    "rating",
    m.RatingRequest,
    response=m.Rated,
    errors=(*COUNTER_ERRORS, "invalid_rating", "nothing_to_rate"),
)
def rating(path: m.CounterPath, query: m.SiteQuery, body: m.RatingRequest) -> m.Rated:
    """The citizen's satisfaction score

    For the ticket being served, or the one completed in the last 10 minutes (3 levels:
    Rất hài lòng / Hài lòng / Không hài lòng).
    """
    s = site(query)
    view = desk().rate(
        path.number, body.score, body.scale, site_code=s.code, actor=principal().actor
    )
    return m.Rated(
        ticket=view_out(view, desk().site(view.ticket.site), base_url()),
        rating=m.Rating(score=body.score, scale=body.scale),
    )


def _state(number: int, state: CounterState, query: m.SiteQuery) -> m.CounterAnswer:
    s = site(query)
    audit = audited(f"counter.{AUDIT_STATE[state]}", f"counter {number}", s.code)
    view = desk().set_counter_state(
        number,
        state,
        site_code=s.code,
        actor=principal().actor,
        clerk=clerk_at(number),
        audit=audit,
    )
    return m.CounterAnswer(counter=counter_now(view, s, base_url()))


AUDIT_STATE = {
    CounterState.OPEN: "open",
    CounterState.PAUSED: "pause",
    CounterState.CLOSED: "close",
}
"""The audit action of each state a counter is put in (counter.open, counter.pause, ...)."""


@counter_action("open", response=m.CounterAnswer, errors=COUNTER_ERRORS, roles=COUNTER_STATE_ROLES)
def open_counter(path: m.CounterPath, query: m.SiteQuery) -> m.CounterAnswer:
    """Open the counter for the day (Mở quầy)

    Counters start each day closed («Chưa mở»). The counter's first call opens it too, so a
    keypad's NEXT is enough. Opening a paused counter resumes it.
    """
    return _state(path.number, CounterState.OPEN, query)


@counter_action("pause", response=m.CounterAnswer, errors=COUNTER_ERRORS, roles=COUNTER_STATE_ROLES)
def pause(path: m.CounterPath, query: m.SiteQuery) -> m.CounterAnswer:
    """Pause the counter (Tạm dừng)"""
    return _state(path.number, CounterState.PAUSED, query)


@counter_action(
    "resume", response=m.CounterAnswer, errors=COUNTER_ERRORS, roles=COUNTER_STATE_ROLES
)
def resume(path: m.CounterPath, query: m.SiteQuery) -> m.CounterAnswer:
    """Open the counter again (Tiếp tục)"""
    return _state(path.number, CounterState.OPEN, query)


@counter_action(
    "close",
    response=m.CounterAnswer,
    errors=(*COUNTER_ERRORS, "counter_has_ticket"),
    roles=COUNTER_STATE_ROLES,
)
def close(path: m.CounterPath, query: m.SiteQuery) -> m.CounterAnswer:
    """Close the counter for the day (Đóng quầy)

    Refused (`409 counter_has_ticket`) while it holds a called or served ticket: complete
    it, mark it not present or transfer it first. Screens show «Đã đóng quầy».
    """
    return _state(path.number, CounterState.CLOSED, query)


@api.get(
    "/counters/<int:number>/waiting",
    response=m.Waiting,
    path=m.CounterPath,
    query=m.SiteQuery,
    errors=COUNTER_ERRORS,
)
def waiting(path: m.CounterPath, query: m.SiteQuery) -> m.Waiting:
    """Tickets waiting for this counter's services, in calling order

    Open to anyone in the public ticket shape (no `id`, no `status_url`); the counter's
    clerk and the site's admins get full tickets with a token.
    """
    s = site(query)
    views = desk().waiting_for(s.code, path.number)
    if staff_of(s, path.number):
        return m.Waiting(tickets=[view_out(v, s, base_url()) for v in views])
    return m.Waiting(tickets=[public_view(v, s) for v in views])


def overseer_of(s: Site) -> bool:
    """The caller is a supervisor or an admin of the site (a token or a session); on a
    route open to anyone, a missing or refused credential reads as anyone."""
    if not sent_credentials():
        return False
    try:
        who = principal()
    except DomainError:
        return False
    return who.role in ("supervisor", "admin") and who.at_site(s.code)


def staff_of(s: Site, number: int) -> bool:
    """The caller's token, if any, is the counter's clerk's or an admin's of the site.

    On a route open to anyone a missing, unknown or revoked token (or an ended session)
    reads as anyone, not 401.
    """
    if not sent_credentials():
        return False
    try:
        who = principal()
    except DomainError:
        return False
    return (
        who.role in ("clerk", "supervisor", "admin")
        and who.at_site(s.code)
        and who.at_counter(number)
    )


@api.post("/agent/health", response=m.Stored, roles=("agent",), body=m.AgentHealthRequest)
def agent_health(body: m.AgentHealthRequest) -> m.Stored:
    """A device agent reports its devices' health"""
    who = principal()
    devices = [d.model_dump(exclude_unset=True) for d in body.devices]
    current_app.extensions["motcua"].agents.report(
        who.token_id, body.name if body.name is not None else who.name, who.site, devices
    )
    return m.Stored(ok=True)


@api.get("/devices", response=m.Devices, roles=STAFF)
def devices() -> m.Devices:
    """Every agent's devices and the age of its last report (for staff of their site)"""
    now = desk().clock.now()
    who = principal()
    reports = [r for r in current_app.extensions["motcua"].agents.all() if who.at_site(r.site)]
    return m.Devices(
        agents=[
            m.AgentOut(
                name=r.name,
                site=r.site,
                reported_at=r.at.isoformat(),
                age_seconds=round((now - r.at).total_seconds(), 1),
                devices=[m.DeviceReport.model_validate(d) for d in r.devices],
            )
            for r in reports
        ]
    )


@api.get(
    "/counters/<int:number>/stats",
    response=m.CounterStats,
    roles=COUNTER_STATE_ROLES,
    path=m.CounterPath,
    query=m.SiteQuery,
    errors=COUNTER_ERRORS,
)
def counter_stats(path: m.CounterPath, query: m.SiteQuery) -> m.CounterStats:
    """Today's figures for the counter: served, no_show, avg_service_seconds"""
    return m.CounterStats.model_validate(desk().counter_stats(site(query).code, path.number))
