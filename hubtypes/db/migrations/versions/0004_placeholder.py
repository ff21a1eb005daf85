"""PLACEHOLDER for another branch's 0004 (a workshop state column); drop this file on merge.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

The grants migration (0005) follows 0004, which another branch writes. This no-op stands in
for it so this branch's database upgrades run; merge that branch's 0004 instead of this.
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
