"""Engine factory: SQLite in WAL mode with a busy timeout, or any other SQLAlchemy URL (PostgreSQL) as is.

Under the launcher, ``make_engine`` first waits for the schema (``shared.db.schema_ready``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from shared.db.schema_ready import wait_for_schema

__all__ = ["is_transient_db_error", "make_engine"]

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the gateway's API) run while the persister writes; NORMAL sync is safe in WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _private_sqlite_file(path: Path) -> None:
    """The database holds the user's rooms, comments and transcripts: owner-only (0600), whatever the umask.

    SQLite gives its -wal and -shm files the mode of the database file, so creating that one owner-only covers them;
    files an older version left readable are made owner-only here.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        # Not ours to change (another user's file), or gone: SQLite reports what matters when it opens it.
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(file, 0o600)


def make_engine(url: str, **kwargs: Any) -> Engine:
    wait_for_schema()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            _private_sqlite_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


# The DB-API error classes (sqlite3's, psycopg's) that mean "the database, not this data": lost connection, locked,
# disk full. The persister waits and retries on these; any other error is a fault of the rows being written.
_TRANSIENT_DBAPI_NAMES = frozenset({"OperationalError", "InterfaceError"})


def is_transient_db_error(exc: BaseException) -> bool:
    if isinstance(
        exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.DisconnectionError | sa_exc.TimeoutError
    ):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return bool(exc.connection_invalidated)
    # Raw driver errors (the store writes through the DB-API cursor): match by class name along the MRO, which
    # covers sqlite3.OperationalError and psycopg.OperationalError without importing either driver.
    return any(
        cls.__name__ in _TRANSIENT_DBAPI_NAMES and cls.__module__.split(".")[0] in ("sqlite3", "psycopg", "psycopg2")
        for cls in type(exc).__mro__
    )
