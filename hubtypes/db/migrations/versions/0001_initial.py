"""Initial schema: workshops, accounts, login throttle, audit events.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hubtypes_workshops",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("starts_at", sa.DateTime, nullable=False),
        sa.Column("ends_at", sa.DateTime, nullable=False),
        sa.Column("delete_after", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "hubtypes_accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(255), nullable=False, unique=True),
        sa.Column(
            "workshop_id",
            sa.Integer,
            sa.ForeignKey("hubtypes_workshops.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "role",
            sa.Enum(
                "participant",
                "instructor",
                "admin",
                name="hubtypes_role",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("code_hash", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("last_login_at", sa.DateTime, nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False),
    )
    op.create_index("ix_hubtypes_accounts_workshop_id", "hubtypes_accounts", ["workshop_id"])
    op.create_table(
        "hubtypes_login_throttle",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_start", sa.DateTime, nullable=False),
    )
    op.create_table(
        "hubtypes_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_hubtypes_audit_at", "hubtypes_audit", ["at"])


def downgrade() -> None:
    op.drop_table("hubtypes_audit")
    op.drop_table("hubtypes_login_throttle")
    op.drop_index("ix_hubtypes_accounts_workshop_id", "hubtypes_accounts")
    op.drop_table("hubtypes_accounts")
    op.drop_table("hubtypes_workshops")
