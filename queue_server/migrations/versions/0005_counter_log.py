"""A log of every counter's openings, pauses and closings; counters start the day closed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from queue_server.storage.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counter_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("cause", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_counter_events"),
    )
    op.create_index(
        "ix_counter_events_site_counter_at", "counter_events", ["site", "counter", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_counter_events_site_counter_at", table_name="counter_events")
    op.drop_table("counter_events")
