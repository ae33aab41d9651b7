"""One ticket per citizen per field per day (optional): a keyed hash of the phone/ID number.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("citizen_hash", sa.String(64), nullable=True))
        batch.create_index(
            "ix_tickets_site_issued_service_day_citizen_hash",
            ["site", "issued_service", "day", "citizen_hash"],
            unique=True,
        )
    op.create_table(
        "install_secrets",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_install_secrets"),
    )


def downgrade() -> None:
    op.drop_table("install_secrets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_site_issued_service_day_citizen_hash")
        batch.drop_column("citizen_hash")
