"""The centre as configured (sites, services, counters) and the tickets it issues."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

# The wire values are the contract's; the domain uses them as its own.
from ..contract.enums import CallingPolicy as CallingPolicy
from ..contract.enums import CounterChange as CounterChange
from ..contract.enums import CounterState as CounterState
from ..contract.enums import EventKind as EventKind
from ..contract.enums import TicketStatus as TicketStatus
from ..contract.messages import MESSAGES, render
from .errors import Conflict

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


STATUS_VI = {s: MESSAGES[f"status.{s.value}"].vi for s in TicketStatus}


COUNTER_STATE_VI = {s: MESSAGES[f"counter_state.{s.value}"].vi for s in CounterState}


@dataclass(frozen=True)
class Session:
    """One opening window of a day, e.g. Sáng 07:30–11:30."""

    start: time
    end: time

    @property
    def name(self) -> str:
        """The Vietnamese name of the part of the day it falls in."""
        if self.start < time(11, 0):
            return "Sáng"
        if self.start < time(18, 0):
            return "Chiều"
        return "Tối"

    def contains(self, t: time) -> bool:
        """True when t is inside [start, end)."""
        return self.start <= t < self.end

    def describe(self) -> str:
        """Human text such as 'Sáng 7:30–11:30'."""
        return f"{self.name} {_hm(self.start)}–{_hm(self.end)}"


def _hm(t: time) -> str:
    return f"{t.hour}:{t.minute:02d}"


def session_name_at(t: time) -> str:
    """Sáng / Chiều / Tối for a local time of day, as printed on slips."""
    if t < time(12, 0):
        return "Sáng"
    if t < time(18, 0):
        return "Chiều"
    return "Tối"


@dataclass(frozen=True)
class Hours:
    """Opening hours by weekday (0 = Monday). An empty tuple means closed that day."""

    week: tuple[tuple[Session, ...], ...] = ()
    always: bool = False
    closed_dates: frozenset[date] = frozenset()

    @classmethod
    def around_the_clock(cls) -> Hours:
        """Open at every hour of every day."""
        return cls(always=True)

    def is_open(self, local: datetime) -> bool:
        """Whether a local (site time zone) moment falls in an opening window."""
        if local.date() in self.closed_dates:
            return False
        if self.always:
            return True
        sessions = self.week[local.weekday()] if self.week else ()
        return any(s.contains(local.time()) for s in sessions)

    def describe(self) -> str:
        """Opening hours as a Vietnamese sentence, e.g. for an out-of-hours message."""
        if self.always:
            return "Mở cửa cả ngày"
        parts: list[str] = []
        groups: list[tuple[list[int], tuple[Session, ...]]] = []
        for day, sessions in enumerate(self.week):
            if sessions and groups and groups[-1][1] == sessions and groups[-1][0][-1] == day - 1:
                groups[-1][0].append(day)
            elif sessions:
                groups.append(([day], sessions))
        for days, sessions in groups:
            label = WEEKDAY_NAMES_VI[days[0]]
            if len(days) > 1:
                label += f" – {WEEKDAY_NAMES_VI[days[-1]]}"
            parts.append(f"{label}: " + ", ".join(s.describe() for s in sessions))
        return "; ".join(parts) if parts else "Không mở cửa"


@dataclass(frozen=True)
class NumberFormat:
    """How the k-th ticket of a day is numbered: prefix + zero-padded number in [start, end]."""

    prefix: str
    digits: int
    start: int
    end: int

    @property
    def capacity(self) -> int:
        """How many tickets one day can have before the format runs out."""
        return self.end - self.start + 1

    def number_for(self, k: int) -> str:
        """The printed number of the k-th ticket of the day (k starts at 1)."""
        if k < 1:
            raise ValueError("k starts at 1")
        if k > self.capacity:
            raise Conflict("numbers_exhausted", capacity=self.capacity)
        return f"{self.prefix}{self.start + k - 1:0{self.digits}d}"

    def all_numbers_range(self) -> tuple[str, str]:
        """The first and last number this format can print."""
        return self.number_for(1), self.number_for(self.capacity)


@dataclass(frozen=True)
class Procedure:
    """A common procedure in a field and the documents a citizen must bring."""

    name: str
    documents: tuple[str, ...]


@dataclass(frozen=True)
class Service:
    """A field of procedures ("lĩnh vực") that citizens take tickets for."""

    code: str
    name: str
    name_en: str
    number_format: NumberFormat
    daily_cap: int | None
    hours: Hours
    icon: str
    procedures: tuple[Procedure, ...]
    waiting_area: str
    """Where its citizens wait ("Khu chờ B, tầng 1"); empty: the site's."""


@dataclass(frozen=True)
class Counter:
    """A counter ("quầy") and the services it serves, most important first."""

    number: int
    name: str
    services: tuple[str, ...]
    spoken: str = ""
    """How announcements say it, as configured ("tiếp nhận hồ sơ đất đai"); the number if empty."""
    policy: CallingPolicy = CallingPolicy.FIELD_ORDER
    """How it picks among its fields' waiting tickets (routing.choose_next)."""

    @property
    def said(self) -> int | str:
        """What fills {counter} in the announcement: the spoken name, else the number."""
        return self.spoken or self.number


@dataclass(frozen=True)
class PriorityPolicy:
    """How priority tickets are mixed with normal ones at a counter.

    strict: a waiting priority ticket always goes first.
    ratio: after `priority` priority calls in a row, `normal` normal tickets are
    called (when any wait) before the next priority one, so nobody is starved.
    """

    mode: str = "strict"
    priority: int = 1
    normal: int = 2


@dataclass(frozen=True)
class Site:
    """One centre: its services, counters and rules."""

    code: str
    name: str
    timezone: str
    services: tuple[Service, ...]
    counters: tuple[Counter, ...]
    priority_policy: PriorityPolicy
    transfer_keeps_issue_time: bool
    return_keeps_place: bool
    notice: str
    printer: str
    kiosk_priority_step: bool
    kiosk_idle_seconds: int
    kiosk_rate_per_minute: int
    announce_template: str
    announce_repeat: int
    reading_odd: str
    voice: str
    voice_clips: str
    kiosk_voice: bool
    one_ticket_per_citizen: bool
    announce_slot_seconds: float | None
    waiting_area: str
    """Where citizens wait unless their field names its own place; empty: not said."""
    priority_groups: str
    """Who counts as priority, in Vietnamese, as the kiosk explains it; empty: the usual groups."""
    priority_groups_en: str
    status_rating: bool = False
    call_next_unstarted: str = "ask"
    """What "Gọi tiếp" does with a called, never started ticket: ask, no_show or complete."""

    def priority_groups_in(self, lang: str) -> str:
        """Who counts as priority here, as the kiosk explains it, in "vi" or "en"."""
        vi, en = render("label.priority_groups")
        if lang == "en":
            return self.priority_groups_en or self.priority_groups or en
        return self.priority_groups or vi

    def serving_counters(self, service_code: str) -> tuple[int, ...]:
        """Numbers of the counters whose services include this field, in ascending order."""
        return tuple(sorted(c.number for c in self.counters if service_code in c.services))

    def waiting_area_for(self, service_code: str) -> str:
        """Where a ticket of this field waits: the field's own place, else the site's."""
        service = self.services_by_code.get(service_code)
        return (service.waiting_area if service else "") or self.waiting_area

    @property
    def tz(self) -> ZoneInfo:
        """The site's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def services_by_code(self) -> Mapping[str, Service]:
        """Services keyed by code."""
        return {s.code: s for s in self.services}

    @property
    def counters_by_number(self) -> Mapping[int, Counter]:
        """Counters keyed by number."""
        return {c.number: c for c in self.counters}

    def local(self, moment: datetime) -> datetime:
        """A UTC moment in the site's local time."""
        return moment.astimezone(self.tz)

    def local_day(self, moment: datetime) -> date:
        """The local calendar day a moment belongs to; numbering resets with it."""
        return self.local(moment).date()


@dataclass(frozen=True)
class Ticket:
    """A numbered ticket. Immutable: changes produce a new value and a log event."""

    id: str
    site: str
    service: str
    issued_service: str
    number: str
    seq: int
    day: date
    priority: bool
    status: TicketStatus
    issued_at: datetime
    sort_at: datetime
    counter: int | None = None
    called_at: datetime | None = None
    updated_at: datetime | None = None

    def evolve(self, **changes: object) -> Ticket:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TicketEvent:
    """One entry of a ticket's append-only log."""

    ticket_id: str
    kind: EventKind
    at: datetime
    counter: int | None = None
    actor: str = ""
    service: str = ""
    detail: str = ""
