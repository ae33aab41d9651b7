"""Bearer tokens per role, stored as SHA-256 hashes (tokens are random, so no salt is needed)."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import insert, select

from .domain.clock import Clock
from .storage.database import Database
from .storage.schema import tokens

ROLES = ("kiosk", "display", "clerk", "agent", "admin")
ACTOR_MAX = 64  # ticket_events.actor is VARCHAR(64); PostgreSQL refuses longer


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, bound to a site and, for clerks, a counter."""

    token_id: int
    role: str
    site: str
    counter: int | None
    name: str

    @property
    def actor(self) -> str:
        """How the ticket log names this caller."""
        base = f"{self.role}#{self.token_id}"
        return (f"{base}:{self.name}" if self.name else base)[:ACTOR_MAX]


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    db: Database, clock: Clock, *, role: str, site: str, counter: int | None = None, name: str = ""
) -> str:
    """Create a token and return it in clear (the only time it is ever seen)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "clerk" and counter is None:
        raise ValueError("a clerk token needs a counter")
    token = f"mc_{role}_{secrets.token_urlsafe(24)}"
    with db.write() as conn:
        conn.execute(
            insert(tokens).values(
                token_hash=hash_token(token),
                role=role,
                site=site,
                counter=counter,
                name=name[:128],
                created_at=clock.now(),
            )
        )
    return token


class TokenVerifier:
    """verify_token with a short in-process cache: a busy kiosk or clerk is checked once per
    `ttl` seconds instead of on every request (a revoked token stops within `ttl`)."""

    def __init__(self, db: Database, ttl: float = 10.0) -> None:
        self.db = db
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def __call__(self, token: str) -> Principal | None:
        """The principal of a valid token, or None (misses are never cached)."""
        key = hash_token(token)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
        found = verify_token(self.db, token)
        if found is not None:
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[key] = (now, found)
        return found


def verify_token(db: Database, token: str) -> Principal | None:
    """The principal of a valid, unrevoked token, or None."""
    if not token or len(token) > 200:
        return None
    with db.read() as conn:
        row = conn.execute(
            select(tokens).where(
                tokens.c.token_hash == hash_token(token), tokens.c.revoked_at.is_(None)
            )
        ).first()
    if row is None:
        return None
    return Principal(row.id, row.role, row.site, row.counter, row.name)
