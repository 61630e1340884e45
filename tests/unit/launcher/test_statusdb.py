"""The launcher's status writer when several launchers (one per worker) share one database, on SQLite and PostgreSQL:
each keeps its own service_status rows, and its health and log rows name its worker."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from launcher.statusdb import StatusWriter
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.models import HealthCheck, ServiceLog, ServiceStatus


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
