"""The real suite through the launcher: embedded Redis, every service healthy, kills survived, nothing lost or
doubled, and a stop that leaves no process behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from launcher.redis_embedded import free_port
from shared.bus import EVENTS_STREAM, Bus
from shared.db.engine import make_engine
from shared.db.models import CommentData, ServiceLog, ServiceStatus
from shared.events import LiveEvent
from tests.e2e.harness import Suite, pid_alive

pytestmark = pytest.mark.e2e

SERVICES = {"redis", "gateway", "streamcap", "douyin_fetcher", "ast"}


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    s = Suite(tmp_path_factory.mktemp("suite") / "home").start()
    s.wait_running()
    yield s
    s.stop()


def publish(redis_url: str, session: str, ids: range, *, pause_every: int = 0, pause: float = 0.0) -> None:
    async def go() -> None:
        bus = Bus(redis_url, service="test")
        await bus.start()
        for i in ids:
            ev = LiveEvent.build("chat", session, {"content": f"弹幕 {i}"}, msg_id=str(i), ts=1_000 + i,
                                 user={"id": str(i), "nickname": "用户****"})  # fmt: skip
            await bus.publish(ev)
            if pause_every and i % pause_every == 0:
                await asyncio.sleep(pause)
        for _ in range(200):
            if bus.backlog_size == 0:
                break
            await asyncio.sleep(0.05)
        assert bus.backlog_size == 0
        await bus.close()

    asyncio.run(go())


def comment_count(database_url: str, session: str) -> int:
    engine = make_engine(database_url)
    with Session(engine) as s:
        n = int(s.scalar(select(func.count()).select_from(CommentData).where(CommentData.session_id == session)) or 0)
    engine.dispose()
    return n


def wait_count(database_url: str, session: str, expected: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    n = -1
    while time.monotonic() < deadline:
        n = comment_count(database_url, session)
        if n >= expected:
            time.sleep(0.5)  # anything extra (a duplicate) would land now
            return comment_count(database_url, session)
        time.sleep(0.1)
    return n


def test_every_service_healthy_on_the_embedded_defaults(suite: Suite) -> None:
    status = suite.status()
    assert set(status["services"]) == SERVICES
    assert status["redis_url"].startswith("unix://:") and status["redis_url"].endswith("/run/redis.sock?db=0")
    assert status["database_url"] == f"sqlite:///{suite.home / 'timao.db'}"
    # /health reads the launcher's view, published every half second: give it a moment to catch up.
    deadline = time.monotonic() + 10
    while (health := httpx.get(suite.base_url + "/health", timeout=5).json())["status"] != "ok":
        assert time.monotonic() < deadline, health
        time.sleep(0.2)
    assert {n for n, s in health["services"].items() if s["status"] == "running"} == SERVICES
    assert health["services"]["ast"]["last_heartbeat"]
    assert httpx.get(f"http://127.0.0.1:{suite.streamcap_port}/health", timeout=5).status_code == 200
    for name in SERVICES:
        assert (suite.home / "logs" / f"{name}.log").is_file()


def test_the_embedded_redis_lets_only_the_suite_in(suite: Suite) -> None:
    """Every service connects (they all run), while a local process without the password gets nothing."""
    status = suite.status()
    sock = suite.home / "run" / "redis.sock"
    assert sock.is_socket() and sock.stat().st_mode & 0o777 == 0o700
    assert (suite.home / "run").stat().st_mode & 0o777 == 0o700
    stranger = redis.Redis(unix_socket_path=str(sock), socket_timeout=2)
    with pytest.raises(redis.AuthenticationError):
        stranger.xadd(EVENTS_STREAM, {"e": b"{}"})
    stranger.close()
    # No TCP listener at all, and the password is not on the command line that `ps` shows.
    redis_pid = status["services"]["redis"]["pid"]
    server = psutil.Process(redis_pid)
    assert not [c for c in server.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    password = redis.connection.parse_url(status["redis_url"])["password"]
    assert password and not any(password in arg for arg in server.cmdline())
    insider = redis.Redis.from_url(status["redis_url"], socket_timeout=2)
    with pytest.raises(redis.ResponseError, match="unknown command"):
        insider.execute_command("CONFIG", "SET", "dir", str(suite.home))
    insider.close()
    settings = httpx.get(suite.base_url + "/api/settings", headers=suite.auth, timeout=5).json()
    assert password not in str(settings)


def test_cli_status_json_and_table(suite: Suite) -> None:
    table = suite.cli("status")
    assert table.returncode == 0 and "douyin_fetcher" in table.stdout and "running" in table.stdout
    as_json = suite.cli("status", "--json")
    assert as_json.returncode == 0 and '"running": true' in as_json.stdout


@pytest.mark.parametrize("victim", ["douyin_fetcher", "ast", "streamcap", "gateway", "redis"])
def test_kill_9_of_a_child_is_survived_with_nothing_lost_or_doubled(suite: Suite, victim: str) -> None:
    status = suite.status()
    redis_url, database_url = status["redis_url"], status["database_url"]
    session = f"kill-{victim}"
    publish(redis_url, session, range(0, 200))
    assert wait_count(database_url, session, 200) == 200
    old_pid = status["services"][victim]["pid"]
    os.kill(old_pid, signal.SIGKILL)
    after = suite.wait_running(timeout=30, exclude_pids={victim: old_pid})
    assert after["services"][victim]["restarts"] >= 1
    publish(redis_url, session, range(100, 300))  # overlaps what is stored: a replay must not double
    assert wait_count(database_url, session, 300) == 300


def test_events_published_while_the_persister_is_killed_are_stored_exactly_once(suite: Suite) -> None:
    status = suite.status()
    redis_url, database_url = status["redis_url"], status["database_url"]
    producer = threading.Thread(target=publish, args=(redis_url, "persist-1000", range(1000)),
                                kwargs={"pause_every": 50, "pause": 0.05})  # fmt: skip
    producer.start()
    time.sleep(0.3)
    gateway_pid = suite.status()["services"]["gateway"]["pid"]
    os.kill(gateway_pid, signal.SIGKILL)  # the gateway hosts the persister
    suite.wait_running(timeout=30, exclude_pids={"gateway": gateway_pid})
    producer.join(60)
    assert wait_count(database_url, "persist-1000", 1000) == 1000


def test_launcher_records_state_in_the_database(suite: Suite) -> None:
    engine = make_engine(suite.status()["database_url"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with Session(engine) as s:
            rows = {r.service_name: r for r in s.scalars(select(ServiceStatus))}
            logs = s.scalar(select(func.count()).select_from(ServiceLog))
        if set(rows) == SERVICES and all(r.status == "running" for r in rows.values()):
            break
        time.sleep(0.2)
    assert set(rows) == SERVICES and all(r.status == "running" for r in rows.values())
    assert logs and logs >= len(SERVICES)
    engine.dispose()


def test_a_second_up_for_the_same_home_is_refused(suite: Suite) -> None:
    second = suite.cli("up", timeout=30)
    assert second.returncode == 1
    assert "already running" in second.stderr


def test_a_port_in_use_is_reported_with_port_and_service(suite: Suite, tmp_path: Path) -> None:
    other = Suite(tmp_path / "other", gateway_port=suite.gateway_port)
    result = other.cli("up", timeout=30)
    assert result.returncode == 2
    assert f"port {suite.gateway_port} in use" in result.stderr and "gateway" in result.stderr


def test_restart_command(suite: Suite) -> None:
    old = suite.status()["services"]["ast"]["pid"]
    assert suite.cli("restart", "ast").returncode == 0
    suite.wait_running(timeout=30, exclude_pids={"ast": old})
    bad = suite.cli("restart", "nope")
    assert bad.returncode == 2 and "no service" in bad.stderr


def test_logs_command(suite: Suite) -> None:
    result = suite.cli("logs", "gateway", "-n", "5")
    assert result.returncode == 0 and '"service":"gateway"' in result.stdout
    assert suite.cli("logs", "../etc/passwd").returncode == 2


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    s = Suite(tmp_path / "home").start()
    s.wait_running()
    pids = s.all_pids()
    assert len(pids) >= 6  # launcher + redis + 4 services
    result = s.cli("stop")
    assert result.returncode == 0, result.stdout + result.stderr
    assert s.proc is not None and s.proc.wait(10) == 0
    deadline = time.monotonic() + 5
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p for p in pids if pid_alive(p)] == []
    assert s.cli("status").returncode == 3


@pytest.mark.postgres
def test_persistence_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    s = Suite(tmp_path / "home", extra_env={"TIMAO_DATABASE_URL": postgres_url}).start()
    try:
        status = s.wait_running()
        assert status["database_url"] == postgres_url
        producer = threading.Thread(target=publish, args=(status["redis_url"], "pg-1000", range(1000)),
                                    kwargs={"pause_every": 50, "pause": 0.05})  # fmt: skip
        producer.start()
        time.sleep(0.3)
        gateway_pid = s.status()["services"]["gateway"]["pid"]
        os.kill(gateway_pid, signal.SIGKILL)
        s.wait_running(timeout=30, exclude_pids={"gateway": gateway_pid})
        producer.join(60)
        assert wait_count(postgres_url, "pg-1000", 1000) == 1000
    finally:
        s.stop()


def test_an_external_redis_by_url_works(tmp_path: Path, redis_server: object) -> None:
    url = redis_server.url  # type: ignore[attr-defined]
    s = Suite(tmp_path / "home", extra_env={"TIMAO_REDIS_URL": url}).start()
    try:
        status = s.wait_running()
        assert "redis" not in status["services"] and status["redis_url"] == url
        publish(url, "ext", range(10))
        assert wait_count(status["database_url"], "ext", 10) == 10
    finally:
        s.stop()


def test_a_database_that_cannot_be_migrated_is_reported_and_stops_what_started(tmp_path: Path) -> None:
    # The migration runs while Redis and the workers start; its failure must still end the run cleanly.
    home = tmp_path / "home"
    closed = free_port()
    bad = Suite(home, extra_env={"TIMAO_DATABASE_URL": f"postgresql+psycopg://timao@127.0.0.1:{closed}/timao"})
    result = bad.cli("up", timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "database migration failed" in result.stderr
    left = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if proc.environ().get("TIMAO_HOME") == str(home):
                left.append(proc.pid)
    assert left == []
