"""Workshop grants for identities another authenticator logs in (GitHub, CILogon, ...).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hubtypes_grants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("identity", sa.String(255), nullable=False, unique=True),
        sa.Column(
            "workshop_id",
            sa.Integer,
            sa.ForeignKey("hubtypes_workshops.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime, nullable=True),
        sa.Column("role", sa.String(16), nullable=False, server_default="participant"),
        sa.Column("standing", sa.String(16), nullable=False, server_default=""),
        sa.Column("last_login_at", sa.DateTime, nullable=True),
        sa.Column("locked_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False, server_default=""),
    )
    op.create_index("ix_hubtypes_grants_workshop_id", "hubtypes_grants", ["workshop_id"])


def downgrade() -> None:
    op.drop_index("ix_hubtypes_grants_workshop_id", "hubtypes_grants")
    op.drop_table("hubtypes_grants")
