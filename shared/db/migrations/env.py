"""Alembic environment: the engine is handed in by ``shared.db.migrate`` (no alembic.ini, no URL in files)."""

from __future__ import annotations

from alembic import context

from shared.db import tables  # noqa: F401  (registers every table on Base.metadata)
from shared.db.base import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
