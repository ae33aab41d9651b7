"""Bearer tokens per role, stored as SHA-256 hashes (tokens are random, so no salt is needed).

A token is bound to a site (an admin token may be for every site: ALL_SITES), a clerk's and
a counter PC's to its counter and an agent's to the counters its devices serve (none listed:
every counter of its site). It may carry an expiry, and `revoke_token` ends it for every
process at once: each request reads its token row again (see TokenVerifier), which also
notes when and from where it was last used (at most once a minute per token and process).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from .domain.clock import Clock
from .domain.errors import DomainError
from .storage.database import Database
from .storage.schema import tokens

log = logging.getLogger(__name__)

ROLES = ("kiosk", "display", "clerk", "counter", "agent", "admin")
"""The roles of bearer tokens (devices and other systems). `counter` is a counter PC: it
only says which counter it is (the login page preselects it) and may act on nothing."""
AT_ONE_COUNTER = ("clerk", "counter")
"""Roles whose token belongs to one counter (`counter` is required)."""
USE_NOTED_EVERY = timedelta(seconds=60)
"""How often a token's last use (time, address) is written: at most once a minute per token
and process, so the read path stays one indexed lookup on nearly every request."""
ADDRESS_MAX = 64  # tokens.last_used_from
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
        if self.role in AT_ONE_COUNTER:
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
    return new_token(
        db, clock, role=role, site=site, counter=counter, name=name, counters=counters,
        expires_at=expires_at,
    )[0]  # fmt: skip


def new_token(
    db: Database,
    clock: Clock,
    *,
    role: str,
    site: str,
    counter: int | None = None,
    name: str = "",
    counters: Iterable[int] | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, int]:
    """Create a token: it in clear (the only time it is ever seen) and its id; ValueError
    for a scope its role cannot have."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role in AT_ONE_COUNTER and counter is None:
        raise ValueError(f"a {role} token needs a counter")
    if counters is not None and role != "agent":
        raise ValueError("only agent tokens list counters")
    if site == ALL_SITES and role != "admin":
        raise ValueError("only admin tokens may be for every site")
    with db.write() as conn:
        return _insert_token(
            conn, clock.now(), role=role, site=site, counter=counter, name=name,
            counters=counters, expires_at=expires_at,
        )  # fmt: skip


def _insert_token(
    conn: Connection,
    now: datetime,
    *,
    role: str,
    site: str,
    counter: int | None,
    name: str,
    counters: Iterable[int] | None,
    expires_at: datetime | None,
) -> tuple[str, int]:
    """Insert a new token's row; the token in clear and its id."""
    token = f"mc_{role}_{secrets.token_urlsafe(24)}"
    result = conn.execute(
        insert(tokens).values(
            token_hash=hash_token(token),
            role=role,
            site=site,
            counter=counter,
            counters=",".join(str(c) for c in sorted(set(counters)))
            if counters is not None
            else None,
            name=name[:128],
            created_at=now,
            expires_at=expires_at,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return token, int(key[0])


TOKEN_COLUMNS = [c for c in tokens.c if c.name != "token_hash"]
"""What may be shown of a token: everything but its hash."""


def list_tokens(db: Database, site: str | None = None) -> list[Any]:
    """Every token's row (never its hash), oldest first; only `site`'s (and all-sites) ones
    when given."""
    query = select(*TOKEN_COLUMNS).order_by(tokens.c.id)
    if site is not None:
        query = query.where(tokens.c.site.in_((site, ALL_SITES)))
    with db.read() as conn:
        return list(conn.execute(query))


def get_token(db: Database, token_id: int) -> Any | None:
    """One token's row (never its hash), or None."""
    with db.read() as conn:
        return conn.execute(select(*TOKEN_COLUMNS).where(tokens.c.id == token_id)).first()


def token_state(row: Any, now: datetime) -> str:
    """`revoked`, `expired` or `active`: what a token's row says at `now`."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"


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


def reissue_token(db: Database, clock: Clock, token_id: int) -> tuple[str, int] | None:
    """Revoke a token (an earlier revocation is kept) and make one of the same kind (role,
    site, counter(s), name) with a new secret, in one transaction: the new token in clear
    and its id, or None for an unknown id. The new one keeps the old one's expiry only
    while that is still ahead (re-issuing an expired token gives a working one)."""
    now = clock.now()
    with db.write() as conn:
        old = conn.execute(select(*TOKEN_COLUMNS).where(tokens.c.id == token_id)).first()
        if old is None:
            return None
        conn.execute(
            update(tokens)
            .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        expires = old.expires_at if old.expires_at is not None and old.expires_at > now else None
        counters = (
            [int(c) for c in old.counters.split(",") if c] if old.counters is not None else None
        )
        return _insert_token(
            conn, now, role=old.role, site=old.site, counter=old.counter, name=old.name,
            counters=counters, expires_at=expires,
        )  # fmt: skip


class TokenVerifier:
    """Checks a bearer token against the database on every request, with no cache.

    A cache would let a revoked token work on in every process until it expired (it did:
    10 s). The check is one lookup on the unique token_hash index, which costs what reading
    a revocation counter would, so revocation takes effect on the very next request in
    every process sharing the database, without Redis.

    Given the caller's address, it also notes the token's last use: a write only when the
    row's last use is a minute old or more and this process has not written it in the last
    minute, so a busy kiosk costs one small UPDATE a minute, not one per request.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._noted: dict[int, datetime] = {}
        self._lock = threading.Lock()

    def __call__(self, token: str, now: datetime, address: str | None = None) -> Principal:
        """The principal of a valid token; DomainError (401) naming why it is refused."""
        row = _token_row(self.db, token)
        found = _principal(row, now)
        if address is not None:
            self._note_use(row, now, address)
        return found

    def _note_use(self, row: Any, now: datetime, address: str) -> None:
        last = row.last_used_at
        if last is not None and now - last < USE_NOTED_EVERY:
            return
        with self._lock:  # one writer per token and minute in this process
            noted = self._noted.get(row.id)
            if noted is not None and now - noted < USE_NOTED_EVERY:
                return
            self._noted[row.id] = now
        try:
            with self.db.write() as conn:
                conn.execute(
                    update(tokens)
                    .where(
                        tokens.c.id == row.id,
                        or_(
                            tokens.c.last_used_at.is_(None),
                            tokens.c.last_used_at <= now - USE_NOTED_EVERY,
                        ),
                    )
                    .values(last_used_at=now, last_used_from=address[:ADDRESS_MAX])
                )
        except SQLAlchemyError as err:  # a busy database must not refuse a valid token
            log.warning("token %s: last use not recorded: %s", row.id, err)


def check_token(db: Database, token: str, now: datetime) -> Principal:
    """The principal of a known, unrevoked, unexpired token; else a 401 DomainError."""
    return _principal(_token_row(db, token), now)


def _token_row(db: Database, token: str) -> Any:
    """A token's row, by the unique index on its hash; 401 for a missing or unknown one."""
    if not token or len(token) > 200:
        raise DomainError("unauthorized" if token else "missing_token")
    with db.read() as conn:
        row = conn.execute(select(tokens).where(tokens.c.token_hash == hash_token(token))).first()
    if row is None:
        raise DomainError("unauthorized")
    return row


def _principal(row: Any, now: datetime) -> Principal:
    """The principal of a token's row; 401 when it is revoked or expired."""
    state = token_state(row, now)
    if state != "active":
        raise DomainError(f"token_{state}")
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
