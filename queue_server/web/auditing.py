"""The audit log from a request: who (the principal), from where (the remote address).

`request_entry(...)` builds an `AuditEntry` to hand to the desk or the accounts, which
write it in the same transaction as the change; `audit_request(...)` writes one row at once
for a change already made (its own transaction): one line after a change that is not ours.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from ..audit import AuditEntry, record
from ..auth import Principal
from .routes import principal

AUDITED_ROLES = frozenset({"admin", "supervisor"})
"""Whose every counter action is recorded (a clerk's and an agent's own work is the ticket
log's; their corrections are recorded too)."""


def _site(who: Principal, site: str | None) -> str:
    if site:
        return site
    if not who.all_sites:
        return who.site
    return current_app.extensions["motcua"].config.default_site.code  # type: ignore[no-any-return]


def request_entry(
    action: str, target: str = "", site: str | None = None, before: Any = None, after: Any = None
) -> AuditEntry:
    """An audit row for this request's caller (actor, role, address filled in)."""
    who = principal()
    return AuditEntry(
        actor=who.actor, role=who.role, address=request.remote_addr or "", site=_site(who, site),
        action=action, target=target, before=before, after=after,
    )  # fmt: skip


def audited(action: str, target: str = "", site: str | None = None) -> AuditEntry | None:
    """An entry when the caller is an admin or a supervisor, else None (not recorded)."""
    return request_entry(action, target, site) if principal().role in AUDITED_ROLES else None


def audit_request(
    action: str, target: str, before: Any = None, after: Any = None, site: str | None = None
) -> None:
    """Record now, in its own transaction, that this request's caller did `action` to
    `target` (e.g. "token.revoke", "token 12"), with what it was before and after."""
    desk = current_app.extensions["motcua"].desk
    record(desk.db, desk.clock.now(), **request_entry(action, target, site, before, after).__dict__)
