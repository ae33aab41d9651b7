"""The `motcua` command line: run, token create|list|revoke, user create|list|passwd|lock|unlock,
voice build, agent, config check."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, cli_audit, cli_users

if TYPE_CHECKING:
    from .demo_devices import DemoDevices


def build_parser() -> argparse.ArgumentParser:
    """Every command and option, with help."""
    p = argparse.ArgumentParser(
        prog="motcua",
        description="MộtCửa Queue: hệ thống xếp hàng cho Bộ phận Một cửa "
        "(queue management for Vietnamese one-stop service centres).",
    )
    p.add_argument("--version", action="version", version=f"motcua {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the whole system (the demo centre without --config)")
    _common(run)
    run.add_argument("--host", help="listen address (default 127.0.0.1)")
    run.add_argument("--port", type=int, help="listen port (default 5000)")

    token = sub.add_parser("token", help="manage bearer tokens")
    tsub = token.add_subparsers(dest="token_command", required=True)
    create = tsub.add_parser("create", help="create a token; printed as the last line of stdout")
    from .auth import ROLES

    create.add_argument(
        "--role", required=True, choices=ROLES,
        help="kiosk, display, counter (a counter PC, bound to its counter: the login page "
        "there preselects it), agent, admin, or clerk (a counter's shared code)",
    )  # fmt: skip
    create.add_argument("--counter", type=int, help="counter number (clerk and counter tokens)")
    create.add_argument(
        "--counters",
        help="agent tokens: the counters its devices serve, e.g. 1,2,3 or 1-6 "
        "(default: every counter of its site)",
    )
    create.add_argument("--name", default="", help="who or what holds it")
    create.add_argument("--site", help="site code (default: the first site)")
    create.add_argument(
        "--all-sites", action="store_true", help="admin tokens: for every site, not one"
    )
    create.add_argument(
        "--expires", help="expiry: 30d, 12h, 45m, or a date 2027-01-31 (its 00:00 at the site)"
    )
    _common(create)
    listing = tsub.add_parser(
        "list",
        help="list tokens: id, role, site, counters, name, dates, last use (time, address) "
        "and state (never the token)",
    )
    listing.add_argument("--site", help="only this site's tokens (and all-sites ones)")
    _common(listing)
    revoke = tsub.add_parser(
        "revoke", help="revoke a token by id; refused on its very next request"
    )
    revoke.add_argument("id", type=int, help="the token's id (motcua token list)")
    _common(revoke)

    cli_users.add_parser(sub, _common)
    cli_audit.add_parser(sub, _common)

    voice = sub.add_parser("voice", help="voice announcements")
    vsub = voice.add_subparsers(dest="voice_command", required=True)
    vbuild = vsub.add_parser(
        "build", help="build the clip pack that says every number the centre can issue"
    )
    _common(vbuild)
    vbuild.add_argument("--force", action="store_true", help="render every clip again")

    agent = sub.add_parser(
        "agent", help="run the device agent for the keypads and LED boards wired to this PC"
    )
    agent.add_argument("--server", required=True, help="server URL, e.g. http://10.0.0.2:5000")
    agent.add_argument(
        "--token",
        default=os.environ.get("MOTCUA_AGENT_TOKEN"),
        help="agent token (motcua token create --role agent); default $MOTCUA_AGENT_TOKEN",
    )
    agent.add_argument("--config", required=True, help="devices.toml (see examples/devices.toml)")
    agent.add_argument("--data-dir", help="folder for a simulated printer's previews")
    agent.add_argument("--log-level", default="INFO", help="DEBUG, INFO (default), WARNING")

    config = sub.add_parser("config", help="configuration tools")
    csub = config.add_subparsers(dest="config_command", required=True)
    check = csub.add_parser("check", help="validate a centre file")
    check.add_argument("file")
    public = csub.add_parser(
        "public-url",
        help="where the slips' QR codes lead; with URL (and --config) set public_url",
    )
    public.add_argument("url", nargs="?", help="e.g. https://hcc.example.gov.vn/")
    public.add_argument("--config", help="the centre file whose [server] table gets it")
    public.add_argument(
        "--offer",
        action="store_true",
        help="ask for it once when stdin is a terminal and it is unset (scripts/setup.sh); "
        "otherwise only say how to set it",
    )
    return p


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="centre TOML file (default: the built-in demo centre)")
    p.add_argument("--data-dir", help="data folder (default ./motcua-data)")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    if args.command == "run":
        _patch_for_async_mode(args.config)
    from .config import ConfigError
    from .contract.messages import render

    try:
        if args.command == "run":
            return _run(args)
        if args.command == "token":
            return TOKEN_COMMANDS[args.token_command](args)
        if args.command == "user":
            return cli_users.run(args, _load, _database)
        if args.command == "audit":
            return cli_audit.run(args, _load, _database)
        if args.command == "voice":
            return _voice_build(args)
        if args.command == "agent":
            return _agent(args)
        if args.config_command == "public-url":
            return _public_url(args)
        return _config_check(args)
    except ConfigError as err:
        vi, en = render("cli.config_error")
        print(f"motcua: {vi} / {en}: {err}", file=sys.stderr)
        return 2


def _patch_for_async_mode(config_path: str | None) -> None:
    """gevent and eventlet must patch the standard library before anything else imports it."""
    mode = os.environ.get("MOTCUA_ASYNC_MODE")
    if not mode and config_path:
        import tomllib

        try:
            mode = (
                tomllib.loads(Path(config_path).read_text("utf-8"))
                .get("server", {})
                .get("async_mode")
            )
        except (OSError, ValueError):
            mode = None  # load_config reports the problem properly
    if mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
    elif mode == "eventlet":
        import eventlet

        eventlet.monkey_patch()


def _load(args: argparse.Namespace, **overrides: Any) -> Any:
    from .config import load_config

    return load_config(args.config, overrides={"data_dir": args.data_dir, **overrides})


def _run(args: argparse.Namespace) -> int:
    from .app import create_app
    from .contract.messages import render
    from .demo import demo_accounts, demo_links, live_demo_accounts, safety_notes
    from .demo_devices import DemoDevices

    config = _load(args, host=args.host, port=args.port)
    server = config.server
    devices = DemoDevices.from_config(config)
    app = create_app(config, demo_devices=devices)
    ext = app.extensions["motcua"]
    if not config.demo:
        left = live_demo_accounts(ext.db)
        if left:  # a demo's known passwords must not open a real centre
            vi, en = render("cli.demo_accounts_left", names=", ".join(left))
            print(f"motcua: {vi}\n        {en}", file=sys.stderr)
            return 2
    base = f"http://{server.host}:{server.port}"
    print(f"MộtCửa Queue {__version__} · {config.default_site.name}")
    print(f"  cơ sở dữ liệu / database: {_safe_url(server.resolved_database_url)}")
    print(f"  chế độ / async mode: {server.async_mode}")
    for label, url in demo_links(ext, base):
        print(f"  {label}: {url}")
    if config.demo:
        vi, en = render("cli.demo_accounts")
        print(f"  {vi} / {en} ({base}/login):")
        for username, role, name, password in demo_accounts(ext):
            print(f"    {username} · {role} · {name} · mật khẩu / password: {password}")
    status_vi, status_en = render("cli.status_page")
    print(f"  {status_vi} / {status_en}: {_qr_base(config, ext.printing.link_base)}/t/<id>")
    for vi, en in safety_notes(ext):
        print(f"  ! {vi}\n    {en}")
    if not server.public_url:
        logging.getLogger(__name__).warning(
            "%s", render("cli.no_public_url", url=ext.printing.link_base)[1]
        )
    sys.stdout.flush()
    options: dict[str, Any] = {}
    if server.async_mode == "threading":
        options["request_handler"] = _keep_alive_handler()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    if devices is not None:
        _start_demo_devices(ext, devices)
    try:
        ext.socketio.run(
            app,
            host=server.host,
            port=server.port,
            allow_unsafe_werkzeug=True,
            log_output=False,
            use_reloader=False,
            **options,
        )
    finally:
        if devices is not None:
            devices.stop()
    return 0


def _start_demo_devices(ext: Any, devices: DemoDevices) -> None:
    """Start the demo's simulated keypads and LED boards with their agent (threads of this
    process); the agent connects once the server listens."""
    from .demo_devices import server_url

    try:
        token = devices.agent_token(ext.db, ext.desk.clock, ext.config.default_site.code)
        devices.start(server_url(ext.config), token)
    except Exception as err:  # the demo runs without them
        devices.error = str(err) or type(err).__name__
        logging.getLogger(__name__).warning("simulated devices not started: %s", err)


def _keep_alive_handler() -> Any:
    """Werkzeug's handler speaking HTTP/1.1, so kiosks and consoles keep their connection
    instead of paying a new TCP connection and thread for every request."""
    from werkzeug.serving import WSGIRequestHandler

    class KeepAliveHandler(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"

    return KeepAliveHandler


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _token_create(args: argparse.Namespace) -> int:
    from .auth import ALL_SITES, AT_ONE_COUNTER, create_token
    from .domain.clock import SystemClock

    config = _load(args)
    site = config.site(args.site)
    if site is None:
        return _fail(f"unknown site {args.site!r}")
    if args.role in AT_ONE_COUNTER:
        if args.counter is None:
            return _fail(f"a {args.role} token needs --counter N")
        if args.counter not in site.counters_by_number:
            return _fail(f"site {site.code} has no counter {args.counter}")
    counters = None
    if args.counters is not None:
        if args.role != "agent":
            return _fail("--counters is for agent tokens (a clerk token takes --counter N)")
        try:
            counters = _counter_list(args.counters)
        except ValueError:
            return _fail(f"--counters {args.counters!r}: give numbers and ranges, e.g. 1,2,5-8")
        unknown = sorted(set(counters) - set(site.counters_by_number))
        if unknown:
            return _fail(f"site {site.code} has no counter {', '.join(map(str, unknown))}")
    if args.all_sites and args.role != "admin":
        return _fail("--all-sites is for admin tokens")
    clock = SystemClock()
    try:
        expires = _expiry(args.expires, clock.now(), site.tz) if args.expires else None
    except ValueError:
        return _fail(f"--expires {args.expires!r}: give 30d, 12h, 45m or a date 2027-01-31")
    if expires is not None and expires <= clock.now():
        return _fail(f"--expires {args.expires!r} is already past")
    code = ALL_SITES if args.all_sites else site.code
    db = _database(config)
    token = create_token(
        db, clock, role=args.role, site=code, counter=args.counter, name=args.name,
        counters=counters, expires_at=expires,
    )  # fmt: skip
    db.dispose()
    print(
        f"role={args.role} site={'all' if args.all_sites else site.code}"
        + (f" counter={args.counter}" if args.counter else "")
        + (f" counters={_ranges(counters)}" if counters else "")
        + (f" expires={expires.astimezone(site.tz).isoformat()}" if expires else "")
    )
    print(token)
    return 0


def _token_list(args: argparse.Namespace) -> int:
    from .auth import ALL_SITES, list_tokens, token_state
    from .domain.clock import SystemClock

    config = _load(args)
    if args.site is not None and config.site(args.site) is None:
        return _fail(f"unknown site {args.site!r}")
    db = _database(config)
    rows = list_tokens(db, args.site)
    db.dispose()
    tz = config.default_site.tz

    def when(moment: Any) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "-"

    now = SystemClock().now()
    table = [("id", "role", "site", "counter(s)", "name", "created", "expires", "revoked",
              "last-used", "from", "state")]  # fmt: skip
    for r in rows:
        scope = str(r.counter) if r.counter is not None else "-"
        if r.role == "agent":
            scope = _ranges(int(c) for c in r.counters.split(",")) if r.counters else "all"
        site = "all" if r.site == ALL_SITES else r.site
        table.append((str(r.id), r.role, site, scope, r.name or "-", when(r.created_at),
                      when(r.expires_at), when(r.revoked_at), when(r.last_used_at),
                      r.last_used_from or "-", token_state(r, now)))  # fmt: skip
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from .auth import revoke_token
    from .domain.clock import SystemClock

    config = _load(args)
    db = _database(config)
    revoked = revoke_token(db, SystemClock(), args.id)
    db.dispose()
    if revoked is None:
        print(f"motcua: no token with id {args.id} (see motcua token list)", file=sys.stderr)
        return 1
    at = revoked.astimezone(config.default_site.tz).isoformat(timespec="seconds")
    print(f"token {args.id} revoked at {at}: refused from its next request on")
    return 0


TOKEN_COMMANDS = {"create": _token_create, "list": _token_list, "revoke": _token_revoke}


def _fail(message: str) -> int:
    print(f"motcua: {message}", file=sys.stderr)
    return 2


def _database(config: Any) -> Any:
    """The centre's database, migrated."""
    from .storage.database import Database

    Path(config.server.data_dir).mkdir(parents=True, exist_ok=True)
    db = Database(config.server.resolved_database_url)
    db.migrate()
    return db


def _counter_list(text: str) -> list[int]:
    """1,2,5-8 as [1, 2, 5, 6, 7, 8]; ValueError for anything else."""
    out: set[int] = set()
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        low, high = int(first), int(last) if dash else int(first)
        if low < 1 or high < low or high - low > 999:
            raise ValueError(part)
        out.update(range(low, high + 1))
    return sorted(out)


def _ranges(numbers: Iterable[int]) -> str:
    """[1, 2, 3, 5] as 1-3,5."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ",".join(map(str, r)) for r in runs)


def _expiry(text: str, now: datetime, tz: Any) -> datetime:
    """30d, 12h, 45m after now, or 00:00 of a date (2027-01-31) at the site; ValueError."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    text = text.strip()
    if text[-1:] in units and text[:-1].isdigit():
        return now + timedelta(**{units[text[-1]]: int(text[:-1])})
    return datetime.combine(date.fromisoformat(text), time(0), tzinfo=tz).astimezone(UTC)


def _voice_build(args: argparse.Namespace) -> int:
    from audio.clippack import build_pack
    from audio.engines import EspeakEngine

    from .voice import Voice

    config = _load(args)
    voice = Voice(config.sites, Path(config.server.data_dir))
    engine = EspeakEngine(config.default_site.voice)
    if not engine.available():
        print("motcua: espeak-ng is not installed (apt-get install espeak-ng)", file=sys.stderr)
        return 2
    words = voice.words()

    def progress(done: int, total: int, word: str) -> None:
        width = 30
        filled = width * done // max(total, 1)
        bar = "█" * filled + "·" * (width - filled)
        print(f"\r  [{bar}] {done}/{total} {word[:40]:<40}", end="", flush=True)

    print(f"Tạo gói âm thanh / building the clip pack: {len(words)} words -> {voice.pack_dir}")
    report = build_pack(words, voice.pack_dir, engine, progress, force=args.force)
    print()
    print(f"  made {len(report.made)}, kept {len(report.kept)}, engine {report.engine_used}")
    if report.missing:
        print(f"  missing {len(report.missing)}: {', '.join(sorted(report.missing))}")
        return 1
    print("  every number of every service can be announced")
    return 0


def _agent(args: argparse.Namespace) -> int:
    from hardware.agent import run_agent

    if not args.token:
        print("motcua: the agent needs --token (or MOTCUA_AGENT_TOKEN)", file=sys.stderr)
        return 2
    return run_agent(
        args.server, args.token, args.config, data_dir=args.data_dir, log_level=args.log_level
    )


def _config_check(args: argparse.Namespace) -> int:
    from .config import load_config

    config = load_config(args.file)
    summary = [
        {"site": s.code, "services": len(s.services), "counters": len(s.counters)}
        for s in config.sites
    ]
    print(json.dumps({"ok": True, "sites": summary}, ensure_ascii=False))
    return 0


def _qr_base(config: Any, link_base: str) -> str:
    """Where status links on slips point: public_url, else the listening address."""
    return str(config.server.public_url or link_base).rstrip("/")


def _say(code: str, **params: object) -> None:
    from .contract.messages import render

    vi, en = render(code, **params)
    print(f"{vi}\n{en}")


def _public_url(args: argparse.Namespace) -> int:
    """`motcua config public-url`: explain where QR codes lead; set public_url."""
    from .config import load_config
    from .printing import listening_url
    from .public_url import check

    config = load_config(args.config)
    server = config.server
    url = args.url
    if url is None and args.offer and not server.public_url:
        url = _ask_public_url() if args.config and sys.stdin.isatty() else None
        if url == "":
            _say("cli.public_url_skipped")
            url = None
    if url is not None:
        try:
            url = check(url)
        except ValueError:
            _say("cli.public_url_invalid", url=url)
            return 2
        if not args.config:
            _say("cli.public_url_env", url=url)
            return 0
        _write_public_url(args.config, url)
        _say("cli.public_url_set", url=url, file=args.config)
        return 0
    target = f"{_qr_base(config, listening_url(server.host, server.port))}/t/<id>"
    if server.public_url:
        _say("cli.qr_public", url=target)
    elif server.loopback:
        _say("cli.qr_loopback", host=server.host, url=target)
    else:
        _say("cli.qr_local", url=target)
    if not server.public_url:
        _say("cli.public_url_how")
    return 0


def _ask_public_url() -> str:
    """One question on the terminal; "" when skipped (Enter, end of input)."""
    from .contract.messages import render

    vi, en = render("cli.public_url_ask")
    try:
        return input(f"{vi}\n{en}: ").strip()
    except EOFError:
        return ""


def _write_public_url(path: str, url: str) -> None:
    """Set public_url in the centre file's [server] table, checking the result loads."""
    from .config import parse_config
    from .public_url import set_in_toml

    file = Path(path)
    text = set_in_toml(file.read_text("utf-8"), url)
    parse_config(text, path, environ={})  # ConfigError: the file is left as it was
    file.write_text(text, "utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
