"""Device tokens over the API: list, create, revoke and re-issue (admins), and a page's own
device (GET/POST/DELETE /api/v1/device).

An admin acts on the tokens of its site; an admin of every site on any, and only it on the
tokens made for every site (which a site's admin sees in the list but may not change). A
new token's secret is in the answer once and never again: it is stored hashed, and these
routes honour no Idempotency-Key (a kept answer would keep the secret in clear).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, jsonify, request

from .. import audit
from ..auth import (
    ALL_SITES,
    AT_ONE_COUNTER,
    ROLES,
    Principal,
    get_token,
    list_tokens,
    new_token,
    reissue_token,
    revoke_token,
    token_state,
)  # fmt: skip
from ..contract import models as m
from ..contract.messages import Message
from ..domain.errors import DomainError, Invalid, NotFound
from .api import api, base_url, desk
from .device import DEVICE_HEADER, cookie_name, is_slot, secure_cookie, set_device_cookie
from .routes import check_site, principal

ADMIN = ("admin",)
SCOPE_ERRORS = ("unknown_token", "forbidden_all_sites_token")
CREATE_ERRORS = (
    "unknown_site", "unknown_counter", "token_needs_counter", "token_counters_agent_only",
    "token_all_sites_admin_only", "forbidden_all_sites_token", "invalid_expiry",
)  # fmt: skip
ROLE_PAGES = {
    "kiosk": "/kiosk",
    "display": "/display",
    "counter": "/login",
    "clerk": "/counter/{counter}",
    "admin": "/admin/tokens",
}
"""The page each kind of device opens (an agent opens none: `motcua agent --token`)."""


def _db() -> Any:
    return current_app.extensions["motcua"].db


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def token_out(row: Any) -> m.TokenOut:
    """A token's row as the API shows it."""
    counters = [int(c) for c in row.counters.split(",") if c] if row.counters is not None else None
    return m.TokenOut(
        id=row.id, role=row.role, name=row.name, site=row.site, counter=row.counter,
        counters=counters, created_at=row.created_at.isoformat(),
        expires_at=_iso(row.expires_at), revoked_at=_iso(row.revoked_at),
        last_used_at=_iso(row.last_used_at), last_used_from=row.last_used_from,
        state=token_state(row, desk().clock.now()),  # type: ignore[arg-type]
    )  # fmt: skip


def open_url(row: Any, secret: str) -> str | None:
    """The page a new token's device opens, with the token (moved into a cookie there)."""
    page = ROLE_PAGES.get(row.role)
    if page is None:
        return None
    query: dict[str, str] = {}
    if row.site != ALL_SITES and row.site != desk().config.default_site.code:
        query["site"] = row.site
    query["token"] = secret
    return base_url().rstrip("/") + page.format(counter=row.counter) + "?" + urlencode(query)


def _audit(who: Principal, action: str, before: Any, after: Any, site: str) -> None:
    audit.record(
        _db(), desk().clock.now(), actor=who.actor, role=who.role,
        address=request.remote_addr or "", site=site, action=action,
        target=f"token {(after or before).id}",
        before=before.model_dump(mode="json") if before is not None else None,
        after=after.model_dump(mode="json") if after is not None else None,
    )  # fmt: skip


def _may_manage(who: Principal, site: str) -> None:
    """403 unless `who` may create, revoke or re-issue a token of `site`."""
    if site == ALL_SITES:
        if not who.all_sites:
            raise DomainError("forbidden_all_sites_token")
        return
    check_site(who, site)


def _managed(token_id: int) -> Any:
    """The row of a token the caller may change (404 unknown, 403 outside its scope)."""
    row = get_token(_db(), token_id)
    if row is None:
        raise NotFound("unknown_token", id=token_id)
    _may_manage(principal(), row.site)
    return row


@api.get("/tokens", response=m.Tokens, roles=ADMIN, query=m.SiteQuery, errors=("unknown_site",))
def tokens(query: m.SiteQuery) -> m.Tokens:
    """Device tokens (Thiết bị và mã truy cập)

    Oldest first, never the token itself. An admin sees its site's tokens and those made
    for every site; an admin of every site sees all of them, or one site's (and the
    every-site ones) with `?site=`.
    """
    who = principal()
    code = query.site
    if code is not None:
        code = desk().site(code).code  # 404 unknown_site (routes.authorise: 403 for another)
    elif not who.all_sites:
        code = who.site
    return m.Tokens(tokens=[token_out(r) for r in list_tokens(_db(), code)])


def _site_of(who: Principal, asked: str | None) -> str:
    """The site a new token is for: the one asked for (checked), else the caller's own."""
    if asked == ALL_SITES:
        return ALL_SITES
    if asked is None:
        return desk().site(None if who.all_sites else who.site).code
    return str(desk().site(asked).code)  # 404 unknown_site


def _expiry(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment <= desk().clock.now():
        raise Invalid("invalid_expiry", value=text)
    return moment


def _check_scope(body: m.TokenRequest, site: str) -> None:
    """The scope a token of this role may have: counters of its site that exist."""
    if site == ALL_SITES:
        if body.role != "admin":
            raise Invalid("token_all_sites_admin_only")
        if body.counter is not None or body.counters is not None:
            raise Invalid("invalid_field", field="counter", expected=_LEFT_OUT)
        return
    where = desk().site(site)
    if body.role in AT_ONE_COUNTER:
        if body.counter is None:
            raise Invalid("token_needs_counter", role=body.role)
        desk().counter(where, body.counter)  # 404 unknown_counter
    elif body.counter is not None:
        raise Invalid("invalid_field", field="counter", expected=_LEFT_OUT)
    if body.counters is not None:
        if body.role != "agent":
            raise Invalid("token_counters_agent_only")
        for number in body.counters:
            desk().counter(where, number)


_LEFT_OUT = Message("để trống với vai trò này", "left out for this role")


@api.post(
    "/tokens", response=m.TokenIssued, status=201, roles=ADMIN, body=m.TokenRequest,
    errors=CREATE_ERRORS, idempotent=False,
)  # fmt: skip
def create_token(body: m.TokenRequest) -> m.TokenIssued:
    """Create a device token (Tạo mã mới)

    For a kiosk, a display, a counter PC (bound to its counter: the login page there
    preselects it), a device agent, an admin or a counter's shared clerk code. The answer
    holds the token in clear, the only time it is shown, and the page to open on the device.
    """
    who = principal()
    site = _site_of(who, body.site)
    _may_manage(who, site)
    _check_scope(body, site)
    secret, token_id = new_token(
        _db(), desk().clock, role=body.role, site=site, counter=body.counter, name=body.name,
        counters=body.counters, expires_at=_expiry(body.expires_at),
    )  # fmt: skip
    row = get_token(_db(), token_id)
    made = token_out(row)
    _audit(who, "token.create", None, made, site)
    return m.TokenIssued(token=made, secret=secret, open_url=open_url(row, secret))


@api.delete(
    "/tokens/<int:token_id>", response=m.TokenAnswer, roles=ADMIN, path=m.TokenPath,
    errors=SCOPE_ERRORS,
)  # fmt: skip
def revoke(path: m.TokenPath) -> m.TokenAnswer:
    """Revoke a device token (Thu hồi)

    Refused from its very next request on, in every process. Revoking it again answers the
    first revocation.
    """
    before = token_out(_managed(path.token_id))
    revoke_token(_db(), desk().clock, path.token_id)
    after = token_out(get_token(_db(), path.token_id))
    if before.revoked_at is None:
        _audit(principal(), "token.revoke", before, after, after.site)
    return m.TokenAnswer(token=after)


@api.post(
    "/tokens/<int:token_id>/reissue", response=m.TokenIssued, status=201, roles=ADMIN,
    path=m.TokenPath, body=m.Empty, errors=SCOPE_ERRORS, idempotent=False,
)  # fmt: skip
def reissue(path: m.TokenPath) -> m.TokenIssued:
    """Re-issue a device token (Cấp lại)

    Revokes it and makes one of the same kind (role, site, counter, name) with a new
    secret, in one step: the device is given the new one (its page, as when created).
    """
    who = principal()
    before = token_out(_managed(path.token_id))
    made = reissue_token(_db(), desk().clock, path.token_id)
    if made is None:  # removed meanwhile (never, today: rows are only ever added)
        raise NotFound("unknown_token", id=path.token_id)
    secret, token_id = made
    row = get_token(_db(), token_id)
    after = token_out(row)
    _audit(who, "token.reissue", before, after, after.site)
    return m.TokenIssued(token=after, secret=secret, open_url=open_url(row, secret))


# -- a page's own device: which it is, its code typed in, signed out -------------------------


@api.get("/device", response=m.DeviceAnswer, roles=ROLES)
def device() -> m.DeviceAnswer:
    """Which device this is

    The caller's token (a page sends its device cookie, see `X-Motcua-Device`): its role,
    site, counter and name. A counter PC's page reads its counter here. 401 once the token
    is revoked or expired, so a page can show that it is out of service.
    """
    who = principal()
    return m.DeviceAnswer(
        role=who.role, site=who.site, counter=who.counter, name=who.name,
        expires_at=_iso(who.expires_at),
    )  # fmt: skip


def _slot() -> str:
    """The slot named by the page's X-Motcua-Device header (400 without one)."""
    slot = request.headers.get(DEVICE_HEADER, "")
    if not is_slot(slot):
        raise Invalid("missing_device_slot", header=DEVICE_HEADER)
    return slot


@api.post(
    "/device", response=m.DeviceAnswer, body=m.DeviceSignIn,
    errors=("missing_device_slot", "unauthorized", "token_expired"),
)  # fmt: skip
def sign_in_device(body: m.DeviceSignIn) -> Response:
    """Sign a page's device in with a typed code

    The code is checked, then kept in the page's HttpOnly device cookie (the one its
    `X-Motcua-Device` header names), as a `?token=` link would have done.
    """
    slot = _slot()
    ext = current_app.extensions["motcua"]
    who = ext.verify(body.token.strip(), desk().clock.now(), request.remote_addr or "")
    answer = m.DeviceAnswer(
        role=who.role, site=who.site, counter=who.counter, name=who.name,
        expires_at=_iso(who.expires_at),
    )  # fmt: skip
    resp = jsonify(answer.model_dump(mode="json"))
    set_device_cookie(resp, slot, body.token.strip())
    return resp


@api.delete("/device", response=m.Stored, errors=("missing_device_slot",))
def sign_out_device() -> Response:
    """Forget a page's device code (Đăng xuất): its device cookie is cleared"""
    resp = jsonify(m.Stored(ok=True).model_dump(mode="json"))
    resp.delete_cookie(
        cookie_name(_slot()), path="/", samesite="Lax", secure=secure_cookie(), httponly=True
    )
    return resp
