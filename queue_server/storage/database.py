"""The database handle: engines, transactions and migrations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event, text

MIGRATION_LOCK = 7_041_962  # arbitrary advisory lock key for PostgreSQL migrations


class Database:
    """Owns the engine. Writes run in transactions that serialise issuance correctly.

    On SQLite every write transaction starts with BEGIN IMMEDIATE, so two
    writers never both read and then fail to upgrade their lock; WAL mode lets
    readers go on meanwhile. On PostgreSQL, row locks do the same job.
    """

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL", echo: bool = False):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
                raise ValueError("use a file for SQLite: several threads share the database")
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: Engine = create_engine(url, **kwargs)
        self._write_lock: AbstractContextManager[object] = (
            threading.Lock() if self.is_sqlite else nullcontext()
        )
        if self.is_sqlite:
            _configure_sqlite(self.engine, sqlite_synchronous)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; committed when the block ends without error.

        On SQLite the process's writers also queue on a lock: SQLite's own busy handler
        sleeps and polls, which under a burst of issues turned 3 ms of work into
        hundreds of milliseconds of tail latency. Other processes still meet BEGIN
        IMMEDIATE and the busy timeout.
        """
        with self._write_lock, self.engine.connect() as conn:
            conn = conn.execution_options(motcua_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot on both backends)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        with self.engine.connect() as conn:
            if not self.is_sqlite:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
                conn.commit()
            try:
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            finally:
                if not self.is_sqlite:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                    conn.commit()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def alembic_config() -> AlembicConfig:
    """An Alembic config pointing at the migrations shipped in the package."""
    cfg = AlembicConfig()
    cfg.set_main_option(
        "script_location", str(resources.files("queue_server").joinpath("migrations"))
    )
    return cfg


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("motcua_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


__all__ = ["Database", "alembic_config"]
