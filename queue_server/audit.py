"""The audit log: who changed what, when and from where, before and after.

Every admin and supervisor action and every correction of a ticket (cancel, return, a call
of a specific number, a transfer) writes one row, in the same transaction as the change
when the change is a database write: a change that is acknowledged is recorded, and one
that fails records nothing. Rows are only ever added: nothing in the UI or the API edits or
deletes them (no route but GET touches them; a test checks it).

Imports no Flask: the web layer fills an `AuditEntry` from the request
(web.auditing.audit_request / request_entry) and hands it to the desk or the accounts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from .contract.messages import MESSAGES
from .storage.database import Database
from .storage.schema import audit_log

PAGE_MAX = 500
"""The most rows one page of `GET /api/v1/audit` answers."""
CSV_HEADERS = (
    "Mã", "Thời gian", "Điểm phục vụ", "Người thực hiện", "Vai trò", "Địa chỉ máy",
    "Thao tác", "Mã thao tác", "Đối tượng", "Trước", "Sau",
)  # fmt: skip
"""The export's column headers (Vietnamese: it is read in Excel by the centre's staff)."""


ACTIONS = tuple(code.removeprefix("audit.") for code in MESSAGES if code.startswith("audit."))
"""Every action code the log records (each named in words in the message catalogue)."""


def action_label(action: str, lang: str = "vi") -> str:
    """An action code in words ("ticket.cancel" is «Hủy số»); the code when unknown."""
    entry = MESSAGES.get(f"audit.{action}")
    return (entry.vi if lang == "vi" else entry.en) if entry is not None else action


@dataclass(frozen=True)
class AuditEntry:
    """One row to add, except its time (the transaction's own `now`)."""

    actor: str
    role: str
    address: str
    site: str
    action: str
    target: str
    before: Any = None
    after: Any = None

    def changed(self, before: Any, after: Any) -> AuditEntry:
        """The same entry with what the change found and made."""
        return replace(self, before=before, after=after)

    def write(self, conn: Connection, at: datetime) -> None:
        """Add this row in the caller's transaction."""
        record(conn, at, **self.__dict__)


@dataclass(frozen=True)
class AuditRow:
    """One row as read back."""

    id: int
    at: datetime
    site: str
    actor: str
    role: str
    address: str
    action: str
    target: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AuditFilter:
    """What to read: [start, end) in UTC, by actor, action, site(s), target text."""

    start: datetime | None = None
    end: datetime | None = None
    actor: str | None = None
    action: str | None = None
    sites: tuple[str, ...] | None = None
    """None: every site."""
    text: str | None = None
    """Part of the target (case-insensitive)."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _value(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:  # written by hand, or cut by an older version
        return text


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


def _row(row: Any) -> AuditRow:
    return AuditRow(
        row.id, row.at, row.site, row.actor, row.role, row.address, row.action, row.target,
        _value(row.before), _value(row.after),
    )  # fmt: skip


def _query(where: AuditFilter) -> Any:
    query = select(audit_log)
    c = audit_log.c
    if where.start is not None:
        query = query.where(c.at >= where.start)
    if where.end is not None:
        query = query.where(c.at < where.end)
    if where.actor:
        query = query.where(c.actor == where.actor)
    if where.action:
        query = query.where(c.action == where.action)
    if where.sites is not None:
        query = query.where(c.site.in_(where.sites))
    if where.text:
        # LIKE with our own escape, so `%` and `_` typed by a person are literal
        escaped = where.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(c.target.ilike(f"%{escaped}%", escape="\\"))
    return query


def read_page(
    db: Database, where: AuditFilter, *, limit: int = 100, before_id: int | None = None
) -> tuple[list[AuditRow], int | None]:
    """Newest first, at most `limit` rows older than `before_id`; and the cursor of the next
    page (None when this is the last)."""
    limit = max(1, min(limit, PAGE_MAX))
    query = _query(where).order_by(audit_log.c.id.desc()).limit(limit + 1)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    with db.read() as conn:
        rows = [_row(r) for r in conn.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def read_all(db: Database, where: AuditFilter) -> Iterator[AuditRow]:
    """Every row the filter takes, oldest first, read in pages (for the export)."""
    after = 0
    while True:
        query = _query(where).where(audit_log.c.id > after).order_by(audit_log.c.id).limit(1000)
        with db.read() as conn:
            rows = [_row(r) for r in conn.execute(query)]
        yield from rows
        if len(rows) < 1000:
            return
        after = rows[-1].id


def csv_text(rows: Iterable[AuditRow], when: Any, label: Any) -> str:
    """The export: UTF-8 with a BOM (so Excel reads the Vietnamese), Vietnamese headers,
    RFC 4180 quoting. `when(row)` is the row's local time as text, `label(action)` the
    action in words."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for r in rows:
        writer.writerow(
            [_cell(c) for c in (r.id, when(r), r.site, r.actor, r.role, r.address,
             label(r.action), r.action, r.target, _text(r.before), _text(r.after))]
        )  # fmt: skip
    return out.getvalue()


def _cell(value: object) -> object:
    """A cell Excel will not run as a formula (a text starting = + - @ gets a quote)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
