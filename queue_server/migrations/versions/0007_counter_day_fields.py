"""A counter's fields for the rest of one day (a supervisor's correction).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from queue_server.storage.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counter_day_fields",
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("services", sa.String(200), nullable=False),
        sa.Column("policy", sa.String(16), nullable=False),
        sa.Column("set_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("site", "counter", "day", name="pk_counter_day_fields"),
    )


def downgrade() -> None:
    op.drop_table("counter_day_fields")
