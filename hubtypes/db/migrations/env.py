"""Alembic environment for hubtypes' own database (called by hubtypes.db.schema)."""

from alembic import context

from hubtypes.db.models import Base
from hubtypes.db.schema import VERSION_TABLE

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    from hubtypes.db.engine import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        context.configure(
            connection=connection, target_metadata=Base.metadata, version_table=VERSION_TABLE
        )
        context.run_migrations()
else:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,
    )
    context.run_migrations()
