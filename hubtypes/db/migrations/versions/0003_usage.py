"""The culler's usage counts, which outlive deleted users.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hubtypes_usage_days",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("hub_type", sa.String(16), primary_key=True),
        sa.Column("workshop", sa.String(64), primary_key=True),
        sa.Column("active_users", sa.Integer, nullable=False),
        sa.Column("server_seconds", sa.Float, nullable=False),
    )
    op.create_table(
        "hubtypes_usage_seen",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("person", sa.String(32), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("hubtypes_usage_seen")
    op.drop_table("hubtypes_usage_days")
