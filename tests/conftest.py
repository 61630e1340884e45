"""Fixtures over real parts: a private Redis server per test session, SQLite files, a PostgreSQL database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from launcher.redis_embedded import find_redis_server, free_port

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = PROJECT_ROOT / "tests" / "fixtures"  # test data kept in the repository (e.g. real Douyin captures)
DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


E2E_DIR = PROJECT_ROOT / "tests" / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is an e2e test, whether or not its module says so: ``-m "not e2e"`` is the fast,
    hermetic set (``make check``)."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


@dataclass
class RedisServer:
    port: int
    data_dir: Path
    # Durable: every write is fsynced to the append-only file, as the suite's embedded Redis does, so a test that kills
    # the server and starts it again finds what it wrote. Not durable: memory only, for the one session-wide server no
    # test stops (an fsync per write makes Redis-heavy tests 5-8 times slower on a real disk).
    durable: bool = True
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # A plain loopback Redis as a user's own would be (the suite's embedded one is tested on its own).
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [find_redis_server(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir)]
        if self.durable:
            argv += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            argv += ["--appendonly", "no"]
        argv += ["--save", "", "--loglevel", "warning"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    client.close()
                    return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("redis did not start")

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        self.proc.wait(10)
        self.proc = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One Redis for the whole session (per xdist worker): tests share it, each on a flushed database (``redis_url``).
    Nobody stops it, so it keeps nothing on disk; a test that restarts Redis takes ``private_redis``."""
    server = RedisServer(free_port(), tmp_path_factory.mktemp("redis"), durable=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    client.close()
    yield redis_server.url


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of the test's own, for tests that stop and restart it."""
    server = RedisServer(free_port(), tmp_path / "redis")
    server.start()
    yield server
    server.stop(kill=True)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'timao.db'}"


def _pg_admin_url() -> str:
    return os.environ.get("TIMAO_TEST_POSTGRES_URL", DEFAULT_PG_ADMIN_URL)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"timao_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = _pg_admin_url().rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'timao.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def have(binary: str) -> bool:
    return shutil.which(binary) is not None
