"""The queue desk: issues, routes and moves tickets in committed transactions.

Every method opens its own transaction, commits it, and only then publishes
events, so nothing is shown, printed or announced before it is durable.
Imports no Flask.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from . import events as ev
from .audit import AuditEntry
from .config import Config
from .domain import issuing, lifecycle, routing, ticket_ref
from .domain.clock import Clock
from .domain.counters import NOT_OPENED, Clerk, CounterDay, CounterLogEntry, change
from .domain.errors import Conflict, Invalid, NotFound
from .domain.estimate import estimate_minutes
from .domain.lifecycle import Action
from .domain.model import (
    CallingPolicy,
    Counter,
    CounterChange,
    CounterState,
    EventKind,
    Service,
    Site,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from .events import DeskEvent, EventBus
from .storage import repository as repo
from .storage.database import Database

MAX_CAS_RETRIES = 20
ID_LENGTH = 16
"""Length of a ticket id (secrets.token_urlsafe(12)); printed numbers are far shorter."""
CALLABLE = frozenset({TicketStatus.WAITING, TicketStatus.NO_SHOW})
"""What calling a specific number accepts: a waiting ticket, or a no-show who came back."""
Unstarted = Literal["no_show", "complete"]
RATING_WINDOW = timedelta(minutes=10)
STATUS_RATING_WINDOW = timedelta(hours=24)
"""How long after the visit the status page still takes a rating."""
STATUS_RATING_SCALE = 3
"""The status page's levels: 3 Rất hài lòng, 2 Hài lòng, 1 Không hài lòng."""


@dataclass(frozen=True)
class TicketView:
    """A ticket with what a reader needs to know about it right now."""

    ticket: Ticket
    ahead: int | None = None


@dataclass(frozen=True)
class TicketRating:
    """A ticket's satisfaction rating as its status page sees it."""

    offered: bool
    """The page may ask now: ratings on for the site, served, within the window, not rated."""
    score: int | None
    scale: int | None


@dataclass(frozen=True)
class CounterView:
    """A counter, its state and the ticket it serves."""

    counter: Counter
    state: CounterState
    ticket: Ticket | None
    opened_today: bool = False
    """Closed and not opened today: "Chưa mở"; closed after being open: "Đã đóng quầy"."""
    clerk: Clerk | None = None
    """The staff member it is open with (None: closed, or opened with a device's code)."""


@dataclass(frozen=True)
class Snapshot:
    """The state of a site's lobby at one moment (epoch/seq are added by the broadcaster)."""

    site: Site
    counters: list[CounterView]
    waiting: dict[str, int]
    recent: list[Ticket]
    taken_at: datetime


@dataclass
class _Outcome:
    """What a transaction produced: the result and the events to publish after commit."""

    events: list[DeskEvent] = field(default_factory=list)
    later: list[DeskEvent] = field(default_factory=list)
    """Published after `events`: a call reaches the screens before the completion it implies."""
    before: object = None
    """What an audited action found (its audit row's `before`)."""


def ticket_state(ticket: Ticket | None) -> dict[str, object] | None:
    """A ticket as the audit log records it before and after a change."""
    if ticket is None:
        return None
    return {
        "number": ticket.number, "service": ticket.service, "status": ticket.status.value,
        "counter": ticket.counter,
    }  # fmt: skip


class QueueDesk:
    """Application service over the domain and the database."""

    def __init__(self, config: Config, db: Database, clock: Clock, bus: EventBus | None = None):
        self.config = config
        self.db = db
        self.clock = clock
        self.bus = bus or EventBus()
        self._secret: str | None = None
        self._days_closed: dict[str, date] = {}  # the local day close_stale_counters last saw

    # -- setup -----------------------------------------------------------------

    def prepare(self) -> None:
        """Create counter state rows for every configured counter (closed, never opened)."""
        with self.db.write() as conn:
            for site in self.config.sites:
                repo.ensure_counters(conn, site.code, [c.number for c in site.counters])
        # Reads already take yesterday's states as closed; screens connecting now get that
        # in their snapshot, so close_stale_counters has work only once the day changes.
        now = self.clock.now()
        self._days_closed = {site.code: site.local_day(now) for site in self.config.sites}

    # -- lookups ---------------------------------------------------------------

    def site(self, code: str | None = None) -> Site:
        """A site by code, the default one for None."""
        site = self.config.site(code)
        if site is None:
            raise NotFound("unknown_site", site=code)
        return site

    def service(self, site: Site, code: str) -> Service:
        """A site's service by code, or NotFound."""
        service = site.services_by_code.get(code)
        if service is None:
            raise NotFound("unknown_service", code=code)
        return service

    def counter(self, site: Site, number: int) -> Counter:
        """A site's counter by number, or NotFound."""
        counter = site.counters_by_number.get(number)
        if counter is None:
            raise NotFound("unknown_counter", counter=number)
        return counter

    def is_open(self, site: Site, code: str) -> bool:
        """Whether a service takes tickets right now."""
        return self.service(site, code).hours.is_open(site.local(self.clock.now()))

    def get(self, ticket_id: str) -> TicketView:
        """A ticket by its id, with people ahead when it waits."""
        with self.db.read() as conn:
            ticket = repo.get_ticket(conn, ticket_id)
            if ticket is None:
                raise NotFound("unknown_ticket")
            return self._view(conn, ticket)

    def history(self, ticket_id: str) -> list[TicketEvent]:
        """A ticket's log, oldest first."""
        with self.db.read() as conn:
            if repo.get_ticket(conn, ticket_id) is None:
                raise NotFound("unknown_ticket")
            return repo.ticket_events_of(conn, ticket_id)

    def waiting_for(self, site_code: str | None, number: int) -> list[TicketView]:
        """Tickets waiting today for a counter's services, in the order it would call them."""
        site = self.site(site_code)
        day = site.local_day(self.clock.now())
        with self.db.read() as conn:
            counter = self._today(conn, site, self.counter(site, number), day)
            waiting = repo.waiting_tickets(conn, site.code, day, counter.services)
        waiting.sort(key=lambda t: (not t.priority, *routing.fifo_key(counter, t)))
        return [TicketView(t, i) for i, t in enumerate(waiting)]

    def counter_stats(self, site_code: str | None, number: int) -> dict[str, float | int | None]:
        """Today's figures for one counter: served, no-shows, average handling time (start
        to done, over the tickets that were started)."""
        site = self.site(site_code)
        counter = self.counter(site, number)
        now = self.clock.now()
        with self.db.read() as conn:
            rows = repo.counter_day_events(
                conn, site.code, counter.number, self._day_start(site, now)
            )
        served = [r for r in rows if r[0] == EventKind.COMPLETED.value]
        durations = [(at - started).total_seconds() for _, at, started in served if started]
        return {
            "served": len(served),
            "no_show": sum(1 for r in rows if r[0] == EventKind.NO_SHOW.value),
            "avg_service_seconds": sum(durations) / len(durations) if durations else None,
        }

    def estimate(self, view: TicketView) -> int | None:
        """Minutes a waiting ticket will probably wait (None when not waiting or unserved)."""
        ticket = view.ticket
        if ticket.status is not TicketStatus.WAITING or view.ahead is None:
            return None
        site = self.site(ticket.site)
        now = self.clock.now()
        with self.db.read() as conn:
            durations = repo.service_handling_seconds(
                conn, site.code, ticket.service, self._day_start(site, now)
            )
            states = repo.counter_states(conn, site.code, self._day_start(site, now))
        # Only counters open now: paused, closed or not yet opened ones serve nobody.
        serving = [
            c for c in site.counters
            if ticket.service in c.services and c.number in states
            and states[c.number].state is CounterState.OPEN
        ]  # fmt: skip
        avg = sum(durations) / len(durations) if durations else None
        return estimate_minutes(view.ahead, avg, len(serving))

    def remaining_today(self, site: Site) -> dict[str, int | None]:
        """Numbers each capped service can still issue today (None: no cap)."""
        day = site.local_day(self.clock.now())
        with self.db.read() as conn:
            return {
                s.code: (
                    max(0, s.daily_cap - repo.issued_today(conn, site.code, s.code, day))
                    if s.daily_cap is not None
                    else None
                )
                for s in site.services
            }

    def waiting_counts(self, site_code: str | None = None) -> dict[str, int]:
        """How many tickets wait today per service (every service listed)."""
        site = self.site(site_code)
        with self.db.read() as conn:
            counts = repo.waiting_counts(conn, site.code, site.local_day(self.clock.now()))
        return {s.code: counts.get(s.code, 0) for s in site.services}

    def snapshot(self, site_code: str | None = None, recent: int = 10) -> Snapshot:
        """Counters with their tickets, waiting counts, and the latest calls."""
        site = self.site(site_code)
        now = self.clock.now()
        day = site.local_day(now)
        with self.db.read() as conn:
            states = repo.counter_states(conn, site.code, self._day_start(site, now))
            active = repo.active_tickets(conn, site.code)
            waiting = repo.waiting_counts(conn, site.code, day)
            calls = repo.recent_calls(conn, site.code, self._day_start(site, now), recent)
            changed = repo.day_fields(conn, site.code, day)
        views = [
            self._counter_view(
                self._with_fields(site, c, changed.get(c.number)),
                states.get(c.number, NOT_OPENED), active.get(c.number),
            )
            for c in site.counters
        ]  # fmt: skip
        counts = {s.code: waiting.get(s.code, 0) for s in site.services}
        return Snapshot(site, views, counts, calls, now)

    # -- issuing -----------------------------------------------------------------

    def issue(
        self,
        service_code: str,
        *,
        priority: bool = False,
        site_code: str | None = None,
        actor: str = "",
        citizen_id: str | None = None,
    ) -> TicketView:
        """Issue the next number of a service; committed before it is returned.

        When the site limits citizens to one ticket per field per day, `citizen_id`
        (phone or ID number) is required; only its keyed hash is stored.
        """
        site = self.site(site_code)
        service = self.service(site, service_code)
        now = self.clock.now()
        local = site.local(now)
        citizen = self._citizen_hash(site, citizen_id)
        issuing.check_open(service, local)
        day = local.date()
        try:
            return self._insert_ticket(site, service, now, day, priority, actor, citizen)
        except IntegrityError:
            if citizen is None:
                raise
            # the same citizen at two kiosks at once: the unique index let one through
            raise issuing.already_has_ticket(service) from None

    def _insert_ticket(
        self, site: Site, service: Service, now: datetime, day: date, priority: bool,
        actor: str, citizen: str | None,
    ) -> TicketView:  # fmt: skip
        with self.db.write() as conn:
            if citizen and repo.citizen_has_ticket(conn, site.code, service.code, day, citizen):
                raise issuing.already_has_ticket(service)
            seq = repo.next_day_seq(conn, site.code, service.code, day)
            issuing.check_cap(service, seq - 1)  # raises: the rollback returns the number
            number = issuing.number_for(service, seq)
            ticket = Ticket(
                id=secrets.token_urlsafe(12),
                site=site.code,
                service=service.code,
                issued_service=service.code,
                number=number,
                seq=seq,
                day=day,
                priority=priority,
                status=TicketStatus.WAITING,
                issued_at=now,
                sort_at=now,
                updated_at=now,
            )
            repo.insert_ticket(conn, ticket, citizen)
            repo.append_events(
                conn,
                site.code,
                [TicketEvent(ticket.id, EventKind.ISSUED, now, None, actor, service.code)],
            )
            view = self._view(conn, ticket)
        self.bus.publish(DeskEvent(ev.TICKET_ISSUED, site.code, ticket=ticket))
        return view

    def _citizen_hash(self, site: Site, citizen_id: str | None) -> str | None:
        if not site.one_ticket_per_citizen:
            return None
        if not citizen_id:
            raise Invalid("citizen_id_required")
        digits = issuing.normalise_citizen_id(citizen_id)
        if self._secret is None:
            with self.db.write() as conn:
                self._secret = repo.install_secret(conn, "citizen", lambda: secrets.token_hex(32))
        key = f"{self._secret}:{site.code}".encode()
        return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()

    # -- counter actions ---------------------------------------------------------

    def call_next(
        self,
        number: int,
        *,
        site_code: str | None = None,
        actor: str = "",
        unstarted: Unstarted | None = None,
        audit: AuditEntry | None = None,
        clerk: Clerk | None = None,
    ) -> TicketView | None:
        """Finish the counter's current ticket and call the next one its services wait for.

        A current ticket that was called but never started goes by `unstarted` (the
        clerk's answer to "đánh dấu Không có mặt?"), else by the site's
        `call_next_unstarted` (see `_finish_current`). `clerk`: the signed-in staff member
        acting (the counter is then open with them), None for a device's code.
        """
        site = self.site(site_code)
        configured = self.counter(site, number)

        def work(conn: Connection, now: datetime, out: _Outcome) -> Ticket | None:
            day = site.local_day(now)
            self._open_for_call(conn, site, configured, now, actor, out, clerk)  # locks it
            counter = self._today(conn, site, configured, day)  # then reads today's fields
            self._finish_current(conn, site, counter, now, actor, out, unstarted)
            policy = site.priority_policy
            since = self._day_start(site, now)
            for _ in range(MAX_CAS_RETRIES):
                heads = repo.queue_heads(conn, site.code, day, counter.services)
                history = repo.call_history(
                    conn, site.code, counter.number, since, policy.priority + policy.normal + 1
                )
                chosen = routing.choose_next(counter, heads, policy, history)
                if chosen is None:
                    return None
                called = self._move(
                    conn, site, chosen, Action.CALL, now, counter=counter.number, actor=actor
                )
                if called is not None:
                    out.events.append(self._called_event(site, counter, called, recall=False))
                    return called
            raise Conflict("busy")

        return self._run(work, audit)

    def call_ticket(
        self, number: int, ticket_ref: str, *, site_code: str | None = None, actor: str = "",
        audit: AuditEntry | None = None,
        clerk: Clerk | None = None,
    ) -> TicketView:  # fmt: skip
        """Call a specific ticket of today (by id or as typed: "A004", "a4", "4") to a counter.

        A no-show comes back: it is logged as returned to the queue, then called.
        """
        site = self.site(site_code)
        configured = self.counter(site, number)

        def work(conn: Connection, now: datetime, out: _Outcome) -> Ticket:
            self._open_for_call(conn, site, configured, now, actor, out, clerk)  # locks it
            counter = self._today(conn, site, configured, site.local_day(now))
            ticket = self._find(conn, site, ticket_ref, now, counter.services, CALLABLE)
            out.before = ticket_state(ticket)
            if ticket.service not in counter.services:
                raise Conflict("wrong_counter", number=ticket.number, counter=counter.number)
            if ticket.status in lifecycle.ACTIVE and ticket.counter not in (None, counter.number):
                raise Conflict(
                    "ticket_taken_at_counter", number=ticket.number, counter=ticket.counter
                )
            if ticket.status is TicketStatus.NO_SHOW:
                returned = self._move(conn, site, ticket, Action.RETURN, now, actor=actor)
                if returned is None:
                    raise self._taken(ticket)
                out.events.append(self._event_for(Action.RETURN, site, None, returned, ticket))
                ticket = returned
            lifecycle.check(ticket, Action.CALL)
            self._finish_current(conn, site, counter, now, actor, out)
            called = self._move(
                conn, site, ticket, Action.CALL, now, counter=counter.number, actor=actor
            )
            if called is None:
                raise self._taken(ticket)
            out.events.append(self._called_event(site, counter, called, recall=False))
            return called

        return self._require(self._run(work, audit))

    def recall(
        self, number: int, *, site_code: str | None = None, actor: str = "",
        audit: AuditEntry | None = None, clerk: Clerk | None = None,
    ) -> TicketView:  # fmt: skip
        """Announce the counter's current ticket again."""
        return self._act_on_current(
            number, Action.RECALL, site_code, actor, audit=audit, clerk=clerk
        )

    def start(
        self, number: int, *, site_code: str | None = None, actor: str = "",
        audit: AuditEntry | None = None, clerk: Clerk | None = None,
    ) -> TicketView:  # fmt: skip
        """The called citizen has arrived: start serving."""
        return self._act_on_current(
            number, Action.START, site_code, actor, audit=audit, clerk=clerk
        )

    def complete(
        self, number: int, *, site_code: str | None = None, actor: str = "",
        audit: AuditEntry | None = None, clerk: Clerk | None = None,
    ) -> TicketView:  # fmt: skip
        """The counter's current ticket has been served."""
        return self._act_on_current(
            number, Action.COMPLETE, site_code, actor, audit=audit, clerk=clerk
        )

    def no_show(
        self, number: int, *, site_code: str | None = None, actor: str = "", requeue: bool = False,
        audit: AuditEntry | None = None, clerk: Clerk | None = None,
    ) -> TicketView:  # fmt: skip
        """The called citizen did not come ("Không có mặt"); optionally back into the queue."""
        view = self._act_on_current(
            number, Action.NO_SHOW, site_code, actor, audit=audit, clerk=clerk
        )
        if requeue:
            return self.return_ticket(view.ticket.id, actor=actor)
        return view

    def transfer(
        self, number: int, service_code: str, *, site_code: str | None = None, actor: str = "",
        audit: AuditEntry | None = None,
        clerk: Clerk | None = None,
    ) -> TicketView:  # fmt: skip
        """Move the counter's current ticket to another service's queue."""
        site = self.site(site_code)
        target = self.service(site, service_code)
        return self._act_on_current(
            number, Action.TRANSFER, site_code, actor, service=target.code, audit=audit, clerk=clerk
        )

    def by_number(
        self, ref: str, *, site_code: str | None = None, fields: Sequence[str] | None = None,
        action: Action = Action.CALL,
    ) -> Ticket:  # fmt: skip
        """Today's ticket a typed number names, among `fields` first (default: every field),
        preferring one that `action` applies to (NotFound / ambiguous_ticket_ref otherwise)."""
        site = self.site(site_code)
        wanted = tuple(fields) if fields is not None else tuple(s.code for s in site.services)
        with self.db.read() as conn:
            return self._find(
                conn, site, ref, self.clock.now(), wanted, lifecycle.TRANSITIONS[action].sources
            )

    def return_ticket(
        self, ticket_id: str, *, actor: str = "", audit: AuditEntry | None = None
    ) -> TicketView:
        """Put a no-show ticket back in its queue (the citizen came back)."""
        return self._act_on_ticket(ticket_id, Action.RETURN, actor, audit)

    def cancel(
        self, ticket_id: str, *, actor: str = "", audit: AuditEntry | None = None
    ) -> TicketView:
        """Cancel an abandoned or mistaken ticket."""
        return self._act_on_ticket(ticket_id, Action.CANCEL, actor, audit)

    def rate(
        self, number: int, score: int, scale: int, *, site_code: str | None = None,
        actor: str = "",
    ) -> TicketView:  # fmt: skip
        """A citizen's satisfaction score for the ticket being served at the counter, or the
        one it completed in the last RATING_WINDOW (the common case: rated after finishing)."""
        site = self.site(site_code)
        counter = self.counter(site, number)
        if scale not in (3, 5) or not 1 <= score <= scale:
            raise Invalid("invalid_rating")
        now = self.clock.now()
        with self.db.write() as conn:
            ticket = repo.active_ticket(conn, site.code, counter.number)
            if ticket is None:
                ticket = repo.last_completed_at_counter(
                    conn, site.code, counter.number, now - RATING_WINDOW
                )
            if ticket is None:
                raise Conflict("nothing_to_rate", counter=counter.number)
            repo.append_events(
                conn, site.code,
                [TicketEvent(ticket.id, EventKind.RATED, now, counter.number, actor,
                             ticket.service, f"{score}/{scale}")],
            )  # fmt: skip
            return self._view(conn, ticket)

    def ticket_rating(self, ticket: Ticket) -> TicketRating:
        """Whether the status page offers a rating for this ticket, and the one recorded."""
        with self.db.read() as conn:
            recorded = _recorded_rating(repo.ticket_events_of(conn, ticket.id))
        site = self.site(ticket.site)
        offered = recorded is None and self._rating_open(site, ticket) is None
        score, scale = recorded or (None, None)
        return TicketRating(offered, score, scale)

    def rate_ticket(self, ticket_id: str, score: int, *, actor: str = "") -> TicketView:
        """The citizen's rating from the ticket's status page: once per ticket (whatever the
        channel), only after it was served; the same score again is a no-op (a retried tap),
        another score is 409 already_rated."""
        if not 1 <= score <= STATUS_RATING_SCALE:
            raise Invalid("invalid_rating")
        now = self.clock.now()
        with self.db.write() as conn:
            ticket = repo.lock_ticket(conn, ticket_id)
            if ticket is None:
                raise NotFound("unknown_ticket")
            recorded = _recorded_rating(repo.ticket_events_of(conn, ticket.id))
            if recorded == (score, STATUS_RATING_SCALE):
                return self._view(conn, ticket)
            if recorded is not None:
                raise Conflict("already_rated", number=ticket.number)
            closed = self._rating_open(self.site(ticket.site), ticket, now)
            if closed is not None:
                raise Conflict(closed, number=ticket.number)
            repo.append_events(
                conn, ticket.site,
                [TicketEvent(ticket.id, EventKind.RATED, now, ticket.counter, actor,
                             ticket.service, f"{score}/{STATUS_RATING_SCALE}")],
            )  # fmt: skip
            return self._view(conn, ticket)

    def _rating_open(self, site: Site, ticket: Ticket, now: datetime | None = None) -> str | None:
        """None when the status page may take a rating for the ticket now, else why not."""
        if not site.status_rating:
            return "rating_off"
        if ticket.status is not TicketStatus.DONE:
            return "rating_not_served"
        done_at = ticket.updated_at or ticket.called_at or ticket.issued_at
        if (now or self.clock.now()) - done_at > STATUS_RATING_WINDOW:
            return "rating_closed"
        return None

    def set_counter_state(
        self, number: int, state: CounterState, *, site_code: str | None = None, actor: str = "",
        audit: AuditEntry | None = None,
        clerk: Clerk | None = None, cause: str = "",
    ) -> CounterView:  # fmt: skip
        """Open, pause or close a counter, logged. A ticket being served stays with a paused
        counter; closing for the day is refused while the counter still holds one.

        Opened (or paused, resumed) by a signed-in `clerk`, it is open with them; closed, it
        is open with nobody. A device's code (clerk None) leaves its clerk as it was.
        """
        site = self.site(site_code)
        counter = self.counter(site, number)
        out = _Outcome()
        with self.db.write() as conn:
            now = self.clock.now()
            today = repo.lock_counter(conn, site.code, counter.number, self._day_start(site, now))
            held = repo.active_ticket(conn, site.code, counter.number)
            if state is CounterState.CLOSED and held is not None and today.state is not state:
                # Closing would leave the citizen with nobody, or invent a handling time.
                raise Conflict("counter_has_ticket", counter=counter.number, number=held.number)
            before = today.state
            if state is not CounterState.CLOSED:
                today = self._claim(conn, site, counter, today, clerk, now, actor, out)
            result = self._change_state(
                conn, site, counter, today, state, now, actor, cause, out, clerk
            )
            if audit is not None:
                audit.changed({"state": before.value}, {"state": result.state.value}).write(
                    conn, now
                )
            view = self._counter_view(counter, result, held)
        for event in out.events:
            self.bus.publish(event)
        return view

    def force_close(
        self, number: int, *, site_code: str | None = None, actor: str = "",
        audit: AuditEntry | None = None,
    ) -> tuple[CounterView, TicketView | None]:  # fmt: skip
        """Close a counter left open (a supervisor's correction), never losing its ticket.

        The ticket it holds ends first: one called but never started goes back to its
        field's queue (logged as a no-show, then returned, keeping its place as the site's
        `return_keeps_place` says), so any counter of the field calls it again; one being
        served is completed (the clerk served it and left). Then the counter is closed and
        open with no clerk. The counter's view and the ticket as it ends up.
        """
        site = self.site(site_code)
        counter = self.counter(site, number)
        out = _Outcome()
        with self.db.write() as conn:
            now = self.clock.now()
            today = repo.lock_counter(conn, site.code, counter.number, self._day_start(site, now))
            held = repo.active_ticket(conn, site.code, counter.number)
            clerk = today.clerk.username if today.clerk is not None else None
            ended = self._end_held(conn, site, counter, held, now, actor, out)
            result = self._change_state(  # closed: open with nobody
                conn, site, counter, today, CounterState.CLOSED, now, actor, "force", out
            )
            if audit is not None:
                audit.changed(
                    {"state": today.state.value, "clerk": clerk, "ticket": ticket_state(held)},
                    {"state": result.state.value, "clerk": None, "ticket": ticket_state(ended)},
                ).write(conn, now)
            view = self._counter_view(counter, result, None)
            ticket = self._view(conn, ended) if ended is not None else None
        for event in (*out.events, *out.later):
            self.bus.publish(event)
        return view, ticket

    def _end_held(
        self, conn: Connection, site: Site, counter: Counter, held: Ticket | None,
        now: datetime, actor: str, out: _Outcome,
    ) -> Ticket | None:  # fmt: skip
        """End the ticket a counter being force-closed holds (see force_close)."""
        if held is None:
            return None
        if held.status is TicketStatus.SERVING:
            done = self._move(conn, site, held, Action.COMPLETE, now, counter=counter.number,
                              actor=actor)  # fmt: skip
            if done is None:
                raise self._taken(held)
            out.events.append(self._event_for(Action.COMPLETE, site, None, done, held))
            return done
        absent = self._move(
            conn, site, held, Action.NO_SHOW, now, counter=counter.number, actor=actor
        )
        back = self._move(conn, site, absent, Action.RETURN, now, actor=actor) if absent else None
        if absent is None or back is None:
            raise self._taken(held)
        out.events.append(self._event_for(Action.NO_SHOW, site, counter, absent, held))
        out.events.append(self._event_for(Action.RETURN, site, None, back, absent))
        return back

    def counter_today(self, site_code: str | None, number: int) -> Counter:
        """A counter as it works today: its fields and policy as changed for today, if so."""
        site = self.site(site_code)
        counter = self.counter(site, number)
        with self.db.read() as conn:
            return self._today(conn, site, counter, site.local_day(self.clock.now()))

    def set_day_fields(
        self, number: int, services: Sequence[str], policy: CallingPolicy | None = None, *,
        site_code: str | None = None, actor: str = "", audit: AuditEntry | None = None,
    ) -> Counter:  # fmt: skip
        """Move a counter's fields (in calling order) and, optionally, its policy for the
        rest of today; calls at it use them until the site's midnight. The counter as now."""
        site = self.site(site_code)
        configured = self.counter(site, number)
        codes = tuple(s.strip() for s in services)
        if not codes or len(set(codes)) != len(codes):
            raise Invalid("no_services")
        for code in codes:
            self.service(site, code)  # 404 unknown_service
        out = _Outcome()
        with self.db.write() as conn:
            now = self.clock.now()
            day = site.local_day(now)
            today = repo.lock_counter(
                conn, site.code, configured.number, self._day_start(site, now)
            )
            was = self._today(conn, site, configured, day)
            chosen = policy or was.policy
            repo.set_day_fields(conn, site.code, configured.number, day, codes, chosen.value, now,
                                actor)  # fmt: skip
            counter = replace(configured, services=codes, policy=chosen)
            if audit is not None:
                audit.changed(
                    {"services": list(was.services), "policy": was.policy.value},
                    {"services": list(codes), "policy": chosen.value},
                ).write(conn, now)
            out.events.append(self._state_event(site, counter, today))
        for event in out.events:
            self.bus.publish(event)
        return counter

    def _today(self, conn: Connection, site: Site, counter: Counter, day: date) -> Counter:
        """`counter` with its fields for `day` when a supervisor changed them."""
        return self._with_fields(
            site, counter, repo.day_fields(conn, site.code, day).get(counter.number)
        )

    @staticmethod
    def _with_fields(
        site: Site, counter: Counter, changed: tuple[tuple[str, ...], str] | None
    ) -> Counter:
        if changed is None:
            return counter
        services, policy = changed
        # a field removed from the centre since is dropped; none left: the configured ones
        kept = tuple(s for s in services if s in site.services_by_code) or counter.services
        return replace(counter, services=kept, policy=CallingPolicy(policy))

    def counter_log(self, site_code: str | None, number: int) -> list[CounterLogEntry]:
        """Today's log of a counter: when it was opened, paused, resumed and closed."""
        site = self.site(site_code)
        counter = self.counter(site, number)
        with self.db.read() as conn:
            since = self._day_start(site, self.clock.now())
            return repo.counter_log(conn, site.code, counter.number, since)

    def counter_day(self, site_code: str | None, number: int) -> CounterDay:
        """A counter's state today and its clerk."""
        site = self.site(site_code)
        counter = self.counter(site, number)
        with self.db.read() as conn:
            states = repo.counter_states(conn, site.code, self._day_start(site, self.clock.now()))
        return states.get(counter.number, NOT_OPENED)

    def hand_over(
        self, number: int, clerk: Clerk, *, site_code: str | None = None, actor: str = ""
    ) -> CounterView:
        """Đổi ca: an open (or paused) counter goes on under `clerk`, with its ticket; no
        close or open, one `handover` entry in its log. A closed counter is opened with them."""
        site = self.site(site_code)
        counter = self.counter(site, number)
        out = _Outcome()
        with self.db.write() as conn:
            now = self.clock.now()
            today = repo.lock_counter(conn, site.code, counter.number, self._day_start(site, now))
            held = repo.active_ticket(conn, site.code, counter.number)
            if today.state is CounterState.CLOSED:
                today = self._change_state(
                    conn, site, counter, today, CounterState.OPEN, now, actor, "", out, clerk
                )
            else:
                today = self._claim(conn, site, counter, today, clerk, now, actor, out)
            view = self._counter_view(counter, today, held)
        for event in out.events:
            self.bus.publish(event)
        return view

    def sign_out_counter(
        self, number: int, clerk: Clerk, *, site_code: str | None = None, actor: str = ""
    ) -> CounterView:
        """Its clerk signed out ("Đăng xuất"): the counter closes, unless it holds a called or
        served ticket (it then stays open with them, for a supervisor to close later) or is
        open with someone else now (handed over). Logged with the cause `sign_out`."""
        site = self.site(site_code)
        counter = self.counter(site, number)
        out = _Outcome()
        with self.db.write() as conn:
            now = self.clock.now()
            today = repo.lock_counter(conn, site.code, counter.number, self._day_start(site, now))
            held = repo.active_ticket(conn, site.code, counter.number)
            if held is None and today.clerk == clerk and today.state is not CounterState.CLOSED:
                today = self._change_state(
                    conn, site, counter, today, CounterState.CLOSED, now, actor, "sign_out", out
                )
            view = self._counter_view(counter, today, held)
        for event in out.events:
            self.bus.publish(event)
        return view

    def close_stale_counters(self) -> int:
        """After midnight: counters left open or paused yesterday read as not opened today;
        mark them closed and tell the screens. How many changed (each only once)."""
        changed = 0
        for site in self.config.sites:
            now = self.clock.now()
            if self._days_closed.get(site.code) == site.local_day(now):
                continue  # done for today by this process (others: the update finds none)
            out = _Outcome()
            with self.db.write() as conn:
                numbers = repo.close_stale_counters(conn, site.code, self._day_start(site, now))
                for n in numbers:
                    counter = site.counters_by_number.get(n)
                    if counter is None:  # a counter since removed from the centre file
                        continue
                    entry = CounterLogEntry(n, CounterChange.CLOSED, now, "", "day_end")
                    repo.log_counter(conn, site.code, entry)
                    out.events.append(self._state_event(site, counter, NOT_OPENED))
            self._days_closed[site.code] = site.local_day(now)
            for event in out.events:
                self.bus.publish(event)
            changed += len(out.events)
        return changed

    # -- internals ---------------------------------------------------------------

    def _run(
        self,
        work: Callable[[Connection, datetime, _Outcome], Ticket | None],
        audit: AuditEntry | None = None,
    ) -> TicketView | None:
        """Run `work` in one transaction with its audit row, then publish its events."""
        out = _Outcome()
        with self.db.write() as conn:
            now = self.clock.now()
            ticket = work(conn, now, out)
            view = self._view(conn, ticket) if ticket is not None else None
            if audit is not None:
                target = audit.target or (f"ticket {ticket.number}" if ticket else "")
                entry = replace(
                    audit.changed(out.before, ticket_state(ticket)), target=target,
                    site=ticket.site if ticket else audit.site,
                )  # fmt: skip
                entry.write(conn, now)
        for event in (*out.events, *out.later):
            self.bus.publish(event)
        return view

    @staticmethod
    def _require(view: TicketView | None) -> TicketView:
        assert view is not None
        return view

    def _act_on_current(
        self,
        number: int,
        action: Action,
        site_code: str | None,
        actor: str,
        service: str | None = None,
        audit: AuditEntry | None = None,
        clerk: Clerk | None = None,
    ) -> TicketView:
        site = self.site(site_code)
        counter = self.counter(site, number)

        def work(conn: Connection, now: datetime, out: _Outcome) -> Ticket:
            today = repo.lock_counter(conn, site.code, counter.number, self._day_start(site, now))
            self._claim(conn, site, counter, today, clerk, now, actor, out)
            current = repo.active_ticket(conn, site.code, counter.number)
            if current is None:
                raise Conflict("no_current_ticket", counter=counter.number)
            out.before = ticket_state(current)
            if service is not None and service == current.service:
                raise Conflict("same_service", number=current.number)
            moved = self._move(
                conn,
                site,
                current,
                action,
                now,
                counter=counter.number,
                actor=actor,
                service=service,
            )
            if moved is None:
                raise self._taken(current)
            out.events.append(self._event_for(action, site, counter, moved, current))
            return moved

        return self._require(self._run(work, audit))

    def _act_on_ticket(
        self, ticket_id: str, action: Action, actor: str, audit: AuditEntry | None = None
    ) -> TicketView:
        def work(conn: Connection, now: datetime, out: _Outcome) -> Ticket:
            ticket = repo.get_ticket(conn, ticket_id)
            if ticket is None:
                raise NotFound("unknown_ticket")
            out.before = ticket_state(ticket)
            site = self.site(ticket.site)
            moved = self._move(conn, site, ticket, action, now, actor=actor)
            if moved is None:
                raise self._taken(ticket)
            out.events.append(self._event_for(action, site, None, moved, ticket))
            return moved

        return self._require(self._run(work, audit))

    def _move(
        self,
        conn: Connection,
        site: Site,
        ticket: Ticket,
        action: Action,
        now: datetime,
        *,
        counter: int | None = None,
        actor: str = "",
        service: str | None = None,
    ) -> Ticket | None:
        """Apply an action, save it with compare-and-set and log it; None if we lost a race."""
        keep = (
            site.transfer_keeps_issue_time if action is Action.TRANSFER else site.return_keeps_place
        )
        new, event = lifecycle.apply(
            ticket, action, now, counter=counter, actor=actor, service=service, keep_place=keep
        )
        if not repo.save_transition(conn, ticket, new):
            return None
        repo.append_events(conn, site.code, [event])
        return new

    def _finish_current(
        self,
        conn: Connection,
        site: Site,
        counter: Counter,
        now: datetime,
        actor: str,
        out: _Outcome,
        unstarted: Unstarted | None = None,
    ) -> None:
        """Calling the next number completes the one the counter was serving.

        One called but never started ("Bắt đầu") is a no-show when the clerk said so
        (`unstarted`) or the site records those as no-shows; otherwise it is completed, and,
        never started, has no handling time.
        """
        current = repo.active_ticket(conn, site.code, counter.number)
        if current is None:
            return
        never_started = current.status is TicketStatus.CALLED
        choice = unstarted or site.call_next_unstarted
        action = Action.NO_SHOW if never_started and choice == "no_show" else Action.COMPLETE
        done = self._move(conn, site, current, action, now, counter=counter.number, actor=actor)
        if done is not None:
            # a no-show says where it happened; a completion never did (the call said it)
            at = counter if action is Action.NO_SHOW else None
            out.later.append(self._event_for(action, site, at, done, current))

    def _open_for_call(
        self, conn: Connection, site: Site, counter: Counter, now: datetime, actor: str,
        out: _Outcome, clerk: Clerk | None = None,
    ) -> None:  # fmt: skip
        """A call needs an open counter: a closed one (not opened yet, or closed for the day)
        is opened by the call, logged as such, so a keypad's NEXT is all a clerk needs; a
        paused one must be resumed first (the clerk paused it on purpose). A signed-in
        clerk's call leaves it open with them."""
        today = repo.lock_counter(conn, site.code, counter.number, self._day_start(site, now))
        if today.state is CounterState.PAUSED:
            raise Conflict("counter_paused", counter=counter.number)
        if today.state is CounterState.CLOSED:
            self._change_state(
                conn, site, counter, today, CounterState.OPEN, now, actor, "call", out, clerk
            )
        else:
            self._claim(conn, site, counter, today, clerk, now, actor, out)

    def _claim(
        self, conn: Connection, site: Site, counter: Counter, today: CounterDay,
        clerk: Clerk | None, now: datetime, actor: str, out: _Outcome,
    ) -> CounterDay:  # fmt: skip
        """A signed-in clerk acting at an open or paused counter held by nobody or by someone
        else: it is open with them from now on, logged as a `handover` (actor: them) and told
        to the screens. Nothing for a device's code (None), the same clerk or a closed one."""
        if clerk is None or today.state is CounterState.CLOSED or today.clerk == clerk:
            return today
        repo.set_counter_clerk(conn, site.code, counter.number, clerk)
        entry = CounterLogEntry(counter.number, CounterChange.HANDOVER, now, actor, "")
        repo.log_counter(conn, site.code, entry)
        result = CounterDay(today.state, today.opened_today, clerk)
        out.events.append(self._state_event(site, counter, result))
        return result

    def _change_state(
        self, conn: Connection, site: Site, counter: Counter, today: CounterDay,
        state: CounterState, now: datetime, actor: str, cause: str, out: _Outcome,
        clerk: Clerk | None = None,
    ) -> CounterDay:  # fmt: skip
        """Move a locked counter to `state` (nothing when already there), log it and queue
        its counter.state event; the state it is in afterwards. Open or paused, it is open
        with `clerk` (None: the one it had); closed, with nobody."""
        kind = change(today.state, state)
        if kind is None:
            return today
        keep = (clerk or today.clerk) if state is not CounterState.CLOSED else None
        repo.set_counter_state(conn, site.code, counter.number, state, now, keep)
        repo.log_counter(conn, site.code, CounterLogEntry(counter.number, kind, now, actor, cause))
        result = CounterDay(state, opened_today=True, clerk=keep)
        out.events.append(self._state_event(site, counter, result))
        return result

    @staticmethod
    def _state_event(site: Site, counter: Counter, day: CounterDay) -> DeskEvent:
        return DeskEvent(
            ev.COUNTER_STATE, site.code, counter=counter, counter_state=day.state,
            opened_today=day.opened_today, clerk=day.clerk,
        )  # fmt: skip

    @staticmethod
    def _counter_view(counter: Counter, day: CounterDay, ticket: Ticket | None) -> CounterView:
        return CounterView(counter, day.state, ticket, day.opened_today, day.clerk)

    def _find(
        self,
        conn: Connection,
        site: Site,
        ref: str,
        now: datetime,
        fields: Sequence[str],
        actionable: Collection[TicketStatus],
    ) -> Ticket:
        """Today's ticket by id, or by a number as typed (domain.ticket_ref): among `fields`
        (a counter's), then, when none of theirs has it, among every field of the site, so
        that a ticket of another field is refused as such rather than unknown."""
        day = site.local_day(now)
        ref = ref.strip()
        if len(ref) >= ID_LENGTH:  # no printed number is this long
            # by id, only today's tickets: earlier days' queues are closed
            found = repo.get_ticket(conn, ref)
            if found is None or found.site != site.code or found.day != day:
                raise NotFound("unknown_ticket_today", ref=ref)
            return found
        tickets: list[Ticket] = []
        for codes in (fields, [s.code for s in site.services]):
            formats = [(c, site.services_by_code[c].number_format) for c in codes]
            for _, number in ticket_ref.candidates(ref, formats):
                found = repo.find_ticket_by_number(conn, site.code, day, number)
                if found is not None:
                    tickets.append(found)
            if tickets:
                break
        return ticket_ref.pick(ref, tickets, actionable)

    @staticmethod
    def _taken(ticket: Ticket) -> Conflict:
        return Conflict("ticket_taken", number=ticket.number)

    def _called_event(
        self, site: Site, counter: Counter, ticket: Ticket, recall: bool
    ) -> DeskEvent:
        return DeskEvent(ev.TICKET_CALLED, site.code, ticket=ticket, counter=counter, recall=recall)

    def _event_for(
        self, action: Action, site: Site, counter: Counter | None, new: Ticket, old: Ticket
    ) -> DeskEvent:
        if action is Action.RECALL:
            assert counter is not None
            return self._called_event(site, counter, new, recall=True)
        name = {
            Action.START: ev.TICKET_STARTED,
            Action.COMPLETE: ev.TICKET_COMPLETED,
            Action.NO_SHOW: ev.TICKET_NO_SHOW,
            Action.TRANSFER: ev.TICKET_TRANSFERRED,
            Action.RETURN: ev.TICKET_RETURNED,
            Action.CANCEL: ev.TICKET_CANCELLED,
        }[action]
        previous = old.service if action is Action.TRANSFER else None
        return DeskEvent(name, site.code, ticket=new, counter=counter, previous_service=previous)

    def _view(self, conn: Connection, ticket: Ticket) -> TicketView:
        ahead = repo.people_ahead(conn, ticket) if ticket.status is TicketStatus.WAITING else None
        return TicketView(ticket, ahead)

    @staticmethod
    def _day_start(site: Site, now: datetime) -> datetime:
        local = site.local(now)
        return datetime.combine(local.date(), time(0), tzinfo=site.tz)


def _recorded_rating(events: list[TicketEvent]) -> tuple[int, int] | None:
    """The first rating in a ticket's log as (score, scale): the one that counts."""
    for e in events:
        if e.kind is EventKind.RATED:
            score, _, scale = e.detail.partition("/")
            if score.isdigit() and scale.isdigit():
                return int(score), int(scale)
    return None


__all__ = ["CounterView", "QueueDesk", "Snapshot", "TicketRating", "TicketView"]
