"""Layered fixtures: config -> database -> desk/app -> client -> server processes.

Services (PostgreSQL, Redis) are real. With CI=true a missing service fails
the test instead of skipping it.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import create_engine, text

from queue_server.app import create_app
from queue_server.auth import create_token
from queue_server.config import Config, parse_config
from queue_server.desk import QueueDesk
from queue_server.domain.clock import FakeClock
from queue_server.events import EventBus
from queue_server.printing import KioskPrinting
from queue_server.storage.database import Database

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_BASE = os.environ.get("MOTCUA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MOTCUA_TEST_REDIS", "redis://127.0.0.1:6379/15")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"

# A small centre for tests: wide formats for the concurrency tests, a numeric
# block, a capped service with real hours, and counters serving several fields.
# Its calls take the lobby's main panel at once (announcement slots of 0 s), so tests
# about other things need not wait for each call's turn; tests of the announcement
# queue drop that line (SLOTS_AT_ONCE).
TEST_CENTRE = """
[[sites]]
code = "test"
name = "Trung tâm Phục vụ hành chính công (kiểm thử)"
timezone = "Asia/Ho_Chi_Minh"
announce_slot_seconds = 0
hours = "always"

[sites.priority]
mode = "{priority_mode}"
priority = 1
normal = 2

[[sites.services]]
code = "HT"
name = "Hộ tịch"
name_en = "Civil status"
prefix = "A"
digits = 4

[[sites.services]]
code = "CT"
name = "Chứng thực"
prefix = "B"

[[sites.services]]
code = "DD"
name = "Đất đai"
start = 1001
end = 1999

[[sites.services]]
code = "KD"
name = "Đăng ký kinh doanh"
start = 2001
end = 2999
daily_cap = 3

[sites.services.hours]
mon = ["07:30-11:30", "13:30-17:00"]
tue = ["07:30-11:30", "13:30-17:00"]
wed = ["07:30-11:30", "13:30-17:00"]
thu = ["07:30-11:30", "13:30-17:00"]
fri = ["07:30-11:30", "13:30-17:00"]
sat = ["07:30-11:30"]

[[sites.services]]
code = "XS"
name = "Số ít"
prefix = "X"
digits = 1
start = 1
end = 3

[[sites.counters]]
number = 1
services = ["HT", "CT"]

[[sites.counters]]
number = 2
services = ["CT", "HT"]

[[sites.counters]]
number = 3
services = ["DD"]

[[sites.counters]]
number = 4
services = ["KD", "DD", "XS"]
"""


def require_service(name: str, reason: str) -> None:
    """Fail under CI, skip elsewhere, when a service a test needs is missing."""
    message = f"{name} unavailable: {reason}"
    if CI:
        pytest.fail(message + " (mandatory with CI=true)")
    pytest.skip(message)


def local(*args: int) -> datetime:
    """An aware datetime in Vietnam's time zone."""
    return datetime(*args, tzinfo=VN)  # type: ignore[misc]


SLOTS_AT_ONCE = "announce_slot_seconds = 0\n"


def centre_text(priority_mode: str = "strict") -> str:
    """The test centre TOML."""
    return TEST_CENTRE.replace("{priority_mode}", priority_mode)


def second_site(code: str = "other", name: str = "Điểm phục vụ xã Đông Hòa") -> str:
    """A second site's TOML tables, to append to centre_text(): one field (HT, prefix A)
    and counter 1, as small as a commune's service point."""
    return f"""
[[sites]]
code = "{code}"
name = "{name}"
timezone = "Asia/Ho_Chi_Minh"
hours = "always"

[[sites.services]]
code = "HT"
name = "Hộ tịch"
prefix = "A"

[[sites.counters]]
number = 1
services = ["HT"]
"""


def make_config(tmp: Path, text_: str | None = None, **server: Any) -> Config:
    """A Config from TOML text with its data dir under tmp."""
    return parse_config(
        text_ or centre_text(), "test-centre.toml", overrides={"data_dir": str(tmp), **server},
        environ={},
    )  # fmt: skip


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The PostgreSQL test database, checked reachable."""
    try:
        engine = create_engine(PG_BASE)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as err:
        require_service("PostgreSQL", str(err).splitlines()[0])
    return PG_BASE


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards."""
    schema = f"mc_{secrets.token_hex(6)}"
    engine = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_admin_url else "?"
    yield f"{pg_admin_url}{sep}options=-csearch_path%3D{schema}"
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def redis_url() -> str:
    """Redis db 15, flushed."""
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL)
        client.flushdb()
    except Exception as err:
        require_service("Redis", str(err))
    return REDIS_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'motcua.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def clock() -> FakeClock:
    """Thursday 26 Nov 2026, 09:00 in Vietnam."""
    return FakeClock(local(2026, 11, 26, 9, 0))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The test centre (strict priority)."""
    return make_config(tmp_path)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated database."""
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def desk(config: Config, db: Database, clock: FakeClock) -> QueueDesk:
    """A desk over the test centre with a fake clock."""
    d = QueueDesk(config, db, clock, EventBus())
    d.prepare()
    return d


@pytest.fixture
def printing(config: Config, clock: FakeClock) -> KioskPrinting:
    """The test centre's kiosk printers, as its sites' `printer` settings choose them."""
    return KioskPrinting(config.sites, Path(config.server.data_dir), clock)


@pytest.fixture
def app(config: Config, db: Database, clock: FakeClock, printing: KioskPrinting) -> Any:
    """The Flask app over the test centre (its voice as the config says)."""
    return create_app(config, clock=clock, db=db, printing=printing)


@pytest.fixture
def client(app: Any) -> Any:
    """Flask test client."""
    return app.test_client()


@pytest.fixture
def token(app: Any) -> Callable[..., str]:
    """Make a bearer token: token("clerk", counter=1)."""
    ext = app.extensions["motcua"]

    def make(role: str, counter: int | None = None, site: str = "test") -> str:
        return create_token(
            ext.db, ext.desk.clock, role=role, site=site, counter=counter, name="pytest"
        )

    return make


STAFF_PASSWORD = "mat-khau-2026"


@pytest.fixture
def staff(app: Any) -> Callable[..., Any]:
    """Make a staff account: staff("lan", "clerk", counters=[1]) (password STAFF_PASSWORD)."""
    from queue_server.accounts import create_user

    ext = app.extensions["motcua"]

    def make(
        username: str, role: str = "clerk", *, counters: list[int] | None = None,
        site: str = "test", name: str = "", password: str = STAFF_PASSWORD,
    ) -> Any:  # fmt: skip
        return create_user(
            ext.db, ext.desk.clock, username=username, password=password, role=role, site=site,
            name=name or f"Cán bộ {username}", counters=counters,
        )  # fmt: skip

    return make


def sign_in(client: Any, username: str, counter: int | None = None, **extra: Any) -> str:
    """Sign a test client in; the session's CSRF token."""
    body: dict[str, Any] = {"username": username, "password": STAFF_PASSWORD, **extra}
    if counter is not None:
        body["counter"] = counter
    resp = client.post("/api/v1/session", json=body)
    assert resp.status_code == 200, resp.get_json()
    return str(resp.get_json()["csrf_token"])


def auth(tok: str) -> dict[str, str]:
    """Authorization header."""
    return {"Authorization": f"Bearer {tok}"}


def motcua(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python -m queue_server.cli ARGS` with no MOTCUA_* variables from the outside."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    clean.update(env or {}, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "queue_server.cli", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A real `motcua run` process on 127.0.0.1."""

    def __init__(
        self, data_dir: Path, config_path: Path | None, env: dict[str, str], port: int | None = None
    ):
        self.data_dir, self.config_path = data_dir, config_path
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / f"server-{self.port}.log"

    def start(self, timeout: float = 30) -> ServerProcess:
        """Start and wait until /health answers."""
        cmd = [sys.executable, "-m", "queue_server.cli", "run", "--port", str(self.port),
               "--data-dir", str(self.data_dir)]  # fmt: skip
        if self.config_path:
            cmd += ["--config", str(self.config_path)]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        """Terminate gracefully, then kill."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def token(self, role: str, counter: int | None = None) -> str:
        """Create a token with the CLI against the same database and config."""
        cmd = [sys.executable, "-m", "queue_server.cli", "token", "create", "--role", role,
               "--data-dir", str(self.data_dir)]  # fmt: skip
        if counter is not None:
            cmd += ["--counter", str(counter)]
        if self.config_path:
            cmd += ["--config", str(self.config_path)]
        out = subprocess.run(cmd, env=self.env, capture_output=True, text=True, check=True)
        return out.stdout.strip().splitlines()[-1]


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start real server processes; all are stopped at the end of the test."""
    started: list[ServerProcess] = []

    def make(
        env: dict[str, str] | None = None, centre: str | None = None, data_dir: Path | None = None,
        port: int | None = None,
    ) -> ServerProcess:  # fmt: skip
        config_path = tmp_path / "centre.toml"
        config_path.write_text(centre or centre_text(), "utf-8")
        server = ServerProcess(data_dir or tmp_path / "data", config_path, env or {}, port)
        started.append(server)
        return server

    yield make
    for s in started:
        s.stop()


# ----- browsers: Debian's Chromium driven by Playwright for Python (no browser download)
CHROMIUM = Path("/usr/bin/chromium")
# Flags that keep Chromium quiet and offline (../shared/docs/decisions.md, "Browser tests").
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session; fails under CI=true when it is missing."""
    if not CHROMIUM.exists():
        require_service("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        require_service("Playwright", str(err))
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
