"""Staff sign-in over the API: POST/DELETE /api/v1/session and GET /api/v1/me.

The session itself lives in the database (queue_server.accounts); the browser holds its
secret in an HttpOnly, SameSite=Lax cookie (Secure behind HTTPS), and state-changing
requests made with it carry the session's CSRF token (web.routes.principal).
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from ..accounts import User, authenticate, open_session, sign_out
from ..auth import ALL_SITES, Principal
from ..contract import models as m
from ..domain.errors import DomainError
from .api import api, desk
from .routes import SESSION_COOKIE, principal

PEOPLE = ("admin", "supervisor", "clerk")
LOGIN_ERRORS = (
    "invalid_login", "account_locked", "account_inactive", "login_rate_limited",
    "unknown_counter", "counter_not_allowed",
)  # fmt: skip


def staff_user(user: User | Principal) -> m.StaffUser:
    """A staff account as the API shows it."""
    counters = user.counters
    return m.StaffUser(
        username=user.username, name=user.name, role=user.role,  # type: ignore[arg-type]
        site=user.site, counters=sorted(counters) if counters is not None else None,
    )  # fmt: skip


def secure_cookies() -> bool:
    """Whether cookies get `Secure`: the request came over HTTPS, or public_url is https."""
    server = current_app.extensions["motcua"].config.server
    return request.is_secure or (server.public_url or "").startswith("https://")


def person() -> Principal:
    """The caller, who must be a staff member signed in with a session (403 for a token)."""
    who = principal()
    if not who.person:
        raise DomainError("not_a_person")
    return who


def _counter_for(user: User, asked: int | None) -> int | None:
    """The counter a new session works at: the one asked for (checked), a clerk's only
    counter, else none yet (the login page asks)."""
    site = desk().site(None if user.site == "*" else user.site)
    if asked is not None:
        desk().counter(site, asked)  # 404 unknown_counter
        if not user.may_use(asked):
            raise DomainError("counter_not_allowed", username=user.username, counter=asked)
        return asked
    if user.role == "clerk" and user.counters is not None and len(user.counters) == 1:
        return next(iter(user.counters))
    return None


@api.post("/session", response=m.SessionAnswer, body=m.SessionRequest, errors=LOGIN_ERRORS)
def create_session(body: m.SessionRequest) -> Response:
    """Sign in (Đăng nhập)

    A wrong username and a wrong password get the same 401 in the same time. After 20 wrong
    passwords in a row the account is locked (403 `account_locked`) until a supervisor or an
    administrator unlocks it. The answer sets the session cookie; send `csrf_token` back as
    `X-CSRF-Token` on every change made with it.
    """
    ext = current_app.extensions["motcua"]
    address = request.remote_addr or ""
    if not ext.login_limiter.allow(address):
        raise DomainError("login_rate_limited")
    user = authenticate(ext.db, desk().clock, body.username, body.password)
    counter = _counter_for(user, body.counter)
    site = desk().site(None if user.site == ALL_SITES else user.site).code
    signed = open_session(ext.db, desk().clock, user, counter=counter, site=site, address=address)
    answer = m.SessionAnswer(user=staff_user(user), counter=counter, csrf_token=signed.csrf)
    resp = jsonify(answer.model_dump(mode="json"))
    resp.set_cookie(
        SESSION_COOKIE, signed.secret, httponly=True, samesite="Lax", secure=secure_cookies(),
        path="/",
    )  # fmt: skip
    return resp


@api.delete("/session", response=m.Stored, roles=PEOPLE, errors=("not_a_person", "csrf_failed"))
def delete_session() -> Response:
    """Sign out (Đăng xuất)"""
    who = person()
    assert who.session_id is not None
    sign_out(current_app.extensions["motcua"].db, desk().clock, who.session_id)
    resp = jsonify(m.Stored(ok=True).model_dump(mode="json"))
    resp.delete_cookie(SESSION_COOKIE, path="/", samesite="Lax", secure=secure_cookies())
    return resp


@api.get("/me", response=m.Me, roles=PEOPLE, errors=("not_a_person",))
def me() -> m.Me:
    """The signed-in staff member, their counter and the session's CSRF token"""
    who = person()
    return m.Me(user=staff_user(who), counter=who.counter, csrf_token=who.csrf)
