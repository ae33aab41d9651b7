"""The Alembic migrations build exactly the schema the code declares."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from queue_server.storage.schema import metadata


def test_migrations_match_models(db):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_migrate_is_idempotent(db):
    db.migrate()  # a second start must not fail or change anything
    tables = set(inspect(db.engine).get_table_names())
    assert {"tickets", "ticket_events", "day_counters", "counters", "tokens"} <= tables
    assert "alembic_version" in tables
