"""The audit log: who changed what, when and from where, before and after.

Every admin and supervisor action and every correction of a ticket (cancel, return, a call
of a specific number, a transfer) writes one row. Rows are only ever added: nothing in the
UI or the API edits or deletes them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from .storage.database import Database
from .storage.schema import audit_log


def _text(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(
    db: Database | Connection,
    at: datetime,
    *,
    actor: str,
    role: str,
    address: str,
    site: str,
    action: str,
    target: str,
    before: Any = None,
    after: Any = None,
) -> None:
    """Add one row (in the caller's transaction when given a connection)."""
    values = {
        "at": at, "site": site[:16], "actor": actor[:64], "role": role[:16],
        "address": address[:64], "action": action[:48], "target": target[:128],
        "before": _text(before), "after": _text(after),
    }  # fmt: skip
    if isinstance(db, Connection):
        db.execute(insert(audit_log).values(**values))
        return
    with db.write() as conn:
        conn.execute(insert(audit_log).values(**values))
