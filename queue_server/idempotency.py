"""Idempotency keys for device requests: the first answer is kept and replayed on retries.

A keypad press forwarded by the device agent carries `Idempotency-Key`; if the
agent never saw the answer (network blip, server restart) it sends the same key
again and gets the same answer, so the press is never applied twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from .storage.database import Database
from .storage.schema import idempotency

KEEP = timedelta(days=2)


@dataclass(frozen=True)
class Stored:
    """A kept answer."""

    status: int
    body: str


class IdempotencyStore:
    """Keeps answers per (token, key); concurrent requests with one key run one at a time."""

    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now
        self._locks: dict[tuple[int, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, token_id: int, key: str) -> threading.Lock:
        """The in-process lock of one key (the agent retries one key at a time anyway)."""
        with self._guard:
            if len(self._locks) > 10_000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault((token_id, key), threading.Lock())

    def get(self, token_id: int, key: str, method: str, path: str) -> Stored | None:
        """The answer already given to this key, if any (None also for another request)."""
        with self.db.read() as conn:
            row = conn.execute(
                select(idempotency).where(
                    idempotency.c.token_id == token_id, idempotency.c.key == key
                )
            ).first()
        if row is None:
            return None
        if (row.method, row.path) != (method, path):
            raise ValueError("key reused for another request")
        return Stored(row.status, row.body)

    def put(self, token_id: int, key: str, method: str, path: str, status: int, body: str) -> None:
        """Keep an answer; old answers are dropped as new ones come."""
        now = self.now()
        try:
            with self.db.write() as conn:
                conn.execute(delete(idempotency).where(idempotency.c.created_at < now - KEEP))
                conn.execute(
                    insert(idempotency).values(
                        token_id=token_id, key=key, method=method, path=path[:200],
                        status=status, body=body, created_at=now,
                    )
                )  # fmt: skip
        except IntegrityError:
            pass  # another process answered the same key first; both answers are equal
