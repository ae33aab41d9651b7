"""Routes declared once: method, path, models, roles and error codes in one decorator.

`Api.route` registers the Flask view and records a `Route`; the same record drives the
request handling (path, query and body validated through their pydantic models, roles
checked, idempotency keys honoured) and the OpenAPI document (`web.openapi`). A view gets
its validated `path`, `query` and `body` models and returns a response model.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, make_response, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError

from ..accounts import check_session, csrf_matches
from ..auth import Principal
from ..contract import models as m
from ..contract.messages import Message
from ..domain.errors import DomainError, Invalid
from ..domain.lifecycle import Action
from ..domain.model import Counter, Site, Ticket, TicketStatus
from .device import device_token
from .errors import STATUS, error_response

View = Callable[..., Any]
KEY_RE = re.compile(m.KEY_PATTERN)

# What a value must be, by pydantic's error type, in both languages.
EXPECTED = {
    "string_type": Message("chuỗi ký tự", "a string"),
    "int_type": Message("số nguyên", "an integer"),
    "int_parsing": Message("số nguyên", "an integer"),
    "int_from_float": Message("số nguyên", "an integer"),
    "bool_type": Message("true hoặc false", "true/false"),
    "bool_parsing": Message("true hoặc false", "true/false"),
    "dict_type": Message("đối tượng JSON", "an object"),
    "model_type": Message("đối tượng JSON", "an object"),
    "model_attributes_type": Message("đối tượng JSON", "an object"),
    "list_type": Message("danh sách", "a list"),
    "value_error": Message("một giá trị (không phải null)", "a value, not null"),
}


@dataclass(frozen=True)
class Route:
    """One operation of the API, as declared."""

    method: str
    rule: str
    endpoint: str
    summary: str
    description: str
    response: type[BaseModel] | None
    status: int
    roles: tuple[str, ...]
    path: type[m.Path] | None
    query: type[m.Query] | None
    body: type[m.Body] | None
    errors: tuple[str, ...]
    """Catalogue codes the route may answer, besides validation and token errors."""
    hook: bool = False
    """A test hook (registered only with MOTCUA_TEST_HOOKS)."""
    media: str = "application/json"
    """What a success answers (`text/csv` for an export; errors are always JSON)."""
    idempotent: bool = True
    """Whether an Idempotency-Key is honoured (POST); False when the answer holds a secret
    that must not be kept for replay (a new token)."""


def _field(loc: tuple[int | str, ...]) -> str:
    """('devices', 0, 'state') as devices[0].state."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _expected(error: Any) -> Message:
    kind = error["type"]
    if kind == "literal_error":
        options = error.get("ctx", {}).get("expected", "")
        return Message(f"một trong {options}", f"one of {options}")
    if kind == "string_too_long":
        most = error.get("ctx", {}).get("max_length")
        return Message(f"chuỗi tối đa {most} ký tự", f"a string of at most {most} characters")
    return EXPECTED.get(kind, Message("một giá trị hợp lệ", "a valid value"))


def invalid(err: ValidationError, data: Any, code: str = "invalid_field") -> DomainError:
    """Our 400 for a pydantic error: the first field at fault, in the order it was sent.

    Problems with fields that were sent come first (in their order), missing ones last, as
    a person reading the body from the top would find them.
    """
    order = list(data) if isinstance(data, dict) else []
    errors = err.errors(include_url=False)

    def rank(e: Any) -> tuple[int, int]:
        head = e["loc"][0] if e["loc"] else ""
        if e["type"] == "missing":
            return (2, 0)
        return (0 if head in order else 1, order.index(head) if head in order else 0)

    first = min(errors, key=rank)
    field = _field(first["loc"])
    if first["type"] == "extra_forbidden" and len(first["loc"]) == 1:
        return Invalid("unknown_field", field=field)
    if first["type"] == "missing":
        return Invalid("missing_field", field=field)
    if first["type"] in ("model_type", "dict_type") and not first["loc"]:
        return Invalid("invalid_body")
    if code == "invalid_query":
        return Invalid(code, param=field)
    return Invalid(code, field=field, expected=_expected(first))


def json_body() -> Any:
    """The request's JSON value; an empty body is {}."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if request.mimetype not in ("application/json", "") and not request.is_json:
        raise DomainError("unsupported_media_type")
    try:
        data = request.get_json(force=True, silent=True)
        # Lone surrogates ("\ud800") parse but can be neither stored nor echoed as UTF-8.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (RecursionError, UnicodeEncodeError):  # [[[[... within the size limit
        data = None
    if data is None:
        raise Invalid("malformed_json")
    if not isinstance(data, dict):
        raise Invalid("invalid_body")
    return data


SESSION_COOKIE = "motcua_session"
"""The cookie of a staff member's session (queue_server.accounts)."""
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def principal() -> Principal:
    """The caller: a device's or system's bearer token (Authorization: Bearer, or a page's
    device cookie named by its X-Motcua-Device header, see web.device), else a staff
    member's session cookie. 401 when missing, unknown, revoked, expired or over; both are
    checked against the database on every request.

    A session's state-changing request must carry its CSRF token (the `X-CSRF-Token` header,
    or a form's `csrf_token` field): a cookie is sent by the browser on its own, so a page of
    another site could otherwise act with it. A bearer token is never sent on its own.
    """
    if "principal" in g:
        return g.principal  # type: ignore[no-any-return]
    ext = current_app.extensions["motcua"]
    now = ext.desk.clock.now()
    header = request.headers.get("Authorization", "")
    cookie = request.cookies.get(SESSION_COOKIE)
    device = device_token()  # a page's device cookie, as its bearer token (web.device)
    found: Principal
    if header or device or not cookie:
        token = header[7:].strip() if header[:7].lower() == "bearer " else device
        found = ext.verify(token, now, request.remote_addr or "")
    else:
        found = check_session(ext.db, cookie, now)
        if request.method not in SAFE_METHODS and not csrf_matches(found.csrf, _sent_csrf()):
            raise DomainError("csrf_failed")
    g.principal = found
    return found


def sent_credentials() -> bool:
    """Whether the request carries any sign-in: a bearer header, a page's device cookie or a
    session cookie (whether valid or not: principal() tells)."""
    headers, cookies = request.headers, request.cookies
    return bool(headers.get("Authorization") or device_token() or cookies.get(SESSION_COOKIE))


def _sent_csrf() -> str | None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data",
    ):  # fmt: skip
        sent = request.form.get("csrf_token")
    return sent


def forbidden(what_vi: str, what_en: str) -> DomainError:
    """403 naming what the caller may not do."""
    return DomainError("forbidden", what=Message(what_vi, what_en))


# -- the scope of a token: one rule for every route -------------------------------------
#
# role    site                  counter                   ticket (by id in the path)
# kiosk   its own               -                         its site's
# display its own               -                         -
# clerk   its own               its own                   at its counter (called, serving),
#                                                         or at none or a no-show, for a
#                                                         field its counter serves
# agent   its own               those listed (none: all)  -
# admin   its own, or all sites any                       its site's (all sites: any)


def check_site(who: Principal, code: str) -> None:
    """403 unless the token may act at site `code`."""
    if not who.at_site(code):
        raise DomainError("forbidden_site", own=who.site, site=code)


def check_counter(who: Principal, number: int) -> None:
    """403 unless the token may act on counter `number` (of a site it may act at)."""
    if who.at_counter(number):
        return
    if who.role == "clerk" and who.person:
        if who.counters is not None and number not in who.counters:
            raise DomainError("forbidden_person_counter", username=who.username, counter=number)
        if who.counter is None:
            raise DomainError("no_counter_chosen")
        raise DomainError("other_counter_chosen", own=who.counter, counter=number)
    if who.role == "clerk":
        raise DomainError("forbidden_counter", own=who.counter, counter=number)
    own = ", ".join(str(c) for c in sorted(who.counters or ()))
    raise DomainError("forbidden_agent_counter", own=own, counter=number)


def check_ticket(who: Principal, ticket: Ticket, site: Site) -> None:
    """403 unless the token may act on this ticket: one of its site and, for a clerk,
    waiting, at no counter or a no-show, for a field its counter serves, or at its own
    counter. A no-show belongs to its field again: the citizen who comes back may go to any
    counter serving it (as `POST /counters/<n>/call` already lets them)."""
    check_site(who, ticket.site)
    if who.role != "clerk":
        return
    if ticket.counter is not None and ticket.status is not TicketStatus.NO_SHOW:
        if ticket.counter != who.counter:
            raise DomainError("forbidden_ticket_counter", own=who.counter, counter=ticket.counter)
        return
    counter = _today(site, who.counter)
    if counter is None or ticket.service not in counter.services:
        service = site.services_by_code.get(ticket.service)
        name = Message(service.name, service.name_en or service.name) if service else ticket.service
        raise DomainError(
            "forbidden_ticket_service", own=who.counter, number=ticket.number, service=name
        )


def _today(site: Site, number: int | None) -> Counter | None:
    """A counter of the site with its fields for today (a supervisor may have moved them)."""
    if number is None or number not in site.counters_by_number:
        return None
    return current_app.extensions["motcua"].desk.counter_today(site.code, number)  # type: ignore[no-any-return]


def authorise(route: Route, path: dict[str, Any]) -> Principal:
    """The caller may use this route: its role is listed, and the site (?site= or the
    ticket's), the counter and the ticket in the path are within its token's scope."""
    who = principal()
    if who.role not in route.roles:
        raise forbidden(f"cho vai trò {who.role}", f"for role {who.role}")
    desk = current_app.extensions["motcua"].desk
    code = request.args.get("site")
    if code is not None and desk.config.site(code) is not None:
        check_site(who, code)  # an unknown site is the view's 404
    number = path.get("number")
    if number is not None:
        check_counter(who, number)
    ticket_id = path.get("ticket_id")
    if ticket_id is not None:
        ticket = desk.get(ticket_id).ticket
        check_ticket(who, ticket, desk.site(ticket.site))
    ref = path.get("ticket_number")
    if ref is not None:
        ticket = _by_number(who, code, ref, BY_NUMBER_ACTIONS[route.rule.rsplit("/", 1)[-1]])
        check_ticket(who, ticket, desk.site(ticket.site))
        g.target_ticket = ticket
    return who


BY_NUMBER_ACTIONS = {"return": Action.RETURN, "cancel": Action.CANCEL}
"""What each /tickets/by-number/<ticket_number>/<action> route does (to pick the ticket meant)."""


def _by_number(who: Principal, code: str | None, ref: str, action: Action) -> Ticket:
    """Today's ticket a typed number names at the caller's site: digits alone are read among
    the fields of a clerk's counter (an admin's: every field of the site)."""
    desk = current_app.extensions["motcua"].desk
    site = desk.site(code if code is not None or who.all_sites else who.site)
    fields = None
    if who.role == "clerk":
        counter = _today(site, who.counter)
        fields = counter.services if counter is not None else ()
    ticket: Ticket = desk.by_number(ref, site_code=site.code, fields=fields, action=action)
    return ticket


def target_ticket() -> Ticket:
    """The ticket a by-number route acts on, as authorise() found and checked it."""
    return g.target_ticket  # type: ignore[no-any-return]


def _idempotent(who: Principal, key: str, run: Callable[[], Response]) -> Response:
    """Answer a retried request (same Idempotency-Key) with the first answer, never twice."""
    if not KEY_RE.match(key):
        raise Invalid("invalid_idempotency_key")
    store = current_app.extensions["motcua"].idempotency
    # The same key with another query or body is another request, not a retry: refuse it
    # rather than replay an answer that belongs to something else.
    sent = request.query_string + b"\0" + request.get_data(cache=True)
    target = f"{request.path[:160]}#{hashlib.sha256(sent).hexdigest()[:16]}"
    with store.lock(who.token_id, key):
        try:
            kept = store.get(who.token_id, key, request.method, target)
        except ValueError as err:
            raise DomainError("idempotency_key_reused") from err
        if kept is not None:
            replay = current_app.response_class(kept.body, kept.status, mimetype="application/json")
            replay.headers["Idempotent-Replay"] = "true"
            return replay
        try:
            response = run()
        except DomainError as err:
            response = error_response(err.code, err.message, err.message_en, STATUS[err.kind])
        if response.status_code < 500:
            store.put(
                who.token_id, key, request.method, target, response.status_code,
                response.get_data(as_text=True),
            )  # fmt: skip
        return response


def render(result: Any, status: int) -> Response:
    """A response model (or (model, status), or a ready Response) as JSON."""
    if isinstance(result, tuple):
        result, status = result
    if isinstance(result, BaseModel):
        resp = jsonify(result.model_dump(mode="json", by_alias=True))
        resp.status_code = status
        return resp
    return make_response(result)


class Api:
    """A blueprint whose every route is declared with its models (see module docstring)."""

    def __init__(self, name: str, import_name: str, url_prefix: str) -> None:
        self.blueprint = Blueprint(name, import_name, url_prefix=url_prefix)
        self.url_prefix = url_prefix
        self.routes: list[Route] = []

    def get(self, rule: str, **kw: Any) -> Callable[[View], View]:
        """Declare a GET route."""
        return self.route("GET", rule, **kw)

    def post(self, rule: str, **kw: Any) -> Callable[[View], View]:
        """Declare a POST route."""
        return self.route("POST", rule, **kw)

    def delete(self, rule: str, **kw: Any) -> Callable[[View], View]:
        """Declare a DELETE route."""
        return self.route("DELETE", rule, **kw)

    def put(self, rule: str, **kw: Any) -> Callable[[View], View]:
        """Declare a PUT route."""
        return self.route("PUT", rule, **kw)

    def patch(self, rule: str, **kw: Any) -> Callable[[View], View]:
        """Declare a PATCH route."""
        return self.route("PATCH", rule, **kw)

    def route(
        self,
        method: str,
        rule: str,
        *,
        response: type[BaseModel] | None,
        status: int = 200,
        roles: tuple[str, ...] = (),
        path: type[m.Path] | None = None,
        query: type[m.Query] | None = None,
        body: type[m.Body] | None = None,
        errors: tuple[str, ...] = (),
        summary: str = "",
        hook: bool = False,
        media: str = "application/json",
        idempotent: bool = True,
    ) -> Callable[[View], View]:
        """Register `view` for METHOD rule and record its declaration."""

        def wrap(view: View) -> View:
            doc = inspect.getdoc(view) or ""
            head, _, rest = doc.partition("\n\n")
            route = Route(
                method, self.url_prefix + rule, view.__name__, summary or head.replace("\n", " "),
                rest.strip(), response, status, roles, path, query, body, errors, hook, media,
                idempotent,
            )  # fmt: skip
            self.routes.append(route)
            wants = set(inspect.signature(view).parameters)

            def endpoint(**params: Any) -> ResponseReturnValue:
                return self.handle(route, view, wants, params)

            endpoint.__name__ = endpoint.__qualname__ = view.__name__
            endpoint.__doc__ = view.__doc__
            self.blueprint.add_url_rule(rule, view.__name__, endpoint, methods=[method])
            return view

        return wrap

    @staticmethod
    def handle(route: Route, view: View, wants: set[str], params: dict[str, Any]) -> Response:
        """Validate, authorise, run (once per idempotency key) and render."""
        kwargs: dict[str, Any] = {}
        if route.path is not None:
            try:
                kwargs["path"] = route.path.model_validate(params)
            except ValidationError as err:
                raise invalid(err, params, "invalid_query") from None
        who = authorise(route, params) if route.roles else None

        def run() -> Response:
            if route.body is not None:
                data = json_body()
                try:
                    kwargs["body"] = route.body.model_validate(data)
                except ValidationError as err:
                    raise invalid(err, data) from None
            if route.query is not None:
                args = request.args.to_dict()
                try:
                    kwargs["query"] = route.query.model_validate(args)
                except ValidationError as err:
                    raise invalid(err, args, "invalid_query") from None
            return render(view(**{k: v for k, v in kwargs.items() if k in wants}), route.status)

        key = request.headers.get("Idempotency-Key")
        if who is not None and key is not None and route.method == "POST" and route.idempotent:
            return _idempotent(who, key, run)
        return run()
