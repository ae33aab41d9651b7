"""`motcua audit export`: the audit log as CSV (UTF-8 with a BOM, Vietnamese headers)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any


def add_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """The `audit` command group."""
    audit = sub.add_parser("audit", help="the audit log (who changed what, when, from where)")
    asub = audit.add_subparsers(dest="audit_command", required=True)
    export = asub.add_parser("export", help="write the audit log as CSV, oldest first")
    export.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (the site's time)")
    export.add_argument("--to", dest="last", help="last day included, YYYY-MM-DD")
    export.add_argument("--site", help="only this site's rows (default: every site)")
    export.add_argument("--output", help="file to write (default: stdout)")
    common(export)


def _day(text: str | None, flag: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{flag} must be a date, YYYY-MM-DD (got {text!r})") from None


def run(args: argparse.Namespace, load: Callable[..., Any], database: Callable[[Any], Any]) -> int:
    """Run `motcua audit export`."""
    from .audit import AuditFilter, action_label, csv_text, read_all

    config = load(args)
    try:
        first, last = _day(args.first, "--from"), _day(args.last, "--to")
    except ValueError as err:
        print(f"motcua: {err}", file=sys.stderr)
        return 2
    site = config.site(args.site)
    if site is None:
        print(f"motcua: unknown site {args.site!r}", file=sys.stderr)
        return 2
    start = datetime.combine(first, time(0), tzinfo=site.tz) if first else None
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=site.tz) if last else None
    where = AuditFilter(start, end, sites=(site.code,) if args.site else None)

    def when(row: Any) -> str:
        tz = (config.site(row.site) or site).tz
        return str(row.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"))

    db = database(config)
    data = csv_text(read_all(db, where), when, action_label).encode("utf-8")
    db.dispose()
    if args.output:
        with open(args.output, "wb") as out:
            out.write(data)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
