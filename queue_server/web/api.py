"""HTTP API v1 (../shared/docs/contract.md): parse, call the desk, render."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, jsonify, make_response, request
from flask.typing import ResponseReturnValue

from ..auth import Principal
from ..desk import QueueDesk, TicketView
from ..domain.errors import DomainError, ErrorKind, Invalid
from ..domain.model import CounterState, Site
from ..domain.timing import timing
from .errors import STATUS, error_response
from .openapi import openapi_document
from .serialize import counter_ref, print_json, service_json, ticket_json, view_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])

TYPE_NAMES = {bool: "true/false", str: "a string", int: "an integer"}


def desk() -> QueueDesk:
    """The app's queue desk."""
    return current_app.extensions["motcua"].desk  # type: ignore[no-any-return]


def base_url() -> str:
    """Where status pages live: the configured public URL or this request's root."""
    public = current_app.extensions["motcua"].config.server.public_url
    return public or request.url_root


def body(fields: dict[str, type], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON object of the request, checked field by field; empty body means {}."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        data: Any = {}
    else:
        if request.mimetype not in ("application/json", "") and not request.is_json:
            raise DomainError(
                "unsupported_media_type",
                "Dữ liệu phải ở dạng JSON.",
                "Send application/json.",
                ErrorKind.INVALID,
            )
        try:
            data = request.get_json(force=True, silent=True)
            # Lone surrogates ("\ud800") parse but can be neither stored nor echoed as UTF-8.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (RecursionError, UnicodeEncodeError):  # [[[[... within the size limit
            data = None
        if data is None:
            raise Invalid("malformed_json", "Dữ liệu JSON không hợp lệ.", "Malformed JSON body.")
    if not isinstance(data, dict):
        raise Invalid(
            "invalid_body", "Dữ liệu phải là một đối tượng JSON.", "The body must be a JSON object."
        )
    for key, value in data.items():
        if key not in fields:
            raise Invalid(
                "unknown_field", f"Trường không hợp lệ: '{key}'.", f"Unknown field '{key}'."
            )
        expected = fields[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise Invalid(
                "invalid_field",
                f"Trường '{key}' phải là {TYPE_NAMES.get(expected, expected.__name__)}.",
                f"Field '{key}' must be {TYPE_NAMES.get(expected, expected.__name__)}.",
            )
    for key in required:
        if key not in data:
            raise Invalid("missing_field", f"Thiếu trường '{key}'.", f"Missing field '{key}'.")
    return data


def principal() -> Principal:
    """The caller, from the Authorization: Bearer header (401 when missing or unknown)."""
    if "principal" in g:
        return g.principal  # type: ignore[no-any-return]
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    found: Principal | None = current_app.extensions["motcua"].verify(token) if token else None
    if found is None:
        raise DomainError(
            "unauthorized" if token else "missing_token",
            "Mã truy cập không hợp lệ." if token else "Cần mã truy cập.",
            "Invalid bearer token." if token else "A bearer token is required.",
            ErrorKind.UNAUTHORIZED,
        )
    g.principal = found
    return found


KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _idempotent(
    who: Principal, key: str, run: Callable[[], ResponseReturnValue]
) -> ResponseReturnValue:
    """Answer a retried request (same Idempotency-Key) with the first answer, never twice."""
    if not KEY_RE.match(key):
        raise Invalid(
            "invalid_idempotency_key",
            "Khóa Idempotency-Key không hợp lệ (1–64 ký tự chữ, số, _ . : -).",
            "Idempotency-Key must be 1-64 characters of letters, digits, _ . : -.",
        )
    store = current_app.extensions["motcua"].idempotency
    with store.lock(who.token_id, key):
        try:
            kept = store.get(who.token_id, key, request.method, request.path)
        except ValueError as err:
            raise DomainError(
                "idempotency_key_reused",
                "Khóa Idempotency-Key đã dùng cho một yêu cầu khác.",
                "This Idempotency-Key was used for another request.",
                ErrorKind.CONFLICT,
            ) from err
        if kept is not None:
            replay = current_app.response_class(kept.body, kept.status, mimetype="application/json")
            replay.headers["Idempotent-Replay"] = "true"
            return replay
        try:
            response = make_response(run())
        except DomainError as err:
            response = error_response(err.code, err.message, err.message_en, STATUS[err.kind])
        if response.status_code < 500:
            store.put(
                who.token_id, key, request.method, request.path, response.status_code,
                response.get_data(as_text=True),
            )  # fmt: skip
        return response


def forbidden(what: str) -> DomainError:
    """403 naming what the caller may not do."""
    return DomainError(
        "forbidden", f"Không có quyền {what}.", f"Not allowed: {what}.", ErrorKind.FORBIDDEN
    )


def requires(*roles: str) -> Callable[[F], F]:
    """Allow only tokens of these roles; clerks only at their own counter."""

    def wrap(view: F) -> F:
        @wraps(view)
        def inner(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            who = principal()
            if who.role not in roles:
                raise forbidden(f"cho vai trò {who.role}")
            number = kwargs.get("number")
            if who.role == "clerk" and number is not None and who.counter != number:
                raise forbidden(f"thao tác trên quầy số {number} (mã này của quầy {who.counter})")
            key = request.headers.get("Idempotency-Key")
            if key is not None and request.method == "POST":
                return _idempotent(who, key, lambda: view(*args, **kwargs))
            return view(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


def site() -> Site:
    """The site a request acts on: ?site=, else the token's, else the default."""
    code = request.args.get("site")
    if code is None and "principal" in g:
        code = g.principal.site
    chosen = desk().site(code)
    if "principal" in g and g.principal.role != "admin" and g.principal.site != chosen.code:
        raise forbidden(f"tại điểm {chosen.code}")
    return chosen


def ticket_response(view: TicketView | None, status: int = 200) -> ResponseReturnValue:
    """{"ticket": TICKET or null}."""
    if view is None:
        return jsonify({"ticket": None}), status
    s = desk().site(view.ticket.site)
    return jsonify({"ticket": view_json(view, s, base_url())}), status


COUNTER_ROLES = ("clerk", "agent", "admin")


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Liveness."""
    return jsonify({"status": "ok"})


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The machine-readable contract."""
    return jsonify(openapi_document())


@bp.get("/services")
def services() -> ResponseReturnValue:
    """The site's services and whether each takes tickets now."""
    s = site()
    now = desk().clock.now()
    left = desk().remaining_today(s)
    return jsonify(
        {"site": s.code, "services": [service_json(x, s, now, left[x.code]) for x in s.services]}
    )


@bp.get("/queue")
def queue() -> ResponseReturnValue:
    """SNAPSHOT of the lobby."""
    broadcaster = current_app.extensions["motcua"].broadcaster
    return jsonify(broadcaster.snapshot(site().code))


@bp.post("/tickets")
@requires("kiosk", "admin")
def issue() -> ResponseReturnValue:
    """Issue a ticket; committed first, then (with "print": true) printed on the kiosk printer."""
    data = body(
        {"service": str, "priority": bool, "print": bool, "procedure": str, "citizen_id": str},
        required=("service",),
    )
    s = site()
    who = principal()
    ext = current_app.extensions["motcua"]
    if who.role == "kiosk" and not ext.limiter.allow(who.token_id):
        raise DomainError(
            "rate_limited",
            "Kiosk đang lấy số quá nhanh. Vui lòng chờ giây lát rồi thử lại.",
            "Too many tickets from this kiosk; wait a moment.",
            ErrorKind.TOO_MANY,
        )
    procedure = data.get("procedure")
    if procedure is not None:
        ext.printing.check_procedure(s, data["service"], procedure)
    view = desk().issue(
        data["service"],
        priority=data.get("priority", False),
        site_code=s.code,
        actor=who.actor,
        citizen_id=data.get("citizen_id"),
    )
    printed = None
    if data.get("print", False):
        slip = ext.printing.slip(view, s, base_url(), procedure)
        printed = print_json(ext.printing.print(s, slip))
        if ext.printing.by_browser(s):
            printed["mode"] = "browser"
            printed["slip_url"] = slip_url(view.ticket.id, procedure)
    return jsonify(
        {
            "ticket": view_json(view, s, base_url()),
            "estimate_minutes": desk().estimate(view),
            "print": printed,
        }
    ), 201


@bp.post("/tickets/<ticket_id>/print")
@requires("kiosk", "admin")
def print_ticket(ticket_id: str) -> ResponseReturnValue:
    """Print a ticket's slip again (after a printer fault)."""
    data = body({"procedure": str})
    view = desk().get(ticket_id)
    s = desk().site(view.ticket.site)
    if principal().site != s.code and principal().role != "admin":
        raise forbidden(f"tại điểm {s.code}")
    ext = current_app.extensions["motcua"]
    slip = ext.printing.slip(view, s, base_url(), data.get("procedure"))
    printed = print_json(ext.printing.print(s, slip))
    if ext.printing.by_browser(s):
        printed.update(mode="browser", slip_url=slip_url(view.ticket.id, data.get("procedure")))
    return jsonify({"ticket": view_json(view, s, base_url()), "print": printed})


def slip_url(ticket_id: str, procedure: str | None) -> str:
    """The HTML slip of a ticket, for kiosks printing through the browser."""
    query = f"?{urlencode({'procedure': procedure})}" if procedure else ""
    return f"/t/{ticket_id}/slip{query}"


@bp.get("/printers")
@requires("clerk", "agent", "admin")
def printers() -> ResponseReturnValue:
    """Each site's kiosk printer: last result, fault, jobs and failures (for staff)."""
    states = current_app.extensions["motcua"].printing.states.values()
    return jsonify(
        {
            "printers": [
                {
                    "site": st.site,
                    "printer": st.url,
                    "ok": st.ok,
                    "error_code": st.error_code,
                    "message": st.message,
                    "message_en": st.message_en,
                    "at": st.at.isoformat() if st.at else None,
                    "jobs": st.jobs,
                    "failures": st.failures,
                }
                for st in states
            ]
        }
    )


@bp.get("/tickets/<ticket_id>")
def get_ticket(ticket_id: str) -> ResponseReturnValue:
    """A ticket by its unguessable id, with the estimated wait while it waits."""
    view = desk().get(ticket_id)
    s = desk().site(view.ticket.site)
    return jsonify(
        {"ticket": view_json(view, s, base_url()), "estimate_minutes": desk().estimate(view)}
    )


@bp.get("/tickets/<ticket_id>/events")
def ticket_log(ticket_id: str) -> ResponseReturnValue:
    """A ticket's log and the waiting and handling times derived from it."""
    events = desk().history(ticket_id)
    s = desk().site(desk().get(ticket_id).ticket.site)
    t = timing(events)
    return jsonify(
        {
            "events": [
                {
                    "kind": e.kind.value,
                    "at": e.at.astimezone(s.tz).isoformat(timespec="milliseconds"),
                    "counter": e.counter,
                    "actor": e.actor,
                    "service": e.service,
                    "detail": e.detail,
                }
                for e in events
            ],
            "wait_seconds": t.wait_seconds,
            "service_seconds": t.service_seconds,
            "calls": t.calls,
        }
    )


@bp.post("/tickets/<ticket_id>/return")
@requires("clerk", "admin")
def return_ticket(ticket_id: str) -> ResponseReturnValue:
    """Put a no-show ticket back in the queue."""
    body({})
    return ticket_response(desk().return_ticket(ticket_id, actor=principal().actor))


@bp.post("/tickets/<ticket_id>/cancel")
@requires("clerk", "admin")
def cancel_ticket(ticket_id: str) -> ResponseReturnValue:
    """Cancel a ticket."""
    body({})
    return ticket_response(desk().cancel(ticket_id, actor=principal().actor))


@bp.post("/counters/<int:number>/call-next")
@requires(*COUNTER_ROLES)
def call_next(number: int) -> ResponseReturnValue:
    """Complete the current ticket and call the next one."""
    body({})
    return ticket_response(desk().call_next(number, site_code=site().code, actor=principal().actor))


@bp.post("/counters/<int:number>/call")
@requires(*COUNTER_ROLES)
def call_specific(number: int) -> ResponseReturnValue:
    """Call a specific ticket by number (today) or id."""
    data = body({"ticket": str}, required=("ticket",))
    view = desk().call_ticket(
        number, data["ticket"], site_code=site().code, actor=principal().actor
    )
    return ticket_response(view)


@bp.post("/counters/<int:number>/recall")
@requires(*COUNTER_ROLES)
def recall(number: int) -> ResponseReturnValue:
    """Announce the current ticket again."""
    body({})
    return ticket_response(desk().recall(number, site_code=site().code, actor=principal().actor))


@bp.post("/counters/<int:number>/start")
@requires(*COUNTER_ROLES)
def start(number: int) -> ResponseReturnValue:
    """The citizen arrived; start serving."""
    body({})
    return ticket_response(desk().start(number, site_code=site().code, actor=principal().actor))


@bp.post("/counters/<int:number>/complete")
@requires(*COUNTER_ROLES)
def complete(number: int) -> ResponseReturnValue:
    """The current ticket is done."""
    body({})
    return ticket_response(desk().complete(number, site_code=site().code, actor=principal().actor))


@bp.post("/counters/<int:number>/no-show")
@requires(*COUNTER_ROLES)
def no_show(number: int) -> ResponseReturnValue:
    """The called citizen did not come; `requeue` puts the ticket back in the queue."""
    data = body({"requeue": bool})
    view = desk().no_show(
        number,
        site_code=site().code,
        actor=principal().actor,
        requeue=data.get("requeue", False),
    )
    return ticket_response(view)


@bp.post("/counters/<int:number>/transfer")
@requires(*COUNTER_ROLES)
def transfer(number: int) -> ResponseReturnValue:
    """Move the current ticket to another service's queue."""
    data = body({"service": str}, required=("service",))
    view = desk().transfer(number, data["service"], site_code=site().code, actor=principal().actor)
    return ticket_response(view)


@bp.post("/counters/<int:number>/rating")
@requires(*COUNTER_ROLES)
def rating(number: int) -> ResponseReturnValue:
    """The citizen's satisfaction score (a rating pad or the console): {"score", "scale"}."""
    data = body({"score": int, "scale": int}, required=("score",))
    score, scale = data["score"], data.get("scale", 3)
    view = desk().rate(number, score, scale, site_code=site().code, actor=principal().actor)
    s = desk().site(view.ticket.site)
    return jsonify(
        {"ticket": view_json(view, s, base_url()), "rating": {"score": score, "scale": scale}}
    )


def _state(number: int, state: CounterState) -> ResponseReturnValue:
    body({})
    view = desk().set_counter_state(number, state, site_code=site().code, actor=principal().actor)
    s = desk().site(site().code)
    return jsonify(
        {
            "counter": {
                **counter_ref(view.counter, view.state),
                "ticket": ticket_json(view.ticket, s, base_url()) if view.ticket else None,
            }
        }
    )


@bp.post("/counters/<int:number>/pause")
@requires(*COUNTER_ROLES)
def pause(number: int) -> ResponseReturnValue:
    """Pause the counter ("Tạm dừng")."""
    return _state(number, CounterState.PAUSED)


@bp.post("/counters/<int:number>/resume")
@requires(*COUNTER_ROLES)
def resume(number: int) -> ResponseReturnValue:
    """Open the counter again ("Tiếp tục")."""
    return _state(number, CounterState.OPEN)


@bp.post("/counters/<int:number>/close")
@requires(*COUNTER_ROLES)
def close(number: int) -> ResponseReturnValue:
    """Close the counter for the day."""
    return _state(number, CounterState.CLOSED)


@bp.get("/counters/<int:number>/waiting")
def waiting(number: int) -> ResponseReturnValue:
    """Who waits for this counter's services, in the order it would call them."""
    s = site()
    views = desk().waiting_for(s.code, number)
    return jsonify({"tickets": [view_json(v, s, base_url()) for v in views]})


DEVICE_STATES = ("ok", "error", "disconnected")
DEVICE_FIELDS: dict[str, type] = {
    "id": str, "kind": str, "state": str, "counter": int, "port": str, "detail": str,
    "counts": dict,
}  # fmt: skip


@bp.post("/agent/health")
@requires("agent")
def agent_health() -> ResponseReturnValue:
    """A device agent reports its devices: {"name", "devices": [{id, kind, state, ...}]}."""
    data = body({"name": str, "devices": list}, required=("devices",))
    devices: list[dict[str, Any]] = []
    for i, raw in enumerate(data["devices"][:100]):
        if not isinstance(raw, dict):
            raise Invalid(
                "invalid_field", f"devices[{i}] phải là đối tượng.", f"devices[{i}]: object"
            )
        for k, v in raw.items():
            expected = DEVICE_FIELDS.get(k)
            if expected is None or not isinstance(v, expected) or isinstance(v, bool):
                raise Invalid(
                    "invalid_field", f"Trường devices[{i}].{k} không hợp lệ.",
                    f"devices[{i}].{k} is unknown or has the wrong type.",
                )  # fmt: skip
        if not isinstance(raw.get("id"), str) or raw.get("state") not in DEVICE_STATES:
            raise Invalid(
                "invalid_field", f"devices[{i}] cần 'id' và 'state' (ok/error/disconnected).",
                f"devices[{i}] needs id and state (ok, error, disconnected).",
            )  # fmt: skip
        devices.append(raw)
    who = principal()
    current_app.extensions["motcua"].agents.report(
        who.token_id, data.get("name", who.name), who.site, devices
    )
    return jsonify({"ok": True})


@bp.get("/devices")
@requires("clerk", "agent", "admin")
def devices() -> ResponseReturnValue:
    """Every agent's devices and how long ago it reported (staff see faults here)."""
    now = desk().clock.now()
    reports = current_app.extensions["motcua"].agents.all()
    return jsonify(
        {
            "agents": [
                {
                    "name": r.name,
                    "site": r.site,
                    "reported_at": r.at.isoformat(),
                    "age_seconds": round((now - r.at).total_seconds(), 1),
                    "devices": r.devices,
                }
                for r in reports
            ]
        }
    )


@bp.get("/counters/<int:number>/stats")
@requires(*COUNTER_ROLES)
def counter_stats(number: int) -> ResponseReturnValue:
    """Today's figures for the counter (served, no-shows, average handling seconds)."""
    return jsonify(desk().counter_stats(site().code, number))


def _test_hooks() -> Any:
    ext = current_app.extensions["motcua"]
    if not ext.config.server.test_hooks:
        raise DomainError("not_found", "Không tìm thấy.", "Not found.", ErrorKind.NOT_FOUND)
    return ext


@bp.post("/_test/drop-next-event")
def drop_next_event() -> ResponseReturnValue:
    """Test hook (MOTCUA_TEST_HOOKS=1 only): lose the next display event on purpose."""
    _test_hooks().broadcaster.drop_next(1)
    return jsonify({"dropping": 1})


@bp.post("/_test/printer-fault")
def printer_fault() -> ResponseReturnValue:
    """Test hook (MOTCUA_TEST_HOOKS=1 only): make simulated printers fail; {} clears the fault."""
    ext = _test_hooks()
    fault = body({"fault": str}).get("fault")
    for printer in ext.printing.printers():
        if hasattr(printer, "set_fault"):
            printer.set_fault(fault)
    return jsonify({"fault": fault})


@bp.post("/_test/disconnect-displays")
def disconnect_displays() -> ResponseReturnValue:
    """Test hook (MOTCUA_TEST_HOOKS=1 only): the server drops every /display connection."""
    count = _test_hooks().broadcaster.disconnect_all()
    return jsonify({"disconnected": count})
