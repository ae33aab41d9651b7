"""Bearer tokens per role, stored as SHA-256 hashes (tokens are random, so no salt is needed).

A token is bound to a site (an admin token may be for every site: ALL_SITES), a clerk's to
its counter and an agent's to the counters its devices serve (none listed: every counter
of its site). It may carry an expiry, and `revoke_token` ends it for every process at once:
each request reads its token row again (see TokenVerifier).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from .domain.clock import Clock
from .domain.errors import DomainError
from .storage.database import Database
from .storage.schema import tokens

ROLES = ("kiosk", "display", "clerk", "agent", "admin")
"""The roles of bearer tokens (devices and other systems)."""
PERSON_ROLES = ("admin", "supervisor", "clerk")
"""The roles of staff accounts (queue_server.accounts), signed in with a session cookie."""
ACTOR_MAX = 64  # ticket_events.actor is VARCHAR(64); PostgreSQL refuses longer
ALL_SITES = "*"
"""The site of an admin token made for every site (no site code can be "*")."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, bound to a site and, for clerks, a counter."""

    token_id: int
    role: str
    site: str
    counter: int | None
    name: str
    counters: frozenset[int] | None = None
    """An agent's counters, a clerk account's allowed counters; None: every counter."""
    expires_at: datetime | None = None
    username: str = ""
    """A staff account's username (a session); "" for a token. Its token_id is -user id."""
    csrf: str = ""
    """A session's CSRF token."""
    session_id: int | None = None

    @property
    def person(self) -> bool:
        """A staff member signed in with a session (not a device's token)."""
        return bool(self.username)

    @property
    def actor(self) -> str:
        """How the ticket log names this caller: `role@username` for a person, else
        `role#token-id:name`."""
        if self.username:
            return f"{self.role}@{self.username}"[:ACTOR_MAX]
        base = f"{self.role}#{self.token_id}"
        return (f"{base}:{self.name}" if self.name else base)[:ACTOR_MAX]

    @property
    def all_sites(self) -> bool:
        """An admin token made for every site."""
        return self.site == ALL_SITES

    def at_site(self, code: str) -> bool:
        """Whether this token may act at site `code`."""
        return self.all_sites or self.site == code

    def at_counter(self, number: int) -> bool:
        """Whether this token may act on counter `number` of its site (admins: any)."""
        if self.role == "clerk":
            return self.counter == number
        if self.role == "agent":
            return self.counters is None or number in self.counters
        return True


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    db: Database,
    clock: Clock,
    *,
    role: str,
    site: str,
    counter: int | None = None,
    name: str = "",
    counters: Iterable[int] | None = None,
    expires_at: datetime | None = None,
) -> str:
    """Create a token and return it in clear (the only time it is ever seen)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "clerk" and counter is None:
        raise ValueError("a clerk token needs a counter")
    if counters is not None and role != "agent":
        raise ValueError("only agent tokens list counters")
    if site == ALL_SITES and role != "admin":
        raise ValueError("only admin tokens may be for every site")
    token = f"mc_{role}_{secrets.token_urlsafe(24)}"
    with db.write() as conn:
        conn.execute(
            insert(tokens).values(
                token_hash=hash_token(token),
                role=role,
                site=site,
                counter=counter,
                counters=",".join(str(c) for c in sorted(set(counters)))
                if counters is not None
                else None,
                name=name[:128],
                created_at=clock.now(),
                expires_at=expires_at,
            )
        )
    return token


def list_tokens(db: Database, site: str | None = None) -> list[Any]:
    """Every token's row (never its hash), oldest first; only `site`'s (and all-sites) ones
    when given."""
    columns = [c for c in tokens.c if c.name != "token_hash"]
    query = select(*columns).order_by(tokens.c.id)
    if site is not None:
        query = query.where(tokens.c.site.in_((site, ALL_SITES)))
    with db.read() as conn:
        return list(conn.execute(query))


def revoke_token(db: Database, clock: Clock, token_id: int) -> datetime | None:
    """Revoke a token by id, at once for every process; when it was revoked (an earlier
    revocation is kept), None for an unknown id."""
    with db.write() as conn:
        conn.execute(
            update(tokens)
            .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=clock.now())
        )
        revoked: datetime | None = conn.execute(
            select(tokens.c.revoked_at).where(tokens.c.id == token_id)
        ).scalar()
    return revoked


class TokenVerifier:
    """Checks a bearer token against the database on every request, with no cache.

    A cache would let a revoked token work on in every process until it expired (it did:
    10 s). The check is one lookup on the unique token_hash index, which costs what reading
    a revocation counter would, so revocation takes effect on the very next request in
    every process sharing the database, without Redis.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def __call__(self, token: str, now: datetime) -> Principal:
        """The principal of a valid token; DomainError (401) naming why it is refused."""
        return check_token(self.db, token, now)


def check_token(db: Database, token: str, now: datetime) -> Principal:
    """The principal of a known, unrevoked, unexpired token; else a 401 DomainError."""
    if not token or len(token) > 200:
        raise DomainError("unauthorized" if token else "missing_token")
    with db.read() as conn:
        row = conn.execute(select(tokens).where(tokens.c.token_hash == hash_token(token))).first()
    if row is None:
        raise DomainError("unauthorized")
    if row.revoked_at is not None:
        raise DomainError("token_revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise DomainError("token_expired")
    counters = (
        frozenset(int(c) for c in row.counters.split(",") if c)
        if row.counters is not None
        else None
    )
    return Principal(row.id, row.role, row.site, row.counter, row.name, counters, row.expires_at)


def verify_token(db: Database, token: str, now: datetime | None = None) -> Principal | None:
    """The principal of a valid, unrevoked (and, given `now`, unexpired) token, or None."""
    try:
        return check_token(db, token, now or datetime.now(UTC))
    except DomainError:
        return None
