"""Services wait for the launcher's migration without importing SQLAlchemy or Alembic to find out.

Under the launcher a service may start while the launcher is still migrating (cold start runs both at once): the
launcher names a file in ``TIMAO_SCHEMA_READY`` that it creates once the schema is at head, and ``make_engine``
waits for it, so a service never touches a database that is not ready. Started any other way, nothing waits.
"""

from __future__ import annotations

import os
import time

from shared.errors import ConfigError

__all__ = ["SCHEMA_READY_ENV", "SCHEMA_WAIT_S", "wait_for_schema"]

SCHEMA_READY_ENV = "TIMAO_SCHEMA_READY"
SCHEMA_WAIT_S = 120.0


def wait_for_schema(timeout: float = SCHEMA_WAIT_S, poll: float = 0.02) -> None:
    """Block until the launcher's schema-ready file exists (no-op when not started by the launcher)."""
    path = os.environ.get(SCHEMA_READY_ENV)
    if not path:
        return
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise ConfigError(f"数据库未就绪 (database schema not ready after {timeout:g}s): {path} never appeared")
        time.sleep(poll)
