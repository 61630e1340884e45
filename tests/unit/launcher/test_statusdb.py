"""The launcher's status writer when several launchers (one per worker) share one database, on SQLite and PostgreSQL:
each keeps its own service_status rows, its health and log rows name its worker, and the main launcher prunes the rows
of workers gone for good (absent from Redis, not written for a day)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from launcher.redis_embedded import free_port
from launcher.runner import _present_workers
from launcher.statusdb import STALE_ROWS_AFTER, StatusWriter
from shared.bus import LAUNCHER_STATE_KEY
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.models import HealthCheck, ServiceLog, ServiceStatus
from shared.workers import WORKERS_KEY


def info(status: str, pid: int | None = None, restarts: int = 0, reason: str | None = None) -> dict[str, Any]:
    return {"status": status, "pid": pid, "port": None, "restarts": restarts, "reason": reason}


def write(engine: Engine, worker_id: str, *steps: tuple[str, Any]) -> None:
    """One launcher's writer thread, handed ``steps`` (method name, arguments) and closed once they are written."""
    writer = StatusWriter(engine, worker_id=worker_id)
    writer.start()
    for method, args in steps:
        getattr(writer, method)(*args)
    writer.close()


def status_rows(engine: Engine) -> dict[tuple[str, str], ServiceStatus]:
    with Session(engine) as s:
        return {(r.worker_id, r.service_name): r for r in s.scalars(select(ServiceStatus))}


@pytest.fixture
def engine(database_url: str) -> Any:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def test_two_workers_keep_their_own_rows_of_the_same_services(engine: Engine, database_url: str) -> None:
    other = make_engine(database_url)  # the second launcher: a connection pool of its own
    beat = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    try:
        write(engine, "w1", ("services", ({"fetcher": info("running", 101), "ast": info("running", 102)}, {})))
        write(other, "w2", ("services", ({"fetcher": info("backoff", 201, 3, "exit 1")}, {"fetcher": beat})))
        # w1 writes again: it must not take w2's fetcher row, nor w2 its.
        write(engine, "w1", ("services", ({"fetcher": info("running", 111, 1), "ast": info("running", 102)}, {})))
    finally:
        other.dispose()
    rows = status_rows(engine)
    assert set(rows) == {("w1", "fetcher"), ("w1", "ast"), ("w2", "fetcher")}
    assert (rows["w1", "fetcher"].pid, rows["w1", "fetcher"].restarts) == (111, 1)
    w2 = rows["w2", "fetcher"]
    assert (w2.status, w2.pid, w2.restarts, w2.last_error) == ("backoff", 201, 3, "exit 1")
    assert w2.last_heartbeat is not None and w2.last_heartbeat.replace(tzinfo=UTC) == beat


def test_health_and_log_rows_name_their_worker(engine: Engine) -> None:
    probe = {"service_name": "fetcher", "status": "healthy", "response_time_ms": 3.5, "detail": None}
    write(engine, "w1", ("health", ([probe],)), ("event", ("fetcher", "INFO", "starting → running")))
    write(engine, "w2", ("health", ([probe],)), ("event", ("fetcher", "ERROR", "backoff → fatal: exit 1")))
    with Session(engine) as s:
        health = sorted((r.worker_id, r.service_name, r.status) for r in s.scalars(select(HealthCheck)))
        logs = sorted((r.worker_id, r.level, r.message) for r in s.scalars(select(ServiceLog)))
    assert health == [("w1", "fetcher", "healthy"), ("w2", "fetcher", "healthy")]
    assert logs == [("w1", "INFO", "starting → running"), ("w2", "ERROR", "backoff → fatal: exit 1")]


def test_a_service_no_longer_run_is_dropped_from_its_workers_rows_only(engine: Engine) -> None:
    everything = {"gateway": info("running", 1), "fetcher": info("running", 2)}
    write(engine, "main", ("services", (everything, {})))
    write(engine, "w1", ("services", ({"fetcher": info("running", 3)}, {})))
    # main starts again as a gateway alone (--role gateway): its fetcher row goes, w1's stays.
    write(engine, "main", ("services", ({"gateway": info("running", 4)}, {})))
    rows = status_rows(engine)
    assert set(rows) == {("main", "gateway"), ("w1", "fetcher")}
    assert rows["main", "gateway"].pid == 4


def test_a_row_without_a_worker_is_taken_over_by_the_launcher_running_that_service(engine: Engine) -> None:
    # A row from before rows had a worker, migrated without a launcher's id (worker_id '').
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO service_status (worker_id, service_name, status, restarts) VALUES ('', :n, 'running', 0)"
            ),
            [{"n": "fetcher"}, {"n": "streamcap"}],
        )
    before = status_rows(engine)
    write(engine, "solo", ("services", ({"fetcher": info("running", 7)}, {})))
    rows = status_rows(engine)
    assert set(rows) == {("solo", "fetcher"), ("", "streamcap")}  # another launcher may still run streamcap
    assert rows["solo", "fetcher"].id == before["", "fetcher"].id
    assert rows["solo", "fetcher"].pid == 7


def test_a_writer_needs_a_worker_id(engine: Engine) -> None:
    with pytest.raises(ValueError, match="worker id"):
        StatusWriter(engine, worker_id="")


def test_the_rows_of_workers_gone_for_good_are_pruned_and_no_others(engine: Engine) -> None:
    for worker_id in ("main", "w1", "gone", "back"):
        write(engine, worker_id, ("services", ({"fetcher": info("running", 1)}, {})))
    # Every row but back's last written two days ago (a live launcher rewrites its rows only when a service changes).
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO service_status (worker_id, service_name, status, restarts) "
                          "VALUES ('', 'streamcap', 'running', 0)"))  # fmt: skip
        conn.execute(
            text("UPDATE service_status SET updated_at = :t WHERE worker_id != 'back'"),
            {"t": datetime.now(UTC) - STALE_ROWS_AFTER - timedelta(days=1)},
        )
    # main prunes: w1 is in Redis (registry or launcher state); gone, back and '' (a row from before rows had a
    # worker, never taken over) are not.
    write(engine, "main", ("prune", ({"w1"},)))
    assert set(status_rows(engine)) == {("main", "fetcher"), ("w1", "fetcher"), ("back", "fetcher")}


def test_a_worker_is_present_while_redis_has_its_registry_entry_or_its_launchers_state(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        assert _present_workers(client) == set()
        client.zadd(WORKERS_KEY, {"w1": 1})  # silent, but not yet forgotten by the registry
        client.set(LAUNCHER_STATE_KEY, b"{}")  # the main launcher's own state: no worker id
        client.set(f"{LAUNCHER_STATE_KEY}:w2", b"{}", ex=10)  # a worker launcher whose services are all down
        assert _present_workers(client) == {"w1", "w2"}
    finally:
        client.close()
    unreachable = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    assert _present_workers(unreachable) is None  # then nobody's rows are pruned
    unreachable.close()
