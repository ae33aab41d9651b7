"""`motcua user create|list|passwd|lock|unlock`: staff accounts from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any


def add_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """The `user` command group."""
    user = sub.add_parser("user", help="manage staff accounts (admins, supervisors, clerks)")
    usub = user.add_subparsers(dest="user_command", required=True)
    create = usub.add_parser(
        "create", help="create an account; the password is read from stdin when not a terminal"
    )
    create.add_argument("--username", required=True, help="sign-in name, no spaces")
    create.add_argument("--role", required=True, choices=["admin", "supervisor", "clerk"])
    create.add_argument("--name", default="", help="full name, as it is shown")
    create.add_argument(
        "--counter", type=int, action="append", help="clerks: a counter they may work at (repeat)"
    )
    create.add_argument("--site", help="site code (default: the first site)")
    create.add_argument("--all-sites", action="store_true", help="admins: for every site, not one")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )
    common(create)
    listing = usub.add_parser("list", help="list accounts: username, name, role, site, counters")
    listing.add_argument("--site", help="only this site's accounts (and all-sites admins)")
    common(listing)
    for name, text in (
        ("passwd", "set a new password (ends the account's sessions)"),
        ("lock", "lock an account (ends its sessions at once)"),
        ("unlock", "unlock an account locked after wrong passwords"),
    ):
        cmd = usub.add_parser(name, help=text)
        cmd.add_argument("username")
        if name == "passwd":
            cmd.add_argument("--password-stdin", action="store_true")
        common(cmd)


def _password(args: argparse.Namespace) -> str:
    """The new password: stdin's first line when asked or not a terminal, else typed twice."""
    if getattr(args, "password_stdin", False) or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu / Password: ")
    if getpass.getpass("Nhập lại / Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def run(args: argparse.Namespace, load: Callable[..., Any], database: Callable[[Any], Any]) -> int:
    """Run `motcua user ...`."""
    from .accounts import create_user, list_users, set_locked, set_password
    from .auth import ALL_SITES
    from .domain.clock import SystemClock

    config = load(args)
    clock = SystemClock()
    command = args.user_command
    try:
        if command == "create":
            site = config.site(args.site)
            if site is None:
                return _fail(f"unknown site {args.site!r}")
            if args.all_sites and args.role != "admin":
                return _fail("--all-sites is for admins")
            if args.role == "clerk" and not args.counter:
                return _fail("a clerk needs at least one --counter N")
            unknown = sorted(set(args.counter or ()) - set(site.counters_by_number))
            if unknown:
                return _fail(f"site {site.code} has no counter {', '.join(map(str, unknown))}")
            password = _password(args)
            db = database(config)
            user = create_user(
                db, clock, username=args.username, password=password, role=args.role,
                site=ALL_SITES if args.all_sites else site.code, name=args.name,
                counters=args.counter if args.role == "clerk" else None,
            )  # fmt: skip
            db.dispose()
            print(f"user {user.username} created: role={user.role} site={_site(user.site)}")
            return 0
        if command == "list":
            db = database(config)
            users = list_users(db, args.site)
            db.dispose()
            table = [("username", "name", "role", "site", "counters", "state")]
            for u in users:
                counters = ",".join(map(str, sorted(u.counters))) if u.counters else "all"
                state = "locked" if u.locked else "active" if u.active else "inactive"
                table.append((u.username, u.name or "-", u.role, _site(u.site), counters, state))
            widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
            for row in table:
                print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            return 0
        db = database(config)
        if command == "passwd":
            done = set_password(db, clock, args.username, _password(args))
        else:
            done = set_locked(db, clock, args.username, command == "lock")
        db.dispose()
        if not done:
            return _fail(f"no user {args.username!r} (see motcua user list)")
        done_text = {"passwd": "password changed", "lock": "locked", "unlock": "unlocked"}
        print(f"user {args.username}: {done_text[command]}")
        return 0
    except ValueError as err:
        return _fail(str(err))


def _site(code: str) -> str:
    return "all" if code == "*" else code


def _fail(message: str) -> int:
    print(f"motcua: {message}", file=sys.stderr)
    return 2
