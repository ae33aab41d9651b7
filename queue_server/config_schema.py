"""The tables of a site in the centre file: every key, with its type, default and help.

One pydantic model per TOML table: [[sites]] (SiteTable), [sites.priority],
[sites.hours], [[sites.services]], [[sites.services.procedures]] and [[sites.counters]];
[server] and the file itself are in queue_server.config. This is the one place a key is
declared: validation and defaults come from here, the cross-field checks (number blocks,
counters naming services, hours) are validators, to_domain() builds the domain's values
and markdown_table() the README's tables.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import fields
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Self, cast, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, Field, model_validator
from pydantic.fields import FieldInfo

from hardware.tomlschema import Reword, Table, problem, rule, unwrap

from .domain.model import (
    WEEKDAYS,
    CallingPolicy,
    Counter,
    Hours,
    NumberFormat,
    PriorityPolicy,
    Procedure,
    Service,
    Session,
    Site,
)

# -- the tables of a site ---------------------------------------------------------------

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
PREFIX_RE = re.compile(r"^[A-Z]{0,3}$")
RANGE_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
HOURS_PROBLEM = 'must be "always" or a table of weekdays (mon = ["07:30-11:30"])'
DEFAULT_END = 999  # without `digits` or `end`: 1 ... 999

Code = Annotated[str, rule(CODE_RE.match, "use 1-16 letters, digits, '-' or '_'")]
Text = Annotated[str, AfterValidator(str.strip)]


def _pictograms() -> tuple[str, ...]:
    """The kiosk's pictograms: the `ic-NAME` symbols of its icons partial, declared there once."""
    partial = resources.files("displays").joinpath("templates/partials/icons.html")
    return tuple(re.findall(r'<symbol id="ic-([a-z0-9-]+)"', partial.read_text("utf-8")))


PICTOGRAMS = _pictograms()


def _known_pictogram(name: str) -> str:
    """An icon is one of the kiosk's pictograms (or none): never markup for the page."""
    if name and name not in PICTOGRAMS:
        raise problem(f"unknown pictogram {name!r} (known: {', '.join(PICTOGRAMS)})")
    return name


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise problem(f"unknown time zone {name!r}") from err
    return name


def _session(text: str) -> Session:
    m = RANGE_RE.match(text)
    if not m:
        raise problem(f'{text!r} is not "HH:MM-HH:MM"')
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    try:
        start, end = time(h1, m1), time(h2, m2) if (h2, m2) != (24, 0) else time.max
    except ValueError as err:
        raise problem(f"{text!r} is not a valid time range") from err
    if end <= start:
        raise problem(f"{text!r} ends before it starts")
    return Session(start, end)


def _sessions(ranges: list[str]) -> tuple[Session, ...]:
    sessions = tuple(_session(r) for r in ranges)
    for a, b in itertools.pairwise(sessions):
        if b.start < a.end:
            raise problem("sessions must be in order and not overlap")
    return sessions


def _valid_day(ranges: list[str]) -> list[str]:
    _sessions(ranges)
    return ranges


Day = Annotated[
    list[str],
    Reword('must be a list of "HH:MM-HH:MM" strings', deep=True),
    AfterValidator(_valid_day),
]


def _day(name: str) -> Any:
    return Field(
        default_factory=list,
        description=f'{name}: opening sessions ("07:30-11:30"), in order; none: closed.',
    )


class HoursTable(Table):
    """[sites.hours] (or a service's hours): sessions per weekday and closed dates."""

    mon: Day = _day("Monday")
    tue: Day = _day("Tuesday")
    wed: Day = _day("Wednesday")
    thu: Day = _day("Thursday")
    fri: Day = _day("Friday")
    sat: Day = _day("Saturday")
    sun: Day = _day("Sunday")
    closed_dates: Annotated[
        list[date], Reword("must be a list of dates ([2026-01-01, 2026-04-30])")
    ] = Field(default_factory=list, description="Days closed all day (public holidays).")

    @model_validator(mode="wrap")
    @classmethod
    def _always(cls, data: Any, handler: Any) -> Any:
        """`hours = "always"`: open at every hour of every day."""
        if data == "always":
            return ALWAYS
        return handler(data)

    def to_domain(self) -> Hours:
        """The opening hours the domain checks."""
        if self is ALWAYS:
            return Hours.around_the_clock()
        week = tuple(_sessions(getattr(self, day)) for day in WEEKDAYS)
        return Hours(week=week, closed_dates=frozenset(self.closed_dates))


ALWAYS = HoursTable.model_construct()
HoursSpec = Annotated[HoursTable, Reword(HOURS_PROBLEM)]
HOURS_TYPE: dict[str, Any] = {"type": '`"always"` or table'}


class PriorityTable(Table):
    """[sites.priority]: how priority tickets are mixed with normal ones."""

    mode: Annotated[Literal["strict", "ratio"], Reword("must be 'strict' or 'ratio'")] = Field(
        cast(Any, PriorityPolicy.mode),  # the domain's default; Literal here, str there
        description="`strict`: a waiting priority ticket always goes first; `ratio`: as below.",
    )
    priority: Annotated[int, Field(ge=1)] = Field(
        PriorityPolicy.priority, description="`ratio`: after this many priority calls in a row ..."
    )
    normal: Annotated[int, Field(ge=1)] = Field(
        PriorityPolicy.normal,
        description="... this many normal calls (when any wait) before the next priority one.",
    )

    def to_domain(self) -> PriorityPolicy:
        """The routing policy."""
        return PriorityPolicy(mode=self.mode, priority=self.priority, normal=self.normal)


class ProcedureTable(Table):
    """[[sites.services.procedures]]: shown at the kiosk, what to bring."""

    name: str = Field(description="The procedure (thủ tục).")
    documents: Annotated[list[str], Reword("must be a list of strings", deep=True)] = Field(
        default_factory=list, description="The documents a citizen must bring."
    )

    def to_domain(self) -> Procedure:
        """The domain's procedure."""
        return Procedure(name=self.name, documents=tuple(self.documents))


class ServiceTable(Table):
    """[[sites.services]]: a field of procedures (lĩnh vực) and how its tickets are numbered."""

    code: Code = Field(description="Short code: 1-16 letters, digits, `-` or `_`.")
    name: Annotated[str, rule(str.strip, "must not be empty")] = Field(
        description="Its Vietnamese name, as on the kiosk and the slip."
    )
    name_en: str = Field("", description="Its English name (screens with `?lang=en`).")
    prefix: Annotated[str, rule(PREFIX_RE.match, "use 0-3 capital letters A-Z")] = Field(
        "", description="0-3 capital letters before the number: `A` prints A001."
    )
    digits: Annotated[int, Field(ge=1), rule(lambda d: d <= 6, "at most 6 digits")] | None = Field(
        None,
        description="Width of the number (1-6).",
        json_schema_extra={"unset": "width of `end`"},
    )
    start: Annotated[int, Field(ge=0)] = Field(1, description="The day's first number.")
    end: Annotated[int, Field(ge=0)] | None = Field(
        None,
        description="The day's last number.",
        json_schema_extra={"unset": f"`{DEFAULT_END}`, or the largest with `digits` digits"},
    )
    daily_cap: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Most tickets a day.", json_schema_extra={"unset": "no cap"}
    )
    hours: HoursSpec | None = Field(
        None,
        description="This field's own opening hours, like `[sites.hours]`.",
        json_schema_extra={**HOURS_TYPE, "unset": "the site's hours"},
    )
    icon: Annotated[str, AfterValidator(_known_pictogram)] = Field(
        "",
        description=f"The kiosk button's pictogram: {', '.join(f'`{p}`' for p in PICTOGRAMS)}.",
        json_schema_extra={"unset": "`doc`"},
    )
    procedures: Annotated[list[ProcedureTable], Reword("must be an array of tables")] = Field(
        default_factory=list, description="Common procedures and their documents, at the kiosk."
    )
    waiting_area: Text = Field(
        "",
        description="Where its citizens wait (`Khu chờ B, tầng 1`), on the kiosk and the slip.",
        json_schema_extra={"unset": "the site's `waiting_area`"},
    )

    def number_format(self) -> NumberFormat:
        """How its tickets are numbered; `end` and `digits` default to each other."""
        digits = self.digits
        end = self.end if self.end is not None else 10**digits - 1 if digits else DEFAULT_END
        return NumberFormat(
            prefix=self.prefix, digits=digits or len(str(end)), start=self.start, end=end
        )

    @model_validator(mode="after")
    def _numbers_fit(self) -> Self:
        fmt = self.number_format()
        if fmt.end < fmt.start:
            raise problem(f"must not be below start ({fmt.start})", "end")
        if len(str(fmt.end)) > fmt.digits:
            raise problem(f"{fmt.end} does not fit in {fmt.digits} digits", "end")
        if not fmt.prefix and fmt.start == 0:
            raise problem("a number without prefix cannot start at 0", "start")
        if self.daily_cap is not None and self.daily_cap > fmt.capacity:
            raise problem(f"exceeds the {fmt.capacity} numbers of the format", "daily_cap")
        return self

    def to_domain(self, site_hours: Hours) -> Service:
        """The domain's service; without hours of its own it keeps the site's."""
        return Service(
            **{name: getattr(self, name) for name in _SHARED_SERVICE_KEYS},
            number_format=self.number_format(),
            hours=self.hours.to_domain() if self.hours is not None else site_hours,
            procedures=tuple(p.to_domain() for p in self.procedures),
        )


class CounterTable(Table):
    """[[sites.counters]]: a counter (quầy) and the services it serves."""

    number: Annotated[int, Field(ge=1)] = Field(description="Its number, as on the LED board.")
    name: str | None = Field(
        None, description="Its name on screens.", json_schema_extra={"unset": "`Quầy số NN`"}
    )
    services: Annotated[
        list[str],
        Field(min_length=1),
        Reword("must be a non-empty list of service codes", deep=True),
        rule(lambda s: len(set(s)) == len(s), "lists a service twice"),
    ] = Field(description="Codes of the services it serves, most important first.")
    spoken: Text = Field(
        Counter.spoken, description="How announcements say it, instead of its number."
    )
    # The values are CallingPolicy's (a test checks they agree): Literal here, enum there.
    policy: Annotated[
        Literal["field_order", "oldest_first"],
        Reword("must be 'field_order' or 'oldest_first'"),
    ] = Field(
        cast(Any, Counter.policy.value),
        description="How it picks the next ticket (priority first either way): "
        "`field_order`: its first field while anyone waits there, then the next; "
        "`oldest_first`: whoever has waited longest across all its fields.",
    )

    def to_domain(self) -> Counter:
        """The domain's counter."""
        name = self.name if self.name is not None else f"Quầy số {self.number:02d}"
        return Counter(
            self.number, name, tuple(self.services), self.spoken, CallingPolicy(self.policy)
        )


def _template(text: str) -> str:
    """The announcement sentence names {number} and {counter} and nothing else."""
    try:
        text.format(number="1", counter="1")
    except (KeyError, IndexError, ValueError) as err:
        raise problem("use only {number} and {counter}") from err
    if "{number}" not in text or "{counter}" not in text:
        raise problem("must contain {number} and {counter}")
    return text


def _printer(url: str) -> str:
    """The kiosk printer URL, checked by the same factory that will open it."""
    from hardware.printer import printer_from_url

    if url == "browser":  # an ordinary printer driven by the kiosk's browser
        return url
    try:
        printer_from_url(url, Path("/nonexistent-check-only"))
    except ValueError as err:
        raise problem(str(err)) from err
    return url


class SiteTable(Table):
    """[[sites]]: one centre, its rules, services and counters."""

    code: Code = Field(description="Short code (1-16 letters, digits, `-`, `_`); the API's `site`.")
    name: str = Field(description="The centre's name, on screens and slips.")
    timezone: Annotated[str, AfterValidator(_known_zone)] = Field(
        "Asia/Ho_Chi_Minh", description="IANA time zone; numbering resets at local midnight."
    )
    notice: str = Field("", description="Scrolling text on the lobby screen.")
    priority: PriorityTable = Field(
        PriorityTable.model_validate({}), description="How priority tickets are mixed in."
    )
    hours: HoursSpec = Field(
        "always",
        validate_default=True,
        description="Opening hours; services may have their own.",
        json_schema_extra=HOURS_TYPE,
    )
    services: Annotated[
        list[ServiceTable],
        Field(min_length=1),
        Reword("at least one [[sites.services]] table is required"),
    ] = Field(description="The fields citizens take tickets for.")
    counters: Annotated[
        list[CounterTable],
        Field(min_length=1),
        Reword("at least one [[sites.counters]] table is required"),
    ] = Field(description="The counters and the fields each serves.")
    transfer_keeps_issue_time: bool = Field(
        True, description="A transferred ticket keeps its place (fairness)."
    )
    return_keeps_place: bool = Field(True, description="A no-show ticket put back keeps its place.")
    printer: Annotated[str, AfterValidator(_printer)] = Field(
        "sim",
        description="Kiosk printer: `sim` (PNG previews), `escpos-network://HOST:PORT`, "
        "`escpos-usb://VID:PID`, `escpos-serial:///dev/ttyUSB0?baudrate=19200`, "
        "`escpos-file:///dev/usb/lp0` (`?paper=58` for 58 mm paper), or `browser`: an "
        "ordinary printer, the kiosk prints an HTML slip (Chromium with `--kiosk-printing`).",
    )
    kiosk_priority_step: bool = Field(
        True,
        description='A yellow "Ưu tiên" button beside each kiosk field: a field tap prints an '
        "ordinary ticket, Ưu tiên and one confirmation a priority one.",
    )
    kiosk_idle_seconds: Annotated[int, Field(ge=5)] = Field(
        20, description="Back to the first screen (the fields) after this many idle seconds."
    )
    kiosk_rate_per_minute: Annotated[int, Field(ge=1)] = Field(
        30, description="Most tickets one kiosk may issue in a minute."
    )
    announce_template: Annotated[str, AfterValidator(_template)] = Field(
        "Xin mời công dân có số thứ tự {number} đến quầy số {counter}",
        description="The call; must contain `{number}` and `{counter}`.",
    )
    announce_repeat: Annotated[int, Field(ge=1)] = Field(
        2, description="How many times the call is said after the chime."
    )
    reading_odd: Literal["linh", "lẻ"] = Field(
        "linh", description='105 is "một trăm linh năm" (`linh`) or "một trăm lẻ năm" (`lẻ`).'
    )
    announce_slot_seconds: Annotated[float, Field(ge=0, le=120)] | None = Field(
        None,
        description="How long each call holds the lobby's main panel before the next call "
        "waiting to be read takes it. Leave it unset with a loudspeaker: the slot is then "
        "the length of the call's audio, so screen and voice agree; with voice off it is an "
        "estimate of the sentence said `announce_repeat` times. 0: every call at once.",
        json_schema_extra={"unset": "the call's audio length"},
    )
    voice: Literal["vi", "vi-vn-x-central", "vi-vn-x-south"] = Field(
        "vi", description="The espeak-ng voice."
    )
    voice_clips: str = Field(
        "", description="Folder of the centre's own recorded `<word>.wav` clips, tried first."
    )
    kiosk_voice: bool = Field(True, description="Spoken guidance at the kiosk.")
    one_ticket_per_citizen: bool = Field(
        False, description="Ask a phone/ID number: one ticket per field per day for each."
    )
    status_rating: bool = Field(
        False,
        description="Offer the one-tap satisfaction rating (Rất hài lòng / Hài lòng / Không hài "
        "lòng) on the ticket status page once the citizen was served (within 24 hours).",
    )
    call_next_unstarted: Literal["ask", "no_show", "complete"] = Field(
        "ask",
        description='What "Gọi tiếp" does with a ticket called but never started ("Bắt đầu"): '
        '`ask`: the console asks once "đánh dấu Không có mặt?", and keypads and API calls '
        "without `unstarted` complete it; `no_show`: it is recorded as Không có mặt "
        "everywhere (for centres whose clerks always press Bắt đầu); `complete`: it is "
        "completed. A ticket never started has no handling time either way.",
    )
    waiting_area: Text = Field(
        "",
        description="Where citizens wait (`Sảnh chờ tầng 1`), on the kiosk's confirmation and "
        "the slip; a service's own `waiting_area` wins.",
        json_schema_extra={"unset": "not said"},
    )
    priority_groups: Text = Field(
        "",
        description="Who counts as priority, as the kiosk explains it beside its "
        '"Ưu tiên" buttons (Vietnamese).',
        json_schema_extra={"unset": "người cao tuổi, người khuyết tật, phụ nữ mang thai, ..."},
    )
    priority_groups_en: Text = Field(
        "",
        description="The same in English (`?lang=en`).",
        json_schema_extra={"unset": "`priority_groups`, else the usual groups in English"},
    )

    @model_validator(mode="after")
    def _services_and_counters_agree(self) -> Self:
        _check_services_distinct(self.services)
        codes = {s.code for s in self.services}
        numbers: set[int] = set()
        for i, c in enumerate(self.counters):
            for code in c.services:
                if code not in codes:
                    raise problem(f"unknown service {code!r}", "counters", i, "services")
            if c.number in numbers:
                raise problem(f"duplicate counter number {c.number}", "counters", i, "number")
            numbers.add(c.number)
        return self

    def to_domain(self) -> Site:
        """The domain's site."""
        hours = self.hours.to_domain()
        return Site(
            **{name: getattr(self, name) for name in _SHARED_SITE_KEYS},
            services=tuple(s.to_domain(hours) for s in self.services),
            counters=tuple(c.to_domain() for c in self.counters),
            priority_policy=self.priority.to_domain(),
        )


def _check_services_distinct(services: list[ServiceTable]) -> None:
    """Two services of one site must never print the same number."""
    formats = [s.number_format() for s in services]
    for i, (a, fa) in enumerate(zip(services, formats, strict=True)):
        for j, (b, fb) in enumerate(zip(services[:i], formats, strict=False)):
            if a.code == b.code:
                raise problem(f"duplicate service code {a.code!r}", "services", i, "code")
            # Same prefix and overlapping values clash even with other widths: A001 and
            # A0001 are printed differently but announced alike ("a một").
            if fa.prefix == fb.prefix and fa.start <= fb.end and fb.start <= fa.end:
                raise problem(
                    f"numbers {fa.prefix}{fa.start}-{fa.end} overlap those of "
                    f"services[{j}] ({b.code}); give each service its own prefix or block",
                    *("services", i),
                )


def _as_they_are(table: type[Table], domain: type, built: set[str]) -> tuple[str, ...]:
    """The keys of a table that go to the domain's dataclass of the same field names."""
    return tuple(set(table.model_fields) & {f.name for f in fields(domain)} - built)


_SHARED_SITE_KEYS = _as_they_are(SiteTable, Site, {"services", "counters"})
_SHARED_SERVICE_KEYS = _as_they_are(ServiceTable, Service, {"hours", "procedures"})


# -- the README's tables -------------------------------------------------------------


def field_extra(field: FieldInfo) -> dict[str, Any]:
    """What a field declares besides type, default and help: env, unset, type (for docs)."""
    return dict(field.json_schema_extra) if isinstance(field.json_schema_extra, dict) else {}


def markdown_table(model: type[BaseModel]) -> str:
    """The README table of a TOML table's keys, generated from its model."""
    keys = model.model_fields
    with_env = any("env" in field_extra(f) for f in keys.values())
    head = ("setting", "environment") if with_env else ("key", "type")
    lines = [f"| {' | '.join((*head, 'default', 'meaning'))} |", "|---|---|---|---|"]
    for name, f in keys.items():
        extra = field_extra(f)
        second = f"`{extra['env']}`" if with_env else extra.get("type") or _type_text(f.annotation)
        cells = (f"`{name}`", second, _default_text(f), f.description or "")
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def _default_text(field: FieldInfo) -> str:
    extra = field_extra(field)
    if "unset" in extra:
        return str(extra["unset"])
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "its defaults"
    return f"`{_toml(value)}`"


_TYPE_NAMES = {str: "string", int: "integer", float: "number", bool: "true/false"}


def _type_text(annotation: Any) -> str:
    kind, _ = unwrap(annotation)
    if get_origin(kind) is Literal:
        *rest, last = (f"`{_toml(a)}`" for a in get_args(kind))
        return f"{', '.join(rest)} or {last}" if rest else last
    if get_origin(kind) is list:
        item = unwrap(get_args(kind)[0])[0]
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "array of tables"
        return f"list of {_type_text(item)}s"
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return "table"
    return _TYPE_NAMES.get(kind, getattr(kind, "__name__", str(kind)))
