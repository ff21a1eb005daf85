"""Workshop service: persisted resets and account lock marks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hubtypes_resets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("workshop", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("progress", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
    )
    op.create_index("ix_hubtypes_resets_workshop", "hubtypes_resets", ["workshop"])
    op.create_table(
        "hubtypes_account_locks",
        sa.Column("username", sa.String(255), primary_key=True),
        sa.Column("workshop", sa.String(64), nullable=False),
        sa.Column("locked_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hubtypes_account_locks")
    op.drop_index("ix_hubtypes_resets_workshop", "hubtypes_resets")
    op.drop_table("hubtypes_resets")
