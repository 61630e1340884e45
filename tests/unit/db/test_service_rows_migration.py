"""Migration 0007 on SQLite and PostgreSQL: service rows get a worker id (the migrating launcher's), service_status is
keyed by (worker_id, service_name), and every row already there is kept."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from shared.db.engine import make_engine
from shared.db.migrate import alembic_config, upgrade_to_head

PREVIOUS_HEAD = "0006"


def engine_at_previous_head_with_rows(database_url: str) -> Engine:
    """A single machine's database before 0007: its launcher's status, health and log rows."""
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), PREVIOUS_HEAD)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO service_status (service_name, status, pid, restarts, last_error)"
                " VALUES (:n, :s, :p, :r, :e)"
            ),
            [
                {"n": "gateway", "s": "running", "p": 10, "r": 0, "e": None},
                {"n": "fetcher", "s": "backoff", "p": 11, "r": 2, "e": "exit 1"},
            ],
        )
        conn.execute(
            text("INSERT INTO health_check (service_name, status, response_time_ms) VALUES ('gateway', 'healthy', 2)")
        )
        conn.execute(text("INSERT INTO service_log (service_name, level, message) VALUES ('fetcher', 'INFO', 'up')"))
    return engine


def test_rows_from_before_get_the_migrating_launchers_worker_id(database_url: str) -> None:
    engine = engine_at_previous_head_with_rows(database_url)
    upgrade_to_head(engine, worker_id="solo-1a2b3c")
    with engine.begin() as conn:
        status = conn.execute(
            text("SELECT worker_id, service_name, status, pid, restarts, last_error FROM service_status")
        ).all()
        assert sorted(tuple(r) for r in status) == [
            ("solo-1a2b3c", "fetcher", "backoff", 11, 2, "exit 1"),
            ("solo-1a2b3c", "gateway", "running", 10, 0, None),
        ]
        assert conn.execute(text("SELECT worker_id, service_name FROM health_check")).all() == [
            ("solo-1a2b3c", "gateway")
        ]
        assert conn.execute(text("SELECT worker_id, message FROM service_log")).all() == [("solo-1a2b3c", "up")]
        # Another worker's row of the same service now has a place of its own...
        conn.execute(
            text(
                "INSERT INTO service_status (worker_id, service_name, status, restarts)"
                " VALUES ('w2', 'fetcher', 'running', 0)"
            )
        )
    # ... while one worker still has one row per service.
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO service_status (worker_id, service_name, status, restarts)"
                " VALUES ('solo-1a2b3c', 'fetcher', 'running', 0)"
            )
        )
    engine.dispose()


def test_migrated_without_a_worker_id_status_rows_are_unowned_and_history_rows_null(database_url: str) -> None:
    engine = engine_at_previous_head_with_rows(database_url)
    upgrade_to_head(engine)
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT worker_id, service_name FROM service_status")).all()) == [
            ("", "fetcher"),
            ("", "gateway"),
        ]
        assert conn.execute(text("SELECT worker_id FROM health_check")).all() == [(None,)]
        assert conn.execute(text("SELECT worker_id FROM service_log")).all() == [(None,)]
    engine.dispose()


def test_downgrade_keeps_the_newest_row_of_each_service(database_url: str) -> None:
    engine = engine_at_previous_head_with_rows(database_url)
    upgrade_to_head(engine, worker_id="w1")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO service_status (worker_id, service_name, status, pid, restarts, updated_at)"
                " VALUES ('w2', 'fetcher', 'running', 21, 0, :later)"
            ),
            {"later": "2999-01-01 00:00:00+00:00"},
        )
    command.downgrade(alembic_config(engine), PREVIOUS_HEAD)
    with engine.connect() as conn:
        rows = sorted(conn.execute(text("SELECT service_name, pid FROM service_status")).all())
    assert rows == [("fetcher", 21), ("gateway", 10)]
    engine.dispose()
