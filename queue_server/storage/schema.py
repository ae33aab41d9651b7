"""Tables. Alembic migrations under queue_server/migrations must match these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


tickets = Table(
    "tickets",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("site", String(16), nullable=False),
    Column("service", String(16), nullable=False),
    Column("issued_service", String(16), nullable=False),
    Column("number", String(16), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("priority", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("counter", Integer, nullable=True),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("sort_at", UTCDateTime, nullable=False),
    Column("called_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=True),
    Column("citizen_hash", String(64), nullable=True),
    UniqueConstraint("site", "issued_service", "day", "seq"),
    Index(None, "site", "issued_service", "day", "citizen_hash", unique=True),
    Index(None, "site", "day", "status", "service", "priority", "sort_at"),
    Index(None, "site", "counter", "status"),
)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(32), ForeignKey("tickets.id"), nullable=False),
    Column("site", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("counter", Integer, nullable=True),
    Column("actor", String(64), nullable=False, default=""),
    Column("service", String(16), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Index(None, "ticket_id"),
    Index(None, "site", "counter", "kind", "at"),
)

day_counters = Table(
    "day_counters",
    metadata,
    Column("site", String(16), primary_key=True),
    Column("service", String(16), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("last", Integer, nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("site", String(16), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("updated_at", UTCDateTime, nullable=True),
    # The staff account it is open with (users.username) and that person's full name.
    Column("clerk", String(64), nullable=True),
    Column("clerk_name", String(128), nullable=True),
)

counter_events = Table(
    "counter_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site", String(16), nullable=False),
    Column("counter", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # CounterChange
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False, default=""),
    # Why, when not asked for in so many words: "call" (a first call opened it), "day_end".
    Column("cause", String(16), nullable=False, default=""),
    Index(None, "site", "counter", "at"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("site", String(16), nullable=False),
    Column("counter", Integer, nullable=True),
    Column("name", String(128), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    # An agent's counters, "1,2,3" (NULL: every counter of its site); "*" in site: all sites.
    Column("counters", String(200), nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("last_used_from", String(64), nullable=True),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("token_id", Integer, primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("method", String(8), nullable=False),
    Column("path", String(200), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "created_at"),
)

install_secrets = Table(
    "install_secrets",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(128), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("name", String(128), nullable=False, default=""),
    Column("role", String(16), nullable=False),  # admin, supervisor, clerk
    Column("site", String(16), nullable=False),  # "*": every site (admins only)
    Column("counters", String(200), nullable=True),  # a clerk's counters, "1,2,3"
    Column("password_hash", String(256), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("password_changed_at", UTCDateTime, nullable=True),
)

user_sessions = Table(
    "user_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("site", String(16), nullable=False),
    Column("counter", Integer, nullable=True),
    Column("csrf", String(64), nullable=False),
    Column("address", String(64), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Index(None, "user_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("site", String(16), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("address", String(64), nullable=False, default=""),
    Column("action", String(48), nullable=False),
    Column("target", String(128), nullable=False, default=""),
    Column("before", Text, nullable=False, default=""),
    Column("after", Text, nullable=False, default=""),
    Index(None, "at"),
    Index(None, "site", "at"),
)

centre_config = Table(
    "centre_config",
    metadata,
    # One row per saved version of the centre (sites, fields, counters, ...); the newest
    # is the configuration every process runs with.
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", Text, nullable=False),  # JSON of the [[sites]] tables
    Column("saved_at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False, default=""),
)

counter_day_fields = Table(
    "counter_day_fields",
    metadata,
    # A supervisor's change of a counter's fields (and calling policy) for one local day:
    # calls at the counter use these instead of the centre's until the day ends.
    Column("site", String(16), primary_key=True),
    Column("counter", Integer, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("services", String(200), nullable=False),  # "DD,HT", in calling order
    Column("policy", String(16), nullable=False),  # CallingPolicy
    Column("set_at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False, default=""),
)
