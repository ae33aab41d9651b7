"""Configuration: server settings and the centre (sites, services, counters) from TOML.

Every key is declared once, with its type, default, environment variable and help text,
in a pydantic model per TOML table: [server] here (ServerSettings), the tables of a site
in queue_server.config_schema. Validation, defaults, SETTINGS and the README's tables
(markdown_tables) come from them. load_config reads the file, lets the environment and
then command-line overrides replace server settings, validates it all in one go and
turns the first problem into a ConfigError naming the file, the key and the problem.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Self, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator

from hardware.tomlschema import WORDS, Reword, Table, explain, first_error, problem

from .config_schema import (
    CounterTable,
    HoursTable,
    PriorityTable,
    ProcedureTable,
    ServiceTable,
    SiteTable,
    field_extra,
    markdown_table,
)
from .domain.model import Site


class ConfigError(Exception):
    """A configuration problem, with the file and key it is about."""

    def __init__(self, source: str, key: str, problem: str):
        super().__init__(f"{source}: {key}: {problem}" if key else f"{source}: {problem}")
        self.source, self.key, self.problem = source, key, problem


# -- [server] ---------------------------------------------------------------------------

AsyncMode = Literal["threading", "gevent", "eventlet"]
ASYNC_MODES: tuple[str, ...] = get_args(AsyncMode)
POSITIVE = Reword("must be a positive integer")


def _setting(default: Any, env: str, help: str, unset: str | None = None) -> Any:
    """A server setting: its default, environment variable, help and what unset means."""
    extra: dict[str, Any] = {"env": env, **({"unset": unset} if unset else {})}
    return Field(default, description=help, json_schema_extra=extra)


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


WILDCARD_HOSTS = ("0.0.0.0", "::", "")
HOST_RE = re.compile(r"^([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$")
ORIGIN_RE = re.compile(r"^https?://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$")


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _split_host(host: str) -> tuple[str, int | None]:
    """(name, port) of `HOST[:PORT]`, lower case; ("", None) for something else."""
    try:
        parts = urlsplit(f"//{host.strip()}")
        return (parts.hostname or ""), parts.port
    except ValueError:
        return "", None


def _names(pattern: re.Pattern[str], what: str) -> Any:
    """AfterValidator: every item, lower case and without a trailing slash, matches pattern."""

    def validate(values: list[str]) -> list[str]:
        cleaned = [v.strip().lower().rstrip("/") for v in values]
        for i, value in enumerate(cleaned):
            if not pattern.match(value):
                raise problem(f"{values[i]!r} is not {what}", i)
        return cleaned

    return AfterValidator(validate)


HostList = Annotated[
    list[str],
    Reword("must be a list of strings", deep=True),
    _names(HOST_RE, "HOST or HOST:PORT"),
]


def _public_url(value: str | None) -> str | None:
    from .public_url import check

    if value is None:
        return None
    try:
        return check(value)
    except ValueError as err:
        raise problem(str(err)) from None


OriginList = Annotated[
    list[str],
    Reword("must be a list of strings", deep=True),
    _names(ORIGIN_RE, "an origin like https://HOST or http://HOST:PORT"),
]


class ServerSettings(Table):
    """[server]: where and how the server runs; MOTCUA_* variables override the file."""

    host: str = _setting("127.0.0.1", "MOTCUA_HOST", "Address the server listens on.")
    port: Annotated[int, Field(gt=0), POSITIVE] = _setting(
        5000, "MOTCUA_PORT", "TCP port the server listens on."
    )
    data_dir: str = _setting(
        "motcua-data",
        "MOTCUA_DATA_DIR",
        "Folder for the embedded SQLite database, printer previews and audio.",
    )
    database_url: str | None = _setting(
        None,
        "MOTCUA_DATABASE_URL",
        "SQLAlchemy URL; `postgresql://` URLs use psycopg 3.",
        "SQLite in the data dir",
    )
    redis_url: str | None = _setting(
        None,
        "MOTCUA_REDIS_URL",
        "Redis URL; enables the Socket.IO message queue and one event sequence shared by "
        "several server processes.",
    )
    async_mode: AsyncMode = _setting(
        "threading",
        "MOTCUA_ASYNC_MODE",
        "Flask-SocketIO async mode: `threading`, `gevent` or `eventlet`.",
    )
    sqlite_synchronous: Annotated[
        Literal["FULL", "NORMAL", "EXTRA"],
        BeforeValidator(_upper),
        Reword("must be FULL, NORMAL or EXTRA"),
    ] = _setting(
        "FULL",
        "MOTCUA_SQLITE_SYNCHRONOUS",
        "SQLite `PRAGMA synchronous`: FULL survives power loss, NORMAL only a process crash.",
    )
    max_body_bytes: Annotated[int, Field(gt=0), POSITIVE] = _setting(
        16384, "MOTCUA_MAX_BODY_BYTES", "Largest request body accepted; bigger ones get 413."
    )
    public_url: Annotated[str | None, AfterValidator(_public_url)] = _setting(
        None,
        "MOTCUA_PUBLIC_URL",
        "Base URL of ticket status links (QR codes), e.g. `https://hcc.example.gov.vn/`; "
        "unset, QR codes lead to the listening address, which opens only inside the centre's "
        "network. Its origin may open Socket.IO connections.",
        "links relative on screens, the listening address on slips",
    )
    trusted_hosts: HostList = _setting(
        [],
        "MOTCUA_TRUSTED_HOSTS",
        "More names of this server (`HOST` or `HOST:PORT`, comma-separated in the environment) "
        "whose requests get absolute status links and whose pages may open Socket.IO "
        "connections; the listening address is always trusted.",
    )
    allowed_origins: OriginList = _setting(
        [],
        "MOTCUA_ALLOWED_ORIGINS",
        "More origins (`https://HOST[:PORT]`, comma-separated in the environment) whose pages "
        "may open Socket.IO connections, e.g. a reverse proxy's.",
    )
    voice: bool = _setting(
        True,
        "MOTCUA_VOICE",
        "Make announcement audio (clip pack, espeak-ng, cached gTTS); false: text only.",
    )
    audio_player: str | None = _setting(
        None,
        "MOTCUA_AUDIO_PLAYER",
        "Command that plays a WAV on the server's own speakers, one call at a time "
        "(e.g. `aplay -q`); unset: the lobby display plays the audio.",
    )
    demo_devices: bool = _setting(
        True,
        "MOTCUA_DEMO_DEVICES",
        "Demo mode only (`motcua run` without `--config`): simulated keypads and LED boards "
        "on ptys, driven by the device agent, pressed at `/demo/devices`.",
    )
    public_demo: bool = _setting(
        False,
        "MOTCUA_PUBLIC_DEMO",
        "Demo mode only: let anyone reaching a server that listens beyond loopback press the "
        "simulated keypads (call tickets without signing in); false: only a loopback demo does.",
    )
    test_hooks: bool = _setting(
        False,
        "MOTCUA_TEST_HOOKS",
        "Test-only hooks (dropping an event on purpose); never in production.",
    )

    @property
    def wildcard(self) -> bool:
        """Whether the server listens on every address of the machine (0.0.0.0 or ::)."""
        return self.host in WILDCARD_HOSTS

    @property
    def loopback(self) -> bool:
        """Whether the server listens on a loopback address only (reachable from this machine)."""
        if self.host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def listen_hosts(self) -> tuple[str, ...]:
        """`HOST:PORT` of the listening address as browsers write it (none for a wildcard)."""
        if self.wildcard:
            return ()
        names = ("127.0.0.1", "localhost", "::1") if self.loopback else (self.host,)
        return tuple(f"{_bracketed(n)}:{self.port}" for n in dict.fromkeys((self.host, *names)))

    def trusts_host(self, host: str) -> bool:
        """Whether a Host header (or an origin's host) names this server: the listening
        address or one of `trusted_hosts` (an entry without a port matches any port)."""
        name, port = _split_host(host)
        for entry in (*self.listen_hosts, *self.trusted_hosts):
            trusted, trusted_port = _split_host(entry)
            if name == trusted and trusted_port in (None, port):
                return True
        return False

    def status_base(self, host: str, root: str) -> str:
        """Where status links of a request with this Host and URL root point: `public_url`,
        else the root when the host is trusted, else "" (links stay relative): a forged
        Host header must never end up in a link or a QR code."""
        if self.public_url:
            return self.public_url
        return root if self.trusts_host(host) else ""

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use, defaulting to SQLite in the data dir."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        path = Path(self.data_dir).resolve() / "motcua.db"
        return f"sqlite:///{path}"


def normalise_database_url(url: str) -> str:
    """Make postgresql:// URLs use psycopg 3, the driver we ship."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Setting:
    """One server setting as the schema declares it (SETTINGS lists them all)."""

    name: str
    default: Any
    env: str
    help: str
    kind: Any  # the field's type: bool and int settings parse the variable's text

    def parse(self, text: str) -> Any:
        """The value of an environment variable's text; ValueError when it is not one."""
        if self.kind is bool:
            if text.strip().lower() not in TRUE_WORDS + FALSE_WORDS:
                raise ValueError(f"{text!r} is not one of {', '.join(TRUE_WORDS + FALSE_WORDS)}")
            return text.strip().lower() in TRUE_WORDS
        if get_origin(self.kind) is list:
            return [item.strip() for item in text.split(",") if item.strip()]
        return int(text) if self.kind is int else text


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(name, f.default, field_extra(f)["env"], f.description or "", f.annotation)
    for name, f in ServerSettings.model_fields.items()
)


class CentreFile(Table):
    """The whole file: the server settings and one or more sites."""

    server: ServerSettings = Field(default_factory=ServerSettings, description="See [server].")
    sites: Annotated[
        list[SiteTable], Field(min_length=1), Reword("at least one [[sites]] table is required")
    ] = Field(description="The sites of this installation.")

    @model_validator(mode="after")
    def _site_codes_differ(self) -> Self:
        codes = [s.code for s in self.sites]
        for i, code in enumerate(codes):
            if code in codes[:i]:
                raise problem(f"duplicate site code {code!r}", "sites", i, "code")
        return self


CENTRE_TABLES: dict[str, type[Table]] = {
    "[server]": ServerSettings,
    "[[sites]]": SiteTable,
    "[sites.priority]": PriorityTable,
    "[sites.hours]": HoursTable,
    "[[sites.services]]": ServiceTable,
    "[[sites.services.procedures]]": ProcedureTable,
    "[[sites.counters]]": CounterTable,
}
"""The tables of the centre file, as the README lists them."""


def markdown_tables() -> dict[str, str]:
    """The README's table of keys for each table of the centre file, from this schema."""
    return {header: markdown_table(model) for header, model in CENTRE_TABLES.items()}


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
    server = raw.get("server", {})
    if isinstance(server, dict):  # anything else is reported by the schema
        raw["server"] = _server_values(server, environ or os.environ, overrides or {})
    try:
        centre = CentreFile.model_validate(raw)
    except ValidationError as err:
        key, words = explain(first_error(err), CentreFile, WORDS)
        raise ConfigError(source, key, words) from None
    sites = tuple(s.to_domain() for s in centre.sites)
    return Config(source=source, server=centre.server, sites=sites, demo=demo)


def _server_values(
    raw: dict[str, Any], environ: Mapping[str, str], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The [server] table with the environment, then the overrides, applied."""
    values = dict(raw)
    for s in SETTINGS:
        if environ.get(s.env):
            try:
                values[s.name] = s.parse(environ[s.env])
            except ValueError as err:
                raise ConfigError(f"environment {s.env}", "", f"invalid value ({err})") from err
        if overrides.get(s.name) is not None:
            values[s.name] = overrides[s.name]
    return values
