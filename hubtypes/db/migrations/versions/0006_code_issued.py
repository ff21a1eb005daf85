"""When an account's current code was issued (a new code for a lost one).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

``hubtypes_accounts.code_issued_at`` is set when a code is reissued. The authenticator's
``refresh_user`` ends a hub session whose last login predates it (that login used the old
code). Existing accounts get NULL: their codes are the ones they were created with.
Workshops gain no column: an archived workshop is the state value ``archived``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hubtypes_accounts") as batch:
        batch.add_column(sa.Column("code_issued_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hubtypes_accounts") as batch:
        batch.drop_column("code_issued_at")
