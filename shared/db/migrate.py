"""Apply the Alembic migrations programmatically (the launcher does it before any service starts).

On PostgreSQL several launchers (``timao up`` and every ``--role worker`` or ``--role gateway`` one) may migrate one
database at the same moment; two upgrades of a fresh database would both create the same tables and one would fail.
A session advisory lock under a fixed key serialises them: the first migrates, the others wait, then find the schema
at head and do nothing. SQLite is one machine's file: one launcher per home already (the instance lock).

``worker_id`` names the launcher's worker to migrations that need it (0007 gives it to the rows already there).
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

__all__ = ["MIGRATION_LOCK_KEY", "alembic_config", "upgrade_to_head"]

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The advisory lock's key (a signed 64-bit integer): "timaomig" in ASCII, so it names itself in pg_locks.
MIGRATION_LOCK_KEY = int.from_bytes(b"timaomig", "big")


def alembic_config(engine: Engine, worker_id: str = "") -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    cfg.attributes["worker_id"] = worker_id
    return cfg


def upgrade_to_head(engine: Engine, *, worker_id: str = "") -> None:
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine, worker_id), "head")
        return
    # The lock lives on a connection of its own, outside any transaction; PostgreSQL releases it if this process
    # dies, so a crashed migration never blocks the next machine.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock_conn:
        got = lock_conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}).scalar()
        if not got:
            log.info("another launcher is migrating the database: waiting for it")
            lock_conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        try:
            command.upgrade(alembic_config(engine, worker_id), "head")
        finally:
            lock_conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
