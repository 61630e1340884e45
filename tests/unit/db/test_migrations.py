"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from shared.db import tables  # noqa: F401
from shared.db.base import Base
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head

DESIGN_TABLES = {"service_status", "service_log", "health_check", "live_sessions", "comment_data", "audio_transcript"}


def test_migrations_match_models(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    upgrade_to_head(engine)  # idempotent: a second start changes nothing
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    names = set(inspect(engine).get_table_names())
    assert names >= DESIGN_TABLES
    comment_cols = {c["name"] for c in inspect(engine).get_columns("comment_data")}
    assert {"user_name", "content", "timestamp", "metadata"} <= comment_cols
    engine.dispose()


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    engine.dispose()
