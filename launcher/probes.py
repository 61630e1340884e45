"""Health probes. Each answers True (healthy), False (answered badly) for a given child pid.

A probe that matched another process (a stale heartbeat of the previous run, some other program on the port)
must not count, so HTTP and heartbeat probes check the pid the service reports.
"""

from __future__ import annotations

import http.client
import socket
import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import orjson
import redis

from shared.bus import heartbeat_key

__all__ = ["HeartbeatProbe", "HttpProbe", "Probe", "RedisPingProbe", "TcpProbe"]

HEARTBEAT_STALE_S = 5.0


class Probe(Protocol):
    def check(self, pid: int) -> tuple[bool, str | None]: ...


@dataclass
class HttpProbe:
    url: str
    timeout: float = 1.0

    def check(self, pid: int) -> tuple[bool, str | None]:
        # The standard library's client, not httpx: probed ten times a second while a service starts, a new httpx
        # client each time (TLS context and all) cost the launcher more CPU than the services' own start-up.
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=self.timeout)
        try:
            conn.request("GET", parts.path or "/")
            response = conn.getresponse()
            status, data = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            return False, f"GET {self.url}: {type(exc).__name__}"
        finally:
            conn.close()
        if status != 200:
            return False, f"GET {self.url}: HTTP {status}"
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError:
            return False, f"GET {self.url}: not JSON"
        if not isinstance(body, dict):
            return False, f"GET {self.url}: not a JSON object"
        reported = body.get("pid") or body.get("services", {}).get("gateway", {}).get("pid")
        if reported != pid:
            return False, f"port answered for pid {reported}, not {pid}"
        return True, None


@dataclass
class HeartbeatProbe:
    client: redis.Redis
    service: str
    worker_id: str = ""  # this launcher's worker: its own beat, not another machine's (several share one Redis)

    def check(self, pid: int) -> tuple[bool, str | None]:
        try:
            raw = self.client.get(heartbeat_key(self.service, self.worker_id))
        except redis.RedisError as exc:
            return False, f"redis: {type(exc).__name__}"
        if not raw:
            return False, "no heartbeat"
        beat = orjson.loads(raw)
        if beat.get("pid") != pid:
            return False, "heartbeat from a previous run"
        if time.time() - float(beat.get("ts", 0)) > HEARTBEAT_STALE_S:
            return False, "heartbeat stale"
        return True, None


@dataclass
class RedisPingProbe:
    client: redis.Redis

    def check(self, pid: int) -> tuple[bool, str | None]:
        try:
            return bool(self.client.ping()), None
        except redis.RedisError as exc:
            return False, f"PING: {type(exc).__name__}"


@dataclass
class TcpProbe:
    """For stand-ins without a health route (the fake Douyin server): the port accepts connections."""

    port: int
    timeout: float = 1.0

    def check(self, pid: int) -> tuple[bool, str | None]:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout):
                return True, None
        except OSError as exc:
            return False, f"connect :{self.port}: {exc}"
