"""Staff accounts administered over the API (the /admin/users page uses it).

Who may do what, always at the accounts' own site (an all-sites admin: every site):
an admin lists, creates, changes, locks, unlocks and resets passwords; a supervisor lists
and unlocks (lifts a lockout after wrong passwords). Only people signed in with a session,
never a device's token: a leaked kiosk or system token must not make accounts. Every change
is audited in its own transaction; passwords appear in no answer and no audit row.
"""

from __future__ import annotations

from flask import current_app

from ..accounts import (
    KEEP,
    NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_MAX,
    User,
    create_user,
    find_user,
    list_users,
    set_locked,
    set_password,
    update_user,
)
from ..auth import ALL_SITES, Principal
from ..contract import models as m
from ..domain.errors import Conflict, DomainError, Invalid, NotFound
from ..storage.database import Database
from .api import api, desk
from .auditing import request_entry
from .session_api import person

ADMIN = ("admin",)
ADMIN_OR_SUPERVISOR = ("admin", "supervisor")
PERSON_ERRORS = ("not_a_person", "forbidden_site")
ONE_USER_ERRORS = (*PERSON_ERRORS, "unknown_user")


def account(user: User) -> m.AccountOut:
    """An account as the API shows it (never its password)."""
    state = "locked" if user.locked else "active" if user.active else "inactive"
    return m.AccountOut(
        username=user.username, name=user.name, role=user.role,  # type: ignore[arg-type]
        site=user.site, counters=sorted(user.counters) if user.counters is not None else None,
        state=state, failed_logins=user.failed_logins,  # type: ignore[arg-type]
    )  # fmt: skip


def _db() -> Database:
    return current_app.extensions["motcua"].db  # type: ignore[no-any-return]


def _own(who: Principal, username: str) -> User:
    """The account named in the path, which must be of a site the caller administers."""
    user = find_user(_db(), username)
    if user is None:
        raise NotFound("unknown_user", username=username)
    if not who.at_site(user.site):
        raise DomainError("forbidden_site", own=who.site, site=user.site)
    return user


def _check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise Invalid("invalid_password", least=PASSWORD_MIN, most=PASSWORD_MAX)


def _check_counters(site_code: str, counters: list[int] | None) -> None:
    if not counters or site_code == ALL_SITES:
        return
    known = desk().site(site_code).counters_by_number
    for n in counters:
        if n not in known:
            raise NotFound("unknown_counter", counter=n)


@api.get("/users", response=m.Accounts, roles=ADMIN_OR_SUPERVISOR, errors=PERSON_ERRORS)
def users_list() -> m.Accounts:
    """Staff accounts (Người dùng) of the caller's site, oldest first

    With their state (active, locked, inactive) and counters; never a password. An
    all-sites admin sees every account.
    """
    who = person()
    found = list_users(_db(), None if who.all_sites else who.site)
    return m.Accounts(users=[account(u) for u in found])


@api.post(
    "/users",
    response=m.AccountAnswer,
    status=201,
    roles=ADMIN,
    body=m.UserCreateRequest,
    errors=(
        *PERSON_ERRORS, "unknown_site", "unknown_counter", "username_taken", "invalid_username",
        "invalid_password", "invalid_user_counters", "all_sites_admin_only",
    ),
)  # fmt: skip
def users_create(body: m.UserCreateRequest) -> m.AccountAnswer:
    """Create an account (Tạo tài khoản)

    `site` defaults to the admin's own; `"*"` (every site) is for admins, made by an
    all-sites admin. A clerk's `counters` limit where they may work (left out: every counter
    of the site). The password needs at least 8 characters.
    """
    who = person()
    site_code = body.site or (who.site if not who.all_sites else desk().site().code)
    if site_code == ALL_SITES:
        if body.role != "admin":
            raise Invalid("all_sites_admin_only")
    else:
        site_code = desk().site(site_code).code
    if not who.at_site(site_code):
        raise DomainError("forbidden_site", own=who.site, site=site_code)
    username = body.username.strip()
    if not username or len(username) > USERNAME_MAX or any(c.isspace() for c in username):
        raise Invalid("invalid_username", most=USERNAME_MAX)
    if body.counters is not None and body.role != "clerk":
        raise Invalid("invalid_user_counters")
    _check_counters(site_code, body.counters)
    _check_password(body.password)
    if find_user(_db(), username) is not None:
        raise Conflict("username_taken", username=username)
    try:
        user = create_user(
            _db(), desk().clock, username=username, password=body.password,
            role=body.role, site=site_code, name=body.name[:NAME_MAX],
            counters=body.counters or None,
            audit=request_entry("user.create", f"user {username}", site_code),
        )  # fmt: skip
    except ValueError as err:  # taken by a request at the same moment
        raise Conflict("username_taken", username=username) from err
    return m.AccountAnswer(user=account(user))


@api.patch(
    "/users/<username>",
    response=m.AccountAnswer,
    roles=ADMIN,
    path=m.UserPath,
    body=m.UserUpdateRequest,
    errors=(
        *ONE_USER_ERRORS, "unknown_counter", "invalid_user_counters", "all_sites_admin_only",
        "own_account",
    ),
)  # fmt: skip
def users_update(path: m.UserPath, body: m.UserUpdateRequest) -> m.AccountAnswer:
    """Change an account's name, role, counters or active flag (Sửa tài khoản)

    Fields left out stay. `counters: []` lets a clerk work at every counter of the site; a
    role other than clerk has no counters. `active: false` ends the account's sessions. An
    admin may not demote or deactivate their own account.
    """
    who = person()
    user = _own(who, path.username)
    role = body.role or user.role
    if user.username == who.username and (role != "admin" or body.active is False):
        raise Conflict("own_account")
    if user.site == ALL_SITES and role != "admin":
        raise Invalid("all_sites_admin_only")
    if body.counters and role != "clerk":
        raise Invalid("invalid_user_counters")
    _check_counters(user.site, body.counters)
    counters = KEEP if body.counters is None else (body.counters or None)
    changed = update_user(
        _db(), desk().clock, user.username, name=body.name, role=body.role,
        counters=counters, active=body.active,
        audit=request_entry("user.update", f"user {user.username}", user.site),
    )  # fmt: skip
    assert changed is not None
    return m.AccountAnswer(user=account(changed))


@api.post(
    "/users/<username>/password",
    response=m.AccountAnswer,
    roles=ADMIN,
    path=m.UserPath,
    body=m.PasswordRequest,
    errors=(*ONE_USER_ERRORS, "invalid_password"),
)
def users_password(path: m.UserPath, body: m.PasswordRequest) -> m.AccountAnswer:
    """Reset an account's password (Đặt lại mật khẩu); its sessions end"""
    who = person()
    user = _own(who, path.username)
    _check_password(body.password)
    set_password(
        _db(), desk().clock, user.username, body.password,
        audit=request_entry("user.password", f"user {user.username}", user.site),
    )  # fmt: skip
    return m.AccountAnswer(user=account(_own(who, user.username)))


@api.post(
    "/users/<username>/lock",
    response=m.AccountAnswer,
    roles=ADMIN,
    path=m.UserPath,
    body=m.Empty,
    errors=(*ONE_USER_ERRORS, "own_account"),
)
def users_lock(path: m.UserPath) -> m.AccountAnswer:
    """Lock an account (Khóa tài khoản); its sessions end at once"""
    who = person()
    user = _own(who, path.username)
    if user.username == who.username:
        raise Conflict("own_account")
    set_locked(
        _db(), desk().clock, user.username, True,
        audit=request_entry("user.lock", f"user {user.username}", user.site),
    )  # fmt: skip
    return m.AccountAnswer(user=account(_own(who, user.username)))


@api.post(
    "/users/<username>/unlock",
    response=m.AccountAnswer,
    roles=ADMIN_OR_SUPERVISOR,
    path=m.UserPath,
    body=m.Empty,
    errors=ONE_USER_ERRORS,
)
def users_unlock(path: m.UserPath) -> m.AccountAnswer:
    """Unlock an account (Mở khóa tài khoản): lift a lockout after wrong passwords

    A supervisor may do it for the accounts of their site; the count of wrong passwords
    starts again.
    """
    who = person()
    user = _own(who, path.username)
    set_locked(
        _db(), desk().clock, user.username, False,
        audit=request_entry("user.unlock", f"user {user.username}", user.site),
    )  # fmt: skip
    return m.AccountAnswer(user=account(_own(who, user.username)))
