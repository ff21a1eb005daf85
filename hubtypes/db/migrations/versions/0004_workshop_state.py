"""Workshop state (open, resetting, purged) and at most one running reset per workshop.

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-12

Existing rows get the state their resets imply: a workshop with a running reset is
``resetting``, one whose reset finished is ``purged``, the others ``open``. Before the
unique index over running resets is created, duplicates that older versions let start
(two resets of one workshop at once) are closed: the oldest keeps running, the others
become ``failed`` with an error saying so.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_RUNNING = sa.text("state = 'running'")


def upgrade() -> None:
    with op.batch_alter_table("hubtypes_workshops") as batch:
        batch.add_column(sa.Column("state", sa.String(16), nullable=False, server_default="open"))
    conn = op.get_bind()
    first_running: dict[str, int] = dict(
        conn.execute(  # type: ignore[arg-type]
            sa.text(
                "SELECT workshop, MIN(id) FROM hubtypes_resets WHERE state = 'running' "
                "GROUP BY workshop"
            )
        ).all()
    )
    for workshop, keep in first_running.items():
        conn.execute(
            sa.text(
                "UPDATE hubtypes_resets SET state = 'failed', error = :error "
                "WHERE workshop = :w AND state = 'running' AND id <> :keep"
            ),
            {"w": workshop, "keep": keep, "error": f"a duplicate of reset {keep}: closed by "
             "hubtypes' database upgrade 0004 (one reset of a workshop at a time)"},
        )  # fmt: skip
    conn.execute(
        sa.text(
            "UPDATE hubtypes_workshops SET state = 'purged' WHERE slug IN "
            "(SELECT workshop FROM hubtypes_resets WHERE state = 'done')"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE hubtypes_workshops SET state = 'resetting' WHERE slug IN "
            "(SELECT workshop FROM hubtypes_resets WHERE state = 'running')"
        )
    )
    op.create_index(
        "ux_hubtypes_resets_one_running",
        "hubtypes_resets",
        ["workshop"],
        unique=True,
        sqlite_where=_RUNNING,
        postgresql_where=_RUNNING,
    )


def downgrade() -> None:
    op.drop_index("ux_hubtypes_resets_one_running", "hubtypes_resets")
    with op.batch_alter_table("hubtypes_workshops") as batch:
        batch.drop_column("state")
