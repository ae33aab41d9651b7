"""JSON shapes of API v1, declared once: validation, serialisation and the OpenAPI document.

Request models (`Body` and `Query` subclasses) are strict: a string is not a number,
`true` is not 1, unknown fields are refused, and a field that may be left out may not be
sent as null. Response models are what the server answers; the generated OpenAPI document
and the tests that check every real answer against it both come from them. Enums are the
domain's own (`TicketStatus`, `CounterState`, `EventKind`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .enums import CallingPolicy, CounterState, EventKind, TicketStatus

PRINTER_FAULTS = ("offline", "paper_out", "cover_open", "timeout", "error")
"""Fault codes of a kiosk printer (hardware.printer.FAULT_CODES; a test keeps them equal)."""

PrinterFault = Literal["offline", "paper_out", "cover_open", "timeout", "error"]
DeviceState = Literal["ok", "error", "disconnected"]
TokenRole = Literal["kiosk", "display", "clerk", "counter", "agent", "admin"]
"""The roles of device tokens (queue_server.auth.ROLES; a test keeps them equal)."""
TokenState = Literal["active", "revoked", "expired"]
KEY_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


def _drop_null_branches(schema: dict[str, Any]) -> None:
    """Optional request fields may be omitted but not sent as null: document them so."""
    for prop in schema.get("properties", {}).values():
        branches = prop.get("anyOf")
        if branches and {"type": "null"} in branches:
            rest = [b for b in branches if b != {"type": "null"}]
            prop.pop("anyOf")
            prop.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
        if prop.get("default", 0) is None:
            prop.pop("default")


def _none(value: Any) -> bool:
    return value is None


class Body(BaseModel):
    """A JSON request body: strict types, no unknown fields, no explicit nulls."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, json_schema_extra=_drop_null_branches
    )

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("null")
        return value


class Query(BaseModel):
    """Query-string parameters: strings from the URL; unknown ones are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, json_schema_extra=_drop_null_branches)


class Path(BaseModel):
    """Path parameters, already typed by the route's converters."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# -- path and query parameters ---------------------------------------------------------------


class CounterPath(Path):
    """/counters/<number>/..."""

    number: int = Field(description="Counter number as shown to citizens (Quầy số 3 is 3).")


class TicketPath(Path):
    """/tickets/<ticket_id>/..."""

    ticket_id: str = Field(description="The ticket's opaque id (what its QR code links to).")


class TicketNumberPath(Path):
    """/tickets/by-number/<ticket_number>/..."""

    ticket_number: str = Field(
        description="Today's printed number as a clerk types it: `A002`, `a2`, `002` or `2` "
        "(digits alone: among the fields of a clerk's counter, or of the site for an admin).",
    )


class TokenPath(Path):
    """/tokens/<token_id>..."""

    token_id: int = Field(description="The token's id (GET /tokens, `motcua token list`).")


class SiteQuery(Query):
    """?site=CODE"""

    site: str | None = Field(
        None, max_length=64, description="Site code; the token's site, else the first site."
    )


# -- request bodies --------------------------------------------------------------------------


class Empty(Body):
    """No fields (an empty body or {})."""


class IssueRequest(Body):
    """POST /tickets"""

    service: str = Field(description="Service (field of procedures) code, e.g. HT.")
    priority: bool = Field(False, description="Priority citizen (elderly, disabled, pregnant).")
    print_: bool = Field(
        False, alias="print", description="Print the slip on the site's kiosk printer."
    )
    procedure: str | None = Field(
        None, description="A procedure of the service: its documents go on the slip."
    )
    citizen_id: str | None = Field(
        None,
        description="Phone or ID number, required when the site sets one_ticket_per_citizen; "
        "only a keyed hash is stored.",
    )


class PrintRequest(Body):
    """POST /tickets/<id>/print"""

    procedure: str | None = Field(None, description="Add this procedure's documents.")


class CallRequest(Body):
    """POST /counters/<n>/call"""

    ticket: str = Field(
        description="Today's ticket as a clerk types it (`A012`, `a12`, `012`, `12`: digits "
        "alone among the counter's fields) or its id. A no-show comes back: logged as "
        "returned, then called.",
    )


class CallNextRequest(Body):
    """POST /counters/<n>/call-next"""

    unstarted: Literal["no_show", "complete"] | None = Field(
        None,
        description="What to do with the current ticket when it was called but never "
        "started: the clerk's answer to «đánh dấu Không có mặt?». Left out: the site's "
        "`call_next_unstarted` (`ask` completes it).",
    )


class NoShowRequest(Body):
    """POST /counters/<n>/no-show"""

    requeue: bool = Field(False, description="Put the ticket back in the queue.")


class TransferRequest(Body):
    """POST /counters/<n>/transfer"""

    service: str = Field(description="The service whose queue the ticket moves to.")


def _rating_schema(schema: dict[str, Any]) -> None:
    """A score goes up to its scale: 1-3 unless scale is 5."""
    _drop_null_branches(schema)
    schema["if"] = {"required": ["scale"], "properties": {"scale": {"const": 5}}}
    schema["then"] = {"properties": {"score": {"maximum": 5}}}
    schema["else"] = {"properties": {"score": {"maximum": 3}}}


class RatingRequest(Body):
    """POST /counters/<n>/rating"""

    model_config = ConfigDict(json_schema_extra=_rating_schema)

    score: int = Field(
        description="1..scale; on 3 levels: 3 Rất hài lòng, 2 Hài lòng, 1 Không hài lòng.",
        json_schema_extra={"minimum": 1, "maximum": 5},
    )
    scale: int = Field(3, description="3 or 5 levels.", json_schema_extra={"enum": [3, 5]})


class DeviceReport(Body):
    """One device in an agent's health report."""

    id: str
    state: DeviceState
    kind: str | None = Field(None, exclude_if=_none)
    counter: int | None = Field(None, exclude_if=_none)
    port: str | None = Field(None, exclude_if=_none)
    detail: str | None = Field(None, exclude_if=_none)
    counts: dict[str, int] | None = Field(None, exclude_if=_none)


class AgentHealthRequest(Body):
    """POST /agent/health"""

    name: str | None = Field(None, description="The agent's name (its PC).")
    devices: list[DeviceReport] = Field(description="At most the first 100 are kept.")

    @field_validator("devices", mode="before")
    @classmethod
    def _first_hundred(cls, value: Any) -> Any:
        return value[:100] if isinstance(value, list) else value


class TicketRatingRequest(Body):
    """POST /tickets/<id>/rating: the citizen's tap on the status page (3 levels)."""

    score: int = Field(
        description="3 Rất hài lòng, 2 Hài lòng, 1 Không hài lòng (the levels of the counter "
        "pads' 3-button scale).",
        json_schema_extra={"minimum": 1, "maximum": 3},
    )


class TokenRequest(Body):
    """POST /tokens"""

    role: TokenRole = Field(
        description="kiosk, display, counter (a counter PC: it only says which counter it "
        "is), agent (a device agent), admin, or clerk (a counter's shared code, from before "
        "staff accounts)."
    )
    name: str = Field(
        min_length=1, max_length=128, description="What or who holds it: «Kiosk sảnh tầng 1»."
    )
    site: str | None = Field(
        None, max_length=64,
        description="Site code; `*` for every site (admin tokens, by an admin of every "
        "site). Left out: the caller's site (an admin of every site: the first site).",
    )  # fmt: skip
    counter: int | None = Field(None, description="Its counter (clerk and counter tokens).")
    counters: list[int] | None = Field(
        None, description="An agent's counters; left out: every counter of its site."
    )
    expires_at: str | None = Field(
        None, max_length=64,
        description="When it stops working: ISO 8601 with its offset, e.g. "
        "2027-01-31T00:00:00+07:00; left out: never.",
    )  # fmt: skip


class DeviceSignIn(Body):
    """POST /device"""

    token: str = Field(max_length=200, description="The device's code, as typed.")


class PrinterFaultRequest(Body):
    """POST /_test/printer-fault"""

    fault: str | None = Field(None, description="A fault code; omitted: clear the fault.")


# -- responses -------------------------------------------------------------------------------


class Out(BaseModel):
    """A response shape."""

    model_config = ConfigDict(frozen=True)


class ErrorDetail(Out):
    code: str = Field(description="Machine code, stable (e.g. unknown_service).")
    message: str = Field(description="Vietnamese, for people.")
    message_en: str = Field(description="English.")


class Error(Out):
    """Every 4xx (and the rare 5xx) answer."""

    error: ErrorDetail


class PublicTicket(Out):
    """A ticket as anonymous readers get it (/display, /queue, waiting lists): TICKET without
    `id` and `status_url`, since a ticket's id is the secret behind its status page."""

    number: str = Field(examples=["A012", "1012"])
    service: str
    service_name: str
    status: TicketStatus
    status_text: str = Field(description="Vietnamese status label.")
    priority: bool
    ahead: int | None = Field(description="People ahead, when waiting.")
    issued_at: str = Field(json_schema_extra={"format": "date-time"})
    called_at: str | None = Field(json_schema_extra={"format": "date-time"})
    counter: int | None
    counter_name: str | None
    site: str
    transferred_from: str | None = Field(description="The service it was issued for.")


class Ticket(PublicTicket):
    """TICKET of the public contract, plus Vietnamese labels for screens: for the holder of
    its id and for staff."""

    id: str = Field(description="Opaque and unguessable; the QR code links to it.")
    status_url: str = Field(description="The ticket's status page (the QR code's link).")


class CounterRef(Out):
    """A counter as events name it: {number, name}."""

    number: int
    name: str


class ClerkRef(Out):
    """The staff member a counter is open with, as the public sees them at the counter:
    their account's username and full name (Vietnamese centres show the officer's name)."""

    username: str
    name: str


class CounterStateRef(CounterRef):
    """A counter and whether it takes citizens: {number, name, state, state_text, opened_today,
    clerk}.

    A counter is `closed` until a clerk opens it each day (or its first call does).
    """

    state: CounterState
    state_text: str = Field(
        description="Vietnamese state label: a closed counter is «Chưa mở» until opened "
        "today, «Đã đóng quầy» once closed for the day."
    )
    opened_today: bool = Field(
        description="Whether it has been opened today; with `closed`, tells «Chưa mở» "
        "(false) from «Đã đóng quầy» (true)."
    )
    clerk: ClerkRef | None = Field(
        description="The staff member it is open (or paused) with, signed in with their "
        "account; null when closed, or opened with a counter's device code."
    )


class CounterNow(CounterStateRef):
    """A counter with its state and the ticket it holds."""

    ticket: Ticket | None


class SnapshotCounter(CounterStateRef):
    """A counter as the lobby sees it: its state, the ticket it holds, its services."""

    ticket: PublicTicket | None
    services: list[str]


class Announcement(Out):
    """What the loudspeaker says for a call."""

    text: str = Field(description="The sentence as spoken, number and counter in words.")
    text_en: str
    audio_url: str | None = Field(description="The call's audio; null while voice is off.")


AnnounceAt = Annotated[
    str,
    Field(
        json_schema_extra={"format": "date-time"},
        description="When the call's announcement starts, on the server's clock (ISO 8601 with "
        "milliseconds): the call takes the lobby's main panel then, and the screen with the "
        "loudspeaker plays its audio then. Calls made while another is being read wait their "
        "turn, one after another per site.",
    ),
]
AnnounceMs = Annotated[
    int,
    Field(
        ge=0,
        description="How long the announcement lasts in ms (its audio, or an estimate when "
        "voice is off); the next call's starts when it ends.",
    ),
]
ServerTime = Annotated[
    str,
    Field(
        json_schema_extra={"format": "date-time"},
        description="The server's clock (ISO 8601 with milliseconds), the one `announce_at` "
        "is on: a screen computes its clock's offset from it.",
    ),
]


class AnnouncingCall(Out):
    """A call whose announcement is being read or waits its turn ("Đang chờ đọc")."""

    ticket: PublicTicket
    counter: CounterRef
    announcement: Announcement
    recall: bool
    seq: int = Field(description="The seq of its `ticket.called` event.")
    announce_at: AnnounceAt
    announce_ms: AnnounceMs


class SiteRef(Out):
    code: str
    name: str
    notice: str


class ServiceRef(Out):
    code: str
    name: str
    name_en: str


class Snapshot(Out):
    """SNAPSHOT: the lobby at one moment."""

    epoch: str = Field(description="Changes whenever the sequence restarts.")
    seq: int = Field(description="Seq of the last event included.")
    site: SiteRef
    time: str | None = Field(json_schema_extra={"format": "date-time"})
    counters: list[SnapshotCounter]
    waiting: dict[str, int] = Field(description="{service code: tickets waiting}.")
    services: list[ServiceRef]
    recent: list[PublicTicket]
    server_time: ServerTime
    announcing: list[AnnouncingCall] = Field(
        description="Calls whose announcement has not ended, in slot order: the one being read "
        "and those waiting to be read."
    )


class PrintResult(Out):
    """How printing a slip went; a fault never loses the ticket."""

    ok: bool
    error_code: PrinterFault | None
    message: str
    message_en: str
    job_id: str | None
    paper_low: bool
    mode: Literal["browser"] | None = Field(
        None, exclude_if=_none, description="browser: the kiosk prints slip_url itself."
    )
    slip_url: str | None = Field(None, exclude_if=_none, description="The HTML slip to print.")


class Issued(Out):
    """A ticket with its estimated wait and, when asked, how printing went."""

    ticket: Ticket
    estimate_minutes: int | None
    print_: PrintResult | None = Field(None, alias="print")


class RatingOffer(Out):
    """Whether the ticket's status page offers the rating, and the rating recorded."""

    offered: bool = Field(
        description="Ratings are on for the site (`status_rating`), the ticket was served in "
        "the last 24 hours, and it has no rating yet."
    )
    score: int | None = Field(description="The rating recorded (from any channel), or null.")
    scale: int | None = Field(description="Its scale (3 or 5), or null.")


class TicketStatusAnswer(Issued):
    """A ticket for the holder of its id: with its estimated wait and its rating."""

    rating: RatingOffer


class TicketAnswer(Out):
    """{"ticket": TICKET or null}"""

    ticket: Ticket | None


class Waiting(Out):
    tickets: list[Ticket] | list[PublicTicket] = Field(
        description="Full tickets for the counter's clerk and the site's admins; the public "
        "shape for anyone else."
    )


class Rating(Out):
    score: int
    scale: int


class Rated(Out):
    ticket: Ticket
    rating: Rating


class CounterAnswer(Out):
    counter: CounterNow


class Procedure(Out):
    name: str
    documents: list[str]


class ServiceInfo(Out):
    code: str
    name: str
    name_en: str
    prefix: str
    first_number: str
    last_number: str
    open: bool
    hours: str
    daily_cap: int | None
    remaining: int | None = Field(description="Numbers left today under the cap.")
    icon: str
    procedures: list[Procedure]
    counters: list[int] = Field(
        description="Numbers of the counters that serve this field (from the configuration)."
    )
    waiting_area: str = Field(description='Where its citizens wait; "" when not configured.')


class Services(Out):
    site: str
    services: list[ServiceInfo]


class LogEntry(Out):
    kind: EventKind
    at: str = Field(json_schema_extra={"format": "date-time"})
    counter: int | None
    actor: str = Field(
        description="Who acted: the counter's name for an action at a counter, else the role "
        "(kiosk, admin, ...); never a token or a person."
    )
    staff: str | None = Field(
        None,
        description="The staff account that acted (`role@username`), shown only to a "
        "supervisor or an administrator of the ticket's site; null otherwise (and for "
        "devices' tokens).",
    )
    service: str
    detail: str


class TicketLog(Out):
    """A ticket's log and the times derived from it."""

    events: list[LogEntry]
    wait_seconds: float | None
    service_seconds: float | None
    calls: int


class Health(Out):
    status: Literal["ok"]


class PrinterState(Out):
    site: str
    printer: str
    ok: bool | None
    error_code: PrinterFault | None
    message: str
    message_en: str
    at: str | None
    jobs: int
    failures: int


class Printers(Out):
    printers: list[PrinterState]


class AgentOut(Out):
    name: str
    site: str | None
    reported_at: str
    age_seconds: float
    devices: list[DeviceReport]


class Devices(Out):
    agents: list[AgentOut]


class Stored(Out):
    ok: Literal[True]


class CounterStats(Out):
    served: int
    no_show: int
    avg_service_seconds: float | None


class Dropping(Out):
    dropping: int


class FaultSet(Out):
    fault: str | None


class Disconnected(Out):
    disconnected: int


OpenApiDocument = Annotated[dict[str, Any], "the OpenAPI 3.1 document"]


# -- staff accounts and sessions ---------------------------------------------------------


class SessionRequest(Body):
    """A staff member signs in (POST /api/v1/session)."""

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]
    counter: Annotated[int, Field(ge=1)] | None = Field(
        None,
        description="The counter a clerk works at (one of theirs); a supervisor or admin "
        "may leave it out.",
    )
    handover: bool = Field(
        False,
        description="Đổi ca: take over `counter` while it is open with another clerk (it "
        "stays open, now with you; their session there ends). Without it such a sign-in is "
        "409 `counter_taken` naming that clerk.",
    )


class CounterChoice(Body):
    """A signed-in staff member picks the counter they work at (POST /api/v1/session/counter)."""

    counter: Annotated[int, Field(ge=1)]
    handover: bool = Field(
        False, description="Đổi ca: take over the counter from the clerk it is open with."
    )


class StaffUser(Out):
    """A staff account as others see it: never its password."""

    username: str
    name: str
    role: Literal["admin", "supervisor", "clerk"]
    site: str = Field(description='Its site\'s code; "*": every site (admins only).')
    counters: list[int] | None = Field(
        description="A clerk's counters; null: every counter of the site."
    )


class SessionAnswer(Out):
    """Who signed in, and at which counter (the session cookie comes with it)."""

    user: StaffUser
    counter: int | None
    csrf_token: str = Field(description="Send it back as `X-CSRF-Token` on every change.")


class Me(Out):
    """The signed-in staff member (GET /api/v1/me)."""

    user: StaffUser
    counter: int | None
    csrf_token: str


# -- staff accounts administered (web.users_api) ------------------------------------------

Role = Literal["admin", "supervisor", "clerk"]
UserState = Literal["active", "locked", "inactive"]
Username = Annotated[str, Field(min_length=1, max_length=64)]
Password = Annotated[str, Field(min_length=1, max_length=256)]
FullName = Annotated[str, Field(max_length=128)]
CounterNumbers = Annotated[list[Annotated[int, Field(ge=1)]], Field(max_length=100)]


class UserPath(Path):
    """/users/<username>/..."""

    username: str = Field(description="The account's sign-in name.")


class AccountOut(StaffUser):
    """An account as the admin pages list it: its state too, never its password."""

    state: UserState = Field(
        description="active (Đang hoạt động), locked after wrong passwords or by an admin "
        "(Đã khóa), inactive (Ngừng hoạt động)."
    )
    failed_logins: int = Field(description="Wrong passwords in a row since the last success.")


class Accounts(Out):
    """Accounts of the caller's site(s), oldest first."""

    users: list[AccountOut]


class AccountAnswer(Out):
    """One account after a change."""

    user: AccountOut


class UserCreateRequest(Body):
    """A new account (POST /api/v1/users)."""

    username: Username
    name: FullName = ""
    role: Role
    site: Annotated[str, Field(min_length=1, max_length=16)] | None = Field(
        None, description='Site code (default: the caller\'s); "*": every site (admins only).'
    )
    counters: CounterNumbers | None = Field(
        None, description="A clerk's counters; left out: every counter of the site."
    )
    password: Password = Field(description="The first password (at least 8 characters).")


class UserUpdateRequest(Body):
    """What to change in an account (PATCH /api/v1/users/<username>); left out: kept."""

    name: FullName | None = None
    role: Role | None = None
    counters: CounterNumbers | None = Field(
        None, description="A clerk's counters; [] for every counter of the site."
    )
    active: bool | None = Field(None, description="false: the account may not sign in.")


class PasswordRequest(Body):
    """A new password, set by an administrator (the account's sessions end)."""

    password: Password


# -- the audit log (web.audit_api) ---------------------------------------------------------


class AuditQuery(Query):
    """Filters and paging of GET /api/v1/audit."""

    from_: str | None = Field(
        None, alias="from", max_length=10, description="First day, YYYY-MM-DD (site's time)."
    )
    to: str | None = Field(
        None, max_length=10, description="Last day included, YYYY-MM-DD (site's time)."
    )
    actor: str | None = Field(None, max_length=64, description="Exactly, e.g. `admin@lan`.")
    action: str | None = Field(None, max_length=48, description="An action code.")
    site: str | None = Field(
        None, max_length=64, description="One site (an all-sites admin: any; default: all)."
    )
    q: str | None = Field(None, max_length=128, description="Part of the target (`A004`).")
    limit: int = Field(100, ge=1, le=500, description="Rows per page, at most 500.")
    before_id: int | None = Field(
        None, ge=1, description="The cursor: rows older than this id (next_before_id)."
    )


class AuditEntryOut(Out):
    """One audit row: who did what to what, when and from where, before and after."""

    id: int
    at: str = Field(description="ISO 8601 in the site's time zone.")
    site: str
    actor: str = Field(description="`role@username` for a person, `role#id:name` for a token.")
    role: str
    address: str = Field(description="The caller's network address.")
    action: str = Field(description="Action code, e.g. ticket.cancel, user.lock.")
    action_label: str = Field(description="The action in Vietnamese words.")
    target: str = Field(description="e.g. `ticket A004`, `counter 3`, `user lan`.")
    before: Any = Field(description="What it was (JSON), null when nothing.")
    after: Any = Field(description="What it became (JSON), null when nothing.")


class AuditPage(Out):
    """A page of the audit log, newest first."""

    entries: list[AuditEntryOut]
    next_before_id: int | None = Field(description="Pass as before_id for the next page.")


# -- the queue's corrections for supervisors (web.corrections_api) -------------------------


class ForceCloseAnswer(Out):
    """The counter, closed and open with nobody, and the ticket it held as it ended."""

    counter: CounterNow
    ticket: Ticket | None = Field(
        description="The ticket it held: returned to its field's queue when called, "
        "completed when being served; null when it held none."
    )


class DayFieldsRequest(Body):
    """A counter's fields for the rest of today, in calling order."""

    services: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=16)]], Field(min_length=1, max_length=50)
    ]
    policy: CallingPolicy | None = Field(
        None, strict=False, description="How it picks among them today (default: as it was)."
    )  # strict=False: the enum from its JSON string


class DayFieldsAnswer(Out):
    """The counter's fields and policy for today."""

    number: int
    services: list[str]
    policy: CallingPolicy
    day: str = Field(description="The local day they hold for (YYYY-MM-DD).")


class TokenOut(Out):
    """A device token as administrators see it (never the token itself, nor its hash)."""

    id: int
    role: TokenRole
    name: str
    site: str = Field(description="Site code; `*`: every site (admin tokens).")
    counter: int | None = Field(description="Its counter (clerk and counter tokens).")
    counters: list[int] | None = Field(
        description="An agent's counters; null: every counter of its site."
    )
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    expires_at: str | None = Field(json_schema_extra={"format": "date-time"})
    revoked_at: str | None = Field(json_schema_extra={"format": "date-time"})
    last_used_at: str | None = Field(
        description="Its last use, noted at most once a minute (so up to a minute old).",
        json_schema_extra={"format": "date-time"},
    )
    last_used_from: str | None = Field(description="The address it was last used from.")
    state: TokenState


class Tokens(Out):
    """GET /tokens"""

    tokens: list[TokenOut]


class TokenAnswer(Out):
    """A token after a change (DELETE /tokens/<id>)."""

    token: TokenOut


class TokenIssued(Out):
    """A new token: the only time its secret is ever shown."""

    token: TokenOut
    secret: str = Field(description="The token in clear; not kept, shown this once.")
    open_url: str | None = Field(
        description="The page to open on the device, with the token (the page moves it into "
        "a cookie at once); null for an agent (`motcua agent --token`)."
    )


class DeviceAnswer(Out):
    """Which device this is: its token's role, site, counter and name."""

    role: str = Field(description="The token's role (a staff session: the person's role).")
    site: str
    counter: int | None = Field(description="A counter PC's or clerk code's counter.")
    name: str
    expires_at: str | None = Field(json_schema_extra={"format": "date-time"})
