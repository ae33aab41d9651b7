"""Staff accounts and their sign-in sessions.

A person has an account: a username, a full name, an argon2id password hash, a role
(`admin`: everything, at one site or all; `supervisor`: monitor, reports and the queue's
corrections at their site; `clerk`: the counters they are allowed) and a state (active,
locked after LOCK_AFTER wrong passwords in a row until a supervisor unlocks it).

Signing in makes a server-side session: the browser holds a random secret in an HttpOnly
cookie, the database its SHA-256 hash (like tokens), so signing out, locking the account or
the idle timeout ends it in every process on its very next request. Each session has its own
CSRF token, sent back by cookie-authenticated pages in the `X-CSRF-Token` header.

A wrong username and a wrong password answer alike and take alike: an unknown username is
checked against a dummy hash, so the time does not tell which names exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import insert, select, update

from .auth import ALL_SITES, Principal
from .domain.clock import Clock
from .domain.errors import DomainError
from .storage.database import Database
from .storage.schema import user_sessions, users

STAFF_ROLES = ("admin", "supervisor", "clerk")
LOCK_AFTER = 20
"""Wrong passwords in a row that lock an account (a supervisor or admin unlocks it)."""
IDLE_TIMEOUT = timedelta(minutes=30)
"""A session unused this long is over; the counter stays open with its clerk."""
SEEN_EVERY = timedelta(seconds=60)
"""How often a session's last-seen time is written (not on every request)."""
USERNAME_MAX, NAME_MAX, PASSWORD_MIN, PASSWORD_MAX = 64, 128, 8, 256

_hasher = PasswordHasher()
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    """A staff account as the rest of the code sees it (never its hash)."""

    id: int
    username: str
    name: str
    role: str
    site: str
    counters: frozenset[int] | None
    """A clerk's counters; None: every counter of the site (admins, supervisors)."""
    active: bool
    locked: bool
    failed_logins: int

    def may_use(self, counter: int) -> bool:
        """Whether this person may work at counter `counter` of their site."""
        return self.counters is None or counter in self.counters


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie's secret (seen only now), its CSRF token and who."""

    secret: str
    csrf: str
    user: User
    counter: int | None
    session_id: int


def hash_password(password: str) -> str:
    """The stored form of a password (argon2id, its own salt)."""
    return _hasher.hash(password)


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _counters(text: str | None) -> frozenset[int] | None:
    return frozenset(int(c) for c in text.split(",") if c) if text is not None else None


def _user(row: Any) -> User:
    return User(
        row.id, row.username, row.name, row.role, row.site, _counters(row.counters),
        bool(row.active), row.locked_at is not None, row.failed_logins,
    )  # fmt: skip


def check_password_rules(password: str) -> None:
    """ValueError unless the password is long enough (and not absurdly long)."""
    if len(password) < PASSWORD_MIN:
        raise ValueError(f"the password needs at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise ValueError(f"the password may have at most {PASSWORD_MAX} characters")


def create_user(
    db: Database,
    clock: Clock,
    *,
    username: str,
    password: str,
    role: str,
    site: str,
    name: str = "",
    counters: Iterable[int] | None = None,
) -> User:
    """Create an account; ValueError naming what is wrong (role, name taken, password)."""
    username = username.strip()
    if role not in STAFF_ROLES:
        raise ValueError(f"role must be one of {', '.join(STAFF_ROLES)}")
    if not username or len(username) > USERNAME_MAX or any(c.isspace() for c in username):
        raise ValueError(f"the username must be 1-{USERNAME_MAX} characters without spaces")
    if site == ALL_SITES and role != "admin":
        raise ValueError("only admins may be for every site")
    if counters is not None and role != "clerk":
        raise ValueError("only clerks are limited to counters")
    check_password_rules(password)
    listed = ",".join(str(c) for c in sorted(set(counters))) if counters is not None else None
    with db.write() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise ValueError(f"the username {username!r} is taken")
        conn.execute(
            insert(users).values(
                username=username, name=name.strip()[:NAME_MAX], role=role, site=site,
                counters=listed, password_hash=hash_password(password), active=True,
                failed_logins=0, created_at=clock.now(), password_changed_at=clock.now(),
            )
        )  # fmt: skip
    found = find_user(db, username)
    assert found is not None
    return found


def find_user(db: Database, username: str) -> User | None:
    """An account by username."""
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.username == username.strip())).first()
    return _user(row) if row is not None else None


def list_users(db: Database, site: str | None = None) -> list[User]:
    """Every account, oldest first; only `site`'s (and all-sites admins) when given."""
    query = select(users).order_by(users.c.id)
    if site is not None:
        query = query.where(users.c.site.in_((site, ALL_SITES)))
    with db.read() as conn:
        return [_user(r) for r in conn.execute(query)]


def set_password(db: Database, clock: Clock, username: str, password: str) -> bool:
    """Change a password and end the account's sessions; False for an unknown username."""
    check_password_rules(password)
    with db.write() as conn:
        row = conn.execute(select(users.c.id).where(users.c.username == username)).first()
        if row is None:
            return False
        conn.execute(
            update(users)
            .where(users.c.id == row.id)
            .values(password_hash=hash_password(password), password_changed_at=clock.now())
        )
        _end_sessions(conn, row.id, clock.now())
    return True


def set_locked(db: Database, clock: Clock, username: str, locked: bool) -> bool:
    """Lock an account (its sessions end at once) or unlock it (its count of wrong
    passwords starts again); False for an unknown username."""
    now = clock.now()
    with db.write() as conn:
        row = conn.execute(select(users.c.id).where(users.c.username == username)).first()
        if row is None:
            return False
        conn.execute(
            update(users)
            .where(users.c.id == row.id)
            .values(locked_at=now if locked else None, failed_logins=0)
        )
        if locked:
            _end_sessions(conn, row.id, now)
    return True


def _end_sessions(conn: Any, user_id: int, now: datetime) -> None:
    conn.execute(
        update(user_sessions)
        .where(user_sessions.c.user_id == user_id, user_sessions.c.ended_at.is_(None))
        .values(ended_at=now)
    )


def authenticate(db: Database, clock: Clock, username: str, password: str) -> User:
    """The account a username and password name.

    DomainError `invalid_login` (401) for a wrong username or password, alike in answer and
    time; `account_locked` (403) once LOCK_AFTER wrong passwords came in a row (counted on
    while locked, so guessing on does not help); `account_inactive` (403).
    """
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.username == username.strip())).first()
    if row is None:
        _verify(_DUMMY, password)
        raise DomainError("invalid_login")
    if not _verify(row.password_hash, password):
        with db.write() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == row.id)
                .values(failed_logins=users.c.failed_logins + 1)
            )
            failed = conn.execute(
                select(users.c.failed_logins).where(users.c.id == row.id)
            ).scalar_one()
            if failed >= LOCK_AFTER and row.locked_at is None:
                conn.execute(
                    update(users).where(users.c.id == row.id).values(locked_at=clock.now())
                )
        raise DomainError("account_locked" if failed >= LOCK_AFTER else "invalid_login")
    if row.locked_at is not None:
        raise DomainError("account_locked")
    if not row.active:
        raise DomainError("account_inactive")
    if row.failed_logins:
        with db.write() as conn:
            conn.execute(update(users).where(users.c.id == row.id).values(failed_logins=0))
    return _user(row)


def open_session(
    db: Database, clock: Clock, user: User, *, counter: int | None, site: str, address: str = ""
) -> SignedIn:
    """A new session for an authenticated account, working at `counter` (checked by the
    caller, who knows the centre's counters) at `site`."""
    now = clock.now()
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    with db.write() as conn:
        session_id = conn.execute(
            insert(user_sessions)
            .values(
                session_hash=_hash_secret(secret), user_id=user.id, site=site,
                counter=counter, csrf=csrf, address=address[:64], created_at=now,
                last_seen_at=now,
            )
            .returning(user_sessions.c.id)
        ).scalar_one()  # fmt: skip
    return SignedIn(secret, csrf, user, counter, session_id)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password[:PASSWORD_MAX])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_session(db: Database, secret: str, now: datetime) -> Principal:
    """The principal of a live session; DomainError `session_expired` (401) when it is
    unknown, ended, idle too long, or its account is locked or inactive."""
    if not secret or len(secret) > 100:
        raise DomainError("session_expired")
    query = (
        select(user_sessions, users.c.username, users.c.name, users.c.role, users.c.counters,
               users.c.active, users.c.locked_at, users.c.site.label("user_site"))
        .join(users, users.c.id == user_sessions.c.user_id)
        .where(user_sessions.c.session_hash == _hash_secret(secret))
    )  # fmt: skip
    with db.read() as conn:
        row = conn.execute(query).first()
    if (
        row is None
        or row.ended_at is not None
        or now - row.last_seen_at > IDLE_TIMEOUT
        or row.locked_at is not None
        or not row.active
    ):
        raise DomainError("session_expired")
    if now - row.last_seen_at > SEEN_EVERY:
        with db.write() as conn:
            conn.execute(
                update(user_sessions).where(user_sessions.c.id == row.id).values(last_seen_at=now)
            )
    return Principal(
        token_id=-row.user_id, role=row.role, site=row.user_site, counter=row.counter,
        name=row.name, counters=_counters(row.counters), username=row.username,
        csrf=row.csrf, session_id=row.id,
    )  # fmt: skip


def csrf_matches(expected: str, sent: str | None) -> bool:
    """Whether a request's CSRF token is its session's (constant time)."""
    return bool(sent) and hmac.compare_digest(expected.encode(), (sent or "").encode())


def set_session_counter(db: Database, session_id: int, counter: int | None) -> None:
    """The counter a session works at from now on (a clerk's choice, or a hand-over)."""
    with db.write() as conn:
        conn.execute(
            update(user_sessions).where(user_sessions.c.id == session_id).values(counter=counter)
        )


def sign_out(db: Database, clock: Clock, session_id: int) -> None:
    """End one session."""
    with db.write() as conn:
        conn.execute(
            update(user_sessions)
            .where(user_sessions.c.id == session_id, user_sessions.c.ended_at.is_(None))
            .values(ended_at=clock.now())
        )
