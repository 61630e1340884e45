"""The worker registry: which workers run, on which host, with what capacity and what work (docs/contracts.md,
"Workers on several machines").

Each service of a worker (its fetcher today; its recorder and transcriber later) writes its own record every second::

    timao:workers               sorted set: worker id → last record time (ms)
    timao:worker:<worker id>    hash: service → {"host", "pid", "capacity", "heartbeat_at", "rooms", ...} (PEXPIRE)

A record older than ``STALE_S`` counts as gone: its worker's rooms are unowned once their leases expire, and new rooms
are not placed there. ``list_workers`` answers the live workers as ``GET /api/workers`` shows them; ``pick_worker``
is the placement rule (the one named, else the most free capacity).
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from typing import Any

import orjson
import redis.asyncio as aioredis

__all__ = ["STALE_S", "WORKERS_KEY", "NoSuchWorker", "list_workers", "pick_worker", "register", "unregister"]

WORKERS_KEY = "timao:workers"
STALE_S = 6.0  # a worker silent this long is gone (its records are written every second)
RECORD_TTL_S = 30.0
FORGET_AFTER_S = 3600.0  # ids silent this long leave the sorted set

# What each service's record lists, by the name GET /api/workers uses.
WORK_FIELD = {"douyin_fetcher": "rooms", "streamcap": "recordings", "ast": "jobs"}


class NoSuchWorker(LookupError):
    pass


def worker_key(worker_id: str) -> str:
    return f"timao:worker:{worker_id}"


async def register(
    redis: aioredis.Redis,
    worker_id: str,
    service: str,
    *,
    capacity: int,
    work: list[str],
    pid: int,
    host: str | None = None,
    now: float | None = None,
) -> None:
    """Write (or refresh) this service's record of ``worker_id``."""
    now = time.time() if now is None else now
    record = {"host": host or socket.gethostname(), "pid": pid, "capacity": capacity, "ts": now, "work": work}
    pipe = redis.pipeline(transaction=False)
    pipe.hset(worker_key(worker_id), service, orjson.dumps(record))
    pipe.pexpire(worker_key(worker_id), int(RECORD_TTL_S * 1000))
    pipe.zadd(WORKERS_KEY, {worker_id: int(now * 1000)})
    await pipe.execute()


async def unregister(redis: aioredis.Redis, worker_id: str, service: str) -> None:
    """This service of the worker stopped on purpose."""
    pipe = redis.pipeline(transaction=True)
    pipe.hdel(worker_key(worker_id), service)
    pipe.exists(worker_key(worker_id))
    _, left = await pipe.execute()
    if not left:
        await redis.zrem(WORKERS_KEY, worker_id)


async def list_workers(
    redis: aioredis.Redis, *, service: str | None = None, now: float | None = None, stale_s: float = STALE_S
) -> list[dict[str, Any]]:
    """The live workers, by id: ``{worker_id, host, rooms, recordings, jobs, heartbeat_at, capacity, services}``.
    With ``service``, only workers where that service is live."""
    now = time.time() if now is None else now
    pipe = redis.pipeline(transaction=False)
    pipe.zremrangebyscore(WORKERS_KEY, "-inf", int((now - FORGET_AFTER_S) * 1000))
    pipe.zrangebyscore(WORKERS_KEY, int((now - stale_s) * 1000), "+inf")
    _, ids = await pipe.execute()
    worker_ids = sorted(i.decode() if isinstance(i, bytes) else str(i) for i in ids)
    if not worker_ids:
        return []
    pipe = redis.pipeline(transaction=False)
    for worker_id in worker_ids:
        pipe.hgetall(worker_key(worker_id))
    records = await pipe.execute()
    workers = []
    for worker_id, raw in zip(worker_ids, records, strict=True):
        view = _merge(worker_id, raw, now, stale_s)
        if view is not None and (service is None or service in view["services"]):
            workers.append(view)
    return workers


def _merge(worker_id: str, raw: dict[Any, Any], now: float, stale_s: float) -> dict[str, Any] | None:
    view: dict[str, Any] = {"worker_id": worker_id, "host": "", "rooms": [], "recordings": [], "jobs": [],
                            "heartbeat_at": None, "capacity": 0, "services": [],
                            "capacity_of": {}}  # fmt: skip
    latest = 0.0
    for name, value in raw.items():
        service = name.decode() if isinstance(name, bytes) else str(name)
        try:
            record = orjson.loads(value)
            ts = float(record["ts"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
        if now - ts > stale_s:
            continue
        view["services"].append(service)
        view["host"] = view["host"] or str(record.get("host", ""))
        field = WORK_FIELD.get(service)
        if field:
            view[field] = sorted(str(w) for w in record.get("work") or [])
        view["capacity_of"][service] = int(record.get("capacity") or 0)  # each service's own cap, for placement
        if service == "douyin_fetcher":
            view["capacity"] = int(record.get("capacity") or 0)
        latest = max(latest, ts)
    if not view["services"]:
        return None
    view["services"].sort()
    view["heartbeat_at"] = datetime.fromtimestamp(latest, UTC).isoformat()
    return view


def pick_worker(workers: list[dict[str, Any]], requested: str | None = None, *, service: str = "douyin_fetcher") -> str:
    """Where a new room (or, with ``service``, recording or job) goes: the worker asked for (it must be live), else
    the one with the most free capacity of that service (ties: less work, then the id). Raises NoSuchWorker when
    there is none."""
    if requested:
        if any(w["worker_id"] == requested for w in workers):
            return requested
        raise NoSuchWorker(f"没有这个工作节点 (no live worker {requested!r})")
    if not workers:
        raise NoSuchWorker("没有可用的工作节点 (no live worker)")
    field = WORK_FIELD[service]

    def free(w: dict[str, Any]) -> tuple[int, int, str]:
        capacity = w.get("capacity_of", {}).get(service, w["capacity"] if service == "douyin_fetcher" else 0)
        return int(capacity) - len(w[field]), -len(w[field]), w["worker_id"]

    return str(max(workers, key=free)["worker_id"])
