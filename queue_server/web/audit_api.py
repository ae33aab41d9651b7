"""Reading the audit log: GET /api/v1/audit (a page, newest first) and /api/v1/audit.csv.

Admins (a session or an admin token) and supervisors (a session) read their site's rows;
an all-sites admin reads every site's, or one with ?site=. Days are the site's local days.
There is no route that changes or deletes a row (tests/queue_server/test_audit.py).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Response, current_app

from ..audit import AuditFilter, AuditRow, action_label, csv_text, read_all, read_page
from ..auth import Principal
from ..contract import models as m
from ..domain.errors import Invalid
from ..domain.model import Site
from .api import api, desk
from .routes import check_site, principal

READERS = ("admin", "supervisor")
ERRORS = ("unknown_site", "invalid_date")


def _day(text: str | None, param: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid("invalid_date", param=param) from None


def _scope(who: Principal, query: m.AuditQuery) -> tuple[tuple[str, ...] | None, Site]:
    """The sites to read (None: all) and the site whose days the dates are."""
    if query.site is not None:
        chosen = desk().site(query.site)  # 404 unknown_site
        check_site(who, chosen.code)
        return (chosen.code,), chosen
    if who.all_sites:
        return None, desk().site()
    return (who.site,), desk().site(who.site)


def audit_filter(who: Principal, query: m.AuditQuery) -> AuditFilter:
    """What a request asks to read, within what the caller may read."""
    sites, site = _scope(who, query)
    first, last = _day(query.from_, "from"), _day(query.to, "to")
    start = datetime.combine(first, time(0), tzinfo=site.tz) if first else None
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=site.tz) if last else None
    return AuditFilter(start, end, query.actor, query.action, sites, query.q)


def local_time(row: AuditRow) -> datetime:
    """When it happened, in its site's time zone (the first site's for an all-sites row)."""
    site = desk().config.site(row.site) or desk().site()
    return row.at.astimezone(site.tz)


def entry_out(row: AuditRow) -> m.AuditEntryOut:
    """One row as the API shows it."""
    return m.AuditEntryOut(
        id=row.id, at=local_time(row).isoformat(timespec="seconds"), site=row.site,
        actor=row.actor, role=row.role, address=row.address, action=row.action,
        action_label=action_label(row.action), target=row.target, before=row.before,
        after=row.after,
    )  # fmt: skip


@api.get("/audit", response=m.AuditPage, roles=READERS, query=m.AuditQuery, errors=ERRORS)
def audit_page(query: m.AuditQuery) -> m.AuditPage:
    """The audit log (Nhật ký thao tác), newest first

    Who did what to what, when, from where, and what it was before and after: every
    correction of a ticket, every admin and supervisor action, every change of an account,
    a token or the configuration. Filters: `from`/`to` (days in the site's time), `actor`,
    `action`, `site`, `q` (part of the target). Page with `limit` (≤ 500) and `before_id`
    (the previous page's `next_before_id`). Nothing can change or delete a row.
    """
    where = audit_filter(principal(), query)
    db = current_app.extensions["motcua"].db
    rows, cursor = read_page(db, where, limit=query.limit, before_id=query.before_id)
    return m.AuditPage(entries=[entry_out(r) for r in rows], next_before_id=cursor)


@api.get(
    "/audit.csv", response=None, roles=READERS, query=m.AuditQuery, errors=ERRORS,
    media="text/csv",
)  # fmt: skip
def audit_csv(query: m.AuditQuery) -> Response:
    """The audit log as CSV (Xuất CSV), oldest first, with the same filters

    `text/csv`, UTF-8 with a byte-order mark so that Excel shows the Vietnamese, Vietnamese
    column headers; every row the filters take (`limit` and `before_id` do not apply).
    """
    where = audit_filter(principal(), query)
    db = current_app.extensions["motcua"].db
    text = csv_text(
        read_all(db, where), lambda r: local_time(r).strftime("%Y-%m-%d %H:%M:%S"), action_label
    )
    name = f"nhat-ky-thao-tac-{query.from_ or 'dau'}-{query.to or 'nay'}.csv"
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
