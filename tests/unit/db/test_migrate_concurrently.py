"""Several launchers migrating one fresh PostgreSQL database at once (docs/contracts.md, Workers on several machines):
the advisory lock lets one migrate while the others wait, then find the schema at head."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, inspect, text

from launcher.specs import PROJECT_ROOT

pytestmark = pytest.mark.postgres

LAUNCHERS = 4

# One launcher's migration: imports first, then "ready", then the upgrade once the test says "go" on standard input,
# so every process starts its upgrade at the same moment. "--bare" runs Alembic's upgrade without the lock.
CHILD = """
import sys
from alembic import command
from shared.db.engine import make_engine
from shared.db.migrate import alembic_config, upgrade_to_head

engine = make_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
if sys.argv[2:] == ["--bare"]:
    command.upgrade(alembic_config(engine), "head")
else:
    upgrade_to_head(engine)
engine.dispose()
print("migrated", flush=True)
"""


def _migrate_at_once(url: str, *extra: str) -> list[tuple[int, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMAO_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    argv = [sys.executable, "-c", CHILD, url, *extra]
    pipe = subprocess.PIPE
    procs = [subprocess.Popen(argv, stdin=pipe, stdout=pipe, stderr=pipe, text=True, env=env) for _ in range(LAUNCHERS)]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        return [(proc.wait(timeout=120), proc.communicate()[1]) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from shared.db.migrate import MIGRATIONS_DIR

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def test_launchers_migrating_one_fresh_database_at_once_all_succeed(postgres_url: str) -> None:
    results = _migrate_at_once(postgres_url)
    assert [code for code, _ in results] == [0] * LAUNCHERS, [err[-2000:] for code, err in results if code]
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            # The lock is released once each is done: nothing of the migration stays held.
            held = conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).scalar()
        assert versions == [_head_revision()]
        assert held == 0
        assert {"live_sessions", "comment_data", "recordings"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_without_the_lock_the_same_start_fails(postgres_url: str) -> None:
    """Why the lock exists: Alembic alone, started by several launchers at once on a fresh database, breaks some."""
    results = _migrate_at_once(postgres_url, "--bare")
    failures = [err for code, err in results if code != 0]
    assert failures, "every bare upgrade succeeded: the race this lock prevents did not happen"
    assert all("already exists" in err or "duplicate key" in err for err in failures), failures[0][-2000:]
