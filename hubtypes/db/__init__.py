"""hubtypes' own database: models, engine set-up and alembic migrations."""
