"""Configuration: server settings and the centre (sites, services, counters) from TOML.

Every setting is declared once in SETTINGS with its default, environment
variable and help text; the centre is validated on load and every error names
the file, the key and the problem.
"""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .domain.model import (
    WEEKDAYS,
    Counter,
    Hours,
    NumberFormat,
    PriorityPolicy,
    Procedure,
    Service,
    Session,
    Site,
)

ASYNC_MODES = ("threading", "gevent", "eventlet")


class ConfigError(Exception):
    """A configuration problem, with the file and key it is about."""

    def __init__(self, source: str, key: str, problem: str):
        super().__init__(f"{source}: {key}: {problem}" if key else f"{source}: {problem}")
        self.source, self.key, self.problem = source, key, problem


@dataclass(frozen=True)
class Setting:
    """One server setting: name, default, environment variable and help text."""

    name: str
    default: Any
    env: str
    help: str
    parse: Callable[[str], Any] = str


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1", "MOTCUA_HOST", "Address the server listens on."),
    Setting("port", 5000, "MOTCUA_PORT", "TCP port the server listens on.", int),
    Setting(
        "data_dir",
        "motcua-data",
        "MOTCUA_DATA_DIR",
        "Folder for the embedded SQLite database, printer previews and audio.",
    ),
    Setting(
        "database_url",
        None,
        "MOTCUA_DATABASE_URL",
        "SQLAlchemy URL; SQLite under the data dir when unset. postgresql:// URLs use psycopg 3.",
    ),
    Setting(
        "redis_url",
        None,
        "MOTCUA_REDIS_URL",
        "Redis URL; enables the Socket.IO message queue and one event sequence "
        "shared by several server processes.",
    ),
    Setting(
        "async_mode",
        "threading",
        "MOTCUA_ASYNC_MODE",
        "Flask-SocketIO async mode: threading (default), gevent or eventlet (optional extra).",
    ),
    Setting(
        "sqlite_synchronous",
        "FULL",
        "MOTCUA_SQLITE_SYNCHRONOUS",
        "SQLite PRAGMA synchronous: FULL survives power loss, NORMAL only a process crash.",
    ),
    Setting(
        "max_body_bytes",
        16384,
        "MOTCUA_MAX_BODY_BYTES",
        "Largest request body accepted; bigger ones get 413.",
        int,
    ),
    Setting(
        "public_url",
        None,
        "MOTCUA_PUBLIC_URL",
        "Base URL printed in QR codes (http://10.0.0.2:5000/); the request's host when unset.",
    ),
    Setting(
        "voice",
        True,
        "MOTCUA_VOICE",
        "Make announcement audio (clip pack, espeak-ng, cached gTTS); false: text only.",
        lambda v: v.lower() in ("1", "true", "yes", "on"),
    ),
    Setting(
        "audio_player",
        None,
        "MOTCUA_AUDIO_PLAYER",
        "Command that plays a WAV on the server's own speakers, one call at a time "
        '(e.g. "aplay -q"); unset: the lobby display plays the audio.',
    ),
    Setting(
        "demo_devices",
        True,
        "MOTCUA_DEMO_DEVICES",
        "Demo mode only: simulated keypads and LED boards on ptys, driven by the device agent.",
        lambda v: v.lower() in ("1", "true", "yes", "on"),
    ),
    Setting(
        "test_hooks",
        False,
        "MOTCUA_TEST_HOOKS",
        "Enables test-only hooks (never in production).",
        lambda v: v.lower() in ("1", "true", "yes"),
    ),
)


@dataclass(frozen=True)
class ServerSettings:
    """Resolved server settings."""

    host: str = "127.0.0.1"
    port: int = 5000
    data_dir: str = "motcua-data"
    database_url: str | None = None
    redis_url: str | None = None
    async_mode: str = "threading"
    sqlite_synchronous: str = "FULL"
    max_body_bytes: int = 16384
    public_url: str | None = None
    voice: bool = True
    audio_player: str | None = None
    demo_devices: bool = True
    test_hooks: bool = False

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use, defaulting to SQLite in the data dir."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        path = Path(self.data_dir).resolve() / "motcua.db"
        return f"sqlite:///{path}"


@dataclass(frozen=True)
class Config:
    """Everything the app needs: where it came from, server settings and the sites."""

    source: str
    server: ServerSettings
    sites: tuple[Site, ...]
    demo: bool = False

    @property
    def default_site(self) -> Site:
        """The first site; API calls without a site act on it."""
        return self.sites[0]

    def site(self, code: str | None) -> Site | None:
        """A site by code (the default site for None)."""
        if code is None:
            return self.default_site
        return next((s for s in self.sites if s.code == code), None)


def normalise_database_url(url: str) -> str:
    """Make postgresql:// URLs use psycopg 3, the driver we ship."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


DEMO_CONFIG = "demo_centre.toml"


def demo_config_text() -> str:
    """The built-in demo centre as TOML text."""
    return resources.files("queue_server").joinpath(DEMO_CONFIG).read_text(encoding="utf-8")


def load_config(
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Load a centre file (the built-in demo when path is None), then env vars, then overrides."""
    if path is None:
        source, text, demo = "<demo centre>", demo_config_text(), True
    else:
        source, demo = str(path), False
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(source, "", f"cannot read file ({err.strerror})") from err
        except UnicodeDecodeError as err:
            raise ConfigError(source, "", "file is not UTF-8 text") from err
    return parse_config(text, source, overrides=overrides, environ=environ, demo=demo)


def parse_config(
    text: str,
    source: str = "<config>",
    *,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    demo: bool = False,
) -> Config:
    """Parse and validate TOML text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(source, "", f"not valid TOML ({err})") from err
    v = _Validator(source)
    v.keys(raw, "", {"server", "sites"})
    server = _server_settings(v, raw.get("server", {}), environ or os.environ, overrides or {})
    sites_raw = raw.get("sites")
    if not isinstance(sites_raw, list) or not sites_raw:
        raise ConfigError(source, "sites", "at least one [[sites]] table is required")
    sites = tuple(_site(v, s, f"sites[{i}]") for i, s in enumerate(sites_raw))
    codes = [s.code for s in sites]
    for i, code in enumerate(codes):
        if code in codes[:i]:
            raise ConfigError(source, f"sites[{i}].code", f"duplicate site code {code!r}")
    return Config(source=source, server=server, sites=sites, demo=demo)


def _server_settings(
    v: _Validator, raw: Any, environ: Mapping[str, str], overrides: Mapping[str, Any]
) -> ServerSettings:
    v.table(raw, "server")
    v.keys(raw, "server", {s.name for s in SETTINGS})
    values: dict[str, Any] = {}
    for s in SETTINGS:
        value = raw.get(s.name, s.default)
        if s.env in environ and environ[s.env] != "":
            try:
                value = s.parse(environ[s.env])
            except ValueError as err:
                raise ConfigError(f"environment {s.env}", "", f"invalid value ({err})") from err
        if overrides.get(s.name) is not None:
            value = overrides[s.name]
        values[s.name] = value
        if isinstance(s.default, bool) and not isinstance(value, bool):
            # A string here would be truthy: test_hooks = "no" must not switch hooks on.
            raise ConfigError(v.source, f"server.{s.name}", "must be true or false")
        if s.parse is str and value is not None and not isinstance(value, str):
            raise ConfigError(v.source, f"server.{s.name}", "must be a string")
    if values["async_mode"] not in ASYNC_MODES:
        raise ConfigError(v.source, "server.async_mode", f"must be one of {', '.join(ASYNC_MODES)}")
    if str(values["sqlite_synchronous"]).upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ConfigError(v.source, "server.sqlite_synchronous", "must be FULL, NORMAL or EXTRA")
    for name in ("port", "max_body_bytes"):
        if not isinstance(values[name], int) or isinstance(values[name], bool) or values[name] <= 0:
            raise ConfigError(v.source, f"server.{name}", "must be a positive integer")
    return ServerSettings(**values)


CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
PREFIX_RE = re.compile(r"^[A-Z]{0,3}$")
RANGE_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


@dataclass
class _Validator:
    source: str
    _path: list[str] = field(default_factory=list)

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.source, key, problem)

    def table(self, raw: Any, key: str) -> None:
        if not isinstance(raw, dict):
            raise self.fail(key, "must be a table")

    def keys(self, raw: Mapping[str, Any], key: str, allowed: set[str]) -> None:
        for k in raw:
            if k not in allowed:
                where = f"{key}.{k}" if key else k
                raise self.fail(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def string(
        self, raw: Mapping[str, Any], key: str, name: str, default: str | None = None
    ) -> str:
        value = raw.get(name, default)
        if value is None:
            raise self.fail(f"{key}.{name}", "is required")
        if not isinstance(value, str):
            raise self.fail(f"{key}.{name}", "must be a string")
        return value

    def integer(
        self, raw: Mapping[str, Any], key: str, name: str, default: int | None, minimum: int = 0
    ) -> int | None:
        value = raw.get(name, default)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{key}.{name}", "must be an integer")
        if value < minimum:
            raise self.fail(f"{key}.{name}", f"must be at least {minimum}")
        return value

    def boolean(self, raw: Mapping[str, Any], key: str, name: str, default: bool) -> bool:
        value = raw.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(f"{key}.{name}", "must be true or false")
        return value


def _site(v: _Validator, raw: Any, key: str) -> Site:
    v.table(raw, key)
    v.keys(
        raw,
        key,
        {
            "code",
            "name",
            "timezone",
            "notice",
            "priority",
            "hours",
            "services",
            "counters",
            "transfer_keeps_issue_time",
            "return_keeps_place",
            "printer",
            "kiosk_priority_step",
            "kiosk_idle_seconds",
            "kiosk_rate_per_minute",
            "announce_template",
            "announce_repeat",
            "reading_odd",
            "voice",
            "voice_clips",
            "kiosk_voice",
            "one_ticket_per_citizen",
        },
    )
    code = v.string(raw, key, "code")
    if not CODE_RE.match(code):
        raise v.fail(f"{key}.code", "use 1-16 letters, digits, '-' or '_'")
    name = v.string(raw, key, "name")
    tz = v.string(raw, key, "timezone", "Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise v.fail(f"{key}.timezone", f"unknown time zone {tz!r}") from err
    hours = _hours(v, raw.get("hours", "always"), f"{key}.hours")
    services_raw = raw.get("services")
    if not isinstance(services_raw, list) or not services_raw:
        raise v.fail(f"{key}.services", "at least one [[sites.services]] table is required")
    services = tuple(
        _service(v, s, f"{key}.services[{i}]", hours) for i, s in enumerate(services_raw)
    )
    _check_services_distinct(v, services, key)
    counters_raw = raw.get("counters")
    if not isinstance(counters_raw, list) or not counters_raw:
        raise v.fail(f"{key}.counters", "at least one [[sites.counters]] table is required")
    codes = {s.code for s in services}
    counters = tuple(
        _counter(v, c, f"{key}.counters[{i}]", codes) for i, c in enumerate(counters_raw)
    )
    numbers = [c.number for c in counters]
    for i, n in enumerate(numbers):
        if n in numbers[:i]:
            raise v.fail(f"{key}.counters[{i}].number", f"duplicate counter number {n}")
    return Site(
        code=code,
        name=name,
        timezone=tz,
        services=services,
        counters=counters,
        priority_policy=_priority(v, raw.get("priority", {}), f"{key}.priority"),
        transfer_keeps_issue_time=v.boolean(raw, key, "transfer_keeps_issue_time", True),
        return_keeps_place=v.boolean(raw, key, "return_keeps_place", True),
        notice=v.string(raw, key, "notice", ""),
        printer=_printer(v, raw, key),
        kiosk_priority_step=v.boolean(raw, key, "kiosk_priority_step", True),
        kiosk_idle_seconds=v.integer(raw, key, "kiosk_idle_seconds", 20, minimum=5) or 20,
        kiosk_rate_per_minute=v.integer(raw, key, "kiosk_rate_per_minute", 30, minimum=1) or 30,
        announce_template=_template(v, raw, key),
        announce_repeat=v.integer(raw, key, "announce_repeat", 2, minimum=1) or 2,
        reading_odd=_choice(v, raw, key, "reading_odd", ("linh", "lẻ"), "linh"),
        voice=_choice(v, raw, key, "voice", ("vi", "vi-vn-x-central", "vi-vn-x-south"), "vi"),
        voice_clips=v.string(raw, key, "voice_clips", ""),
        kiosk_voice=v.boolean(raw, key, "kiosk_voice", True),
        one_ticket_per_citizen=v.boolean(raw, key, "one_ticket_per_citizen", False),
    )


def _choice(
    v: _Validator,
    raw: Mapping[str, Any],
    key: str,
    name: str,
    allowed: tuple[str, ...],
    default: str,
) -> str:
    value = v.string(raw, key, name, default)
    if value not in allowed:
        raise v.fail(f"{key}.{name}", f"must be one of {', '.join(allowed)}")
    return value


def _template(v: _Validator, raw: Mapping[str, Any], key: str) -> str:
    """The announcement sentence; it must name {number} and {counter} and nothing else."""
    text = v.string(raw, key, "announce_template", Site.announce_template)
    try:
        text.format(number="1", counter="1")
    except (KeyError, IndexError, ValueError) as err:
        raise v.fail(f"{key}.announce_template", "use only {number} and {counter}") from err
    if "{number}" not in text or "{counter}" not in text:
        raise v.fail(f"{key}.announce_template", "must contain {number} and {counter}")
    return text


def _printer(v: _Validator, raw: Mapping[str, Any], key: str) -> str:
    """The kiosk printer URL, checked by the same factory that will open it."""
    from hardware.printer import printer_from_url

    url = v.string(raw, key, "printer", "sim")
    if url == "browser":  # an ordinary printer driven by the kiosk's browser
        return url
    try:
        printer_from_url(url, Path("/nonexistent-check-only"))
    except ValueError as err:
        raise v.fail(f"{key}.printer", str(err)) from err
    return url


def _priority(v: _Validator, raw: Any, key: str) -> PriorityPolicy:
    v.table(raw, key)
    v.keys(raw, key, {"mode", "priority", "normal"})
    mode = v.string(raw, key, "mode", "strict")
    if mode not in ("strict", "ratio"):
        raise v.fail(f"{key}.mode", "must be 'strict' or 'ratio'")
    priority = v.integer(raw, key, "priority", 1, minimum=1) or 1
    normal = v.integer(raw, key, "normal", 2, minimum=1) or 2
    return PriorityPolicy(mode=mode, priority=priority, normal=normal)


def _hours(v: _Validator, raw: Any, key: str) -> Hours:
    if raw == "always":
        return Hours.around_the_clock()
    if not isinstance(raw, dict):
        raise v.fail(key, 'must be "always" or a table of weekdays (mon = ["07:30-11:30"])')
    v.keys(raw, key, set(WEEKDAYS) | {"closed_dates"})
    week: list[tuple[Session, ...]] = []
    for day in WEEKDAYS:
        ranges = raw.get(day, [])
        if not isinstance(ranges, list) or not all(isinstance(r, str) for r in ranges):
            raise v.fail(f"{key}.{day}", 'must be a list of "HH:MM-HH:MM" strings')
        sessions = tuple(_session(v, r, f"{key}.{day}") for r in ranges)
        for a, b in itertools.pairwise(sessions):
            if b.start < a.end:
                raise v.fail(f"{key}.{day}", "sessions must be in order and not overlap")
        week.append(sessions)
    closed: set[date] = set()
    closed_raw = raw.get("closed_dates", [])
    if not isinstance(closed_raw, list):
        raise v.fail(f"{key}.closed_dates", "must be a list of dates ([2026-01-01, 2026-04-30])")
    for i, d in enumerate(closed_raw):
        if not isinstance(d, date):
            raise v.fail(f"{key}.closed_dates[{i}]", "must be a date (2026-01-01)")
        closed.add(d)
    return Hours(week=tuple(week), closed_dates=frozenset(closed))


def _session(v: _Validator, text: str, key: str) -> Session:
    m = RANGE_RE.match(text)
    if not m:
        raise v.fail(key, f'{text!r} is not "HH:MM-HH:MM"')
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    try:
        start, end = time(h1, m1), time(h2, m2) if (h2, m2) != (24, 0) else time.max
    except ValueError as err:
        raise v.fail(key, f"{text!r} is not a valid time range") from err
    if end <= start:
        raise v.fail(key, f"{text!r} ends before it starts")
    return Session(start, end)


def _service(v: _Validator, raw: Any, key: str, site_hours: Hours) -> Service:
    v.table(raw, key)
    v.keys(
        raw,
        key,
        {
            "code",
            "name",
            "name_en",
            "prefix",
            "digits",
            "start",
            "end",
            "daily_cap",
            "hours",
            "icon",
            "procedures",
        },
    )
    code = v.string(raw, key, "code")
    if not CODE_RE.match(code):
        raise v.fail(f"{key}.code", "use 1-16 letters, digits, '-' or '_'")
    prefix = v.string(raw, key, "prefix", "")
    if not PREFIX_RE.match(prefix):
        raise v.fail(f"{key}.prefix", "use 0-3 capital letters A-Z")
    digits_given = v.integer(raw, key, "digits", None, minimum=1)
    if digits_given is not None and digits_given > 6:
        raise v.fail(f"{key}.digits", "at most 6 digits")
    start = v.integer(raw, key, "start", 1, minimum=0)
    end = v.integer(raw, key, "end", 10**digits_given - 1 if digits_given else 999, minimum=0)
    assert start is not None and end is not None
    if end < start:
        raise v.fail(f"{key}.end", f"must not be below start ({start})")
    digits = digits_given or len(str(end))
    if len(str(end)) > digits:
        raise v.fail(f"{key}.end", f"{end} does not fit in {digits} digits")
    if not prefix and start == 0:
        raise v.fail(f"{key}.start", "a number without prefix cannot start at 0")
    cap = v.integer(raw, key, "daily_cap", None, minimum=1)
    if cap is not None and cap > end - start + 1:
        raise v.fail(f"{key}.daily_cap", f"exceeds the {end - start + 1} numbers of the format")
    hours = _hours(v, raw["hours"], f"{key}.hours") if "hours" in raw else site_hours
    procedures_raw = raw.get("procedures", [])
    if not isinstance(procedures_raw, list):
        raise v.fail(f"{key}.procedures", "must be an array of tables")
    procedures = tuple(
        _procedure(v, p, f"{key}.procedures[{i}]") for i, p in enumerate(procedures_raw)
    )
    name = v.string(raw, key, "name")
    if not name.strip():
        raise v.fail(f"{key}.name", "must not be empty")
    return Service(
        code=code,
        name=name,
        name_en=v.string(raw, key, "name_en", ""),
        number_format=NumberFormat(prefix=prefix, digits=digits, start=start, end=end),
        daily_cap=cap,
        hours=hours,
        icon=v.string(raw, key, "icon", ""),
        procedures=procedures,
    )


def _procedure(v: _Validator, raw: Any, key: str) -> Procedure:
    v.table(raw, key)
    v.keys(raw, key, {"name", "documents"})
    docs = raw.get("documents", [])
    if not isinstance(docs, list) or not all(isinstance(d, str) for d in docs):
        raise v.fail(f"{key}.documents", "must be a list of strings")
    return Procedure(name=v.string(raw, key, "name"), documents=tuple(docs))


def _check_services_distinct(v: _Validator, services: tuple[Service, ...], key: str) -> None:
    """Two services of one site must never print the same number."""
    for i, a in enumerate(services):
        for j, b in enumerate(services[:i]):
            if a.code == b.code:
                raise v.fail(f"{key}.services[{i}].code", f"duplicate service code {a.code!r}")
            fa, fb = a.number_format, b.number_format
            # Same prefix and overlapping values clash even with other widths: A001 and
            # A0001 are printed differently but announced alike ("a một").
            if fa.prefix == fb.prefix and fa.start <= fb.end and fb.start <= fa.end:
                raise v.fail(
                    f"{key}.services[{i}]",
                    f"numbers {fa.prefix}{fa.start}-{fa.end} overlap those of "
                    f"services[{j}] ({b.code}); give each service its own prefix or block",
                )


def _counter(v: _Validator, raw: Any, key: str, service_codes: set[str]) -> Counter:
    v.table(raw, key)
    v.keys(raw, key, {"number", "name", "services", "spoken"})
    number = v.integer(raw, key, "number", None, minimum=1)
    if number is None:
        raise v.fail(f"{key}.number", "is required")
    services = raw.get("services")
    if (
        not isinstance(services, list)
        or not services
        or not all(isinstance(s, str) for s in services)
    ):
        raise v.fail(f"{key}.services", "must be a non-empty list of service codes")
    for s in services:
        if s not in service_codes:
            raise v.fail(f"{key}.services", f"unknown service {s!r}")
    if len(set(services)) != len(services):
        raise v.fail(f"{key}.services", "lists a service twice")
    name = v.string(raw, key, "name", f"Quầy số {number:02d}")
    spoken = v.string(raw, key, "spoken", "").strip()
    return Counter(number=number, name=name, services=tuple(services), spoken=spoken)
