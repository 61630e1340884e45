"""Durable work assignments: what a service was asked to do, kept in Redis so that the worker that runs it next
(the same one after a crash or a restart, later another one) adopts the work and resumes each piece.

Per service, two hashes in the shared store (the embedded Redis keeps an append-only file, fsync always)::

    timao:work:<service>           item id → {"spec": {...}, "assigned_at": ms}   what the user asked for
    timao:work:<service>:progress  item id → {...}                                 how far it got (cursor, position)

The spec is written when the work is asked for and removed when the work ends on purpose (the user stopped it, the
live ended, it failed for good). A crash or a restart removes nothing: the next start lists the items and resumes
each from its progress. Progress is written only while the item is assigned (checked inside Redis), so a late
write can never bring a removed item back.

Which worker runs an item is its lease (``shared/leases.py``): a progress write may carry the writer's fence, and is
refused when another worker took the item over since.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis.asyncio as aioredis

from shared.bus import TRANSIENT, Fence

__all__ = ["Assignments", "WorkItem", "adopt_all", "work_key"]

log = logging.getLogger(__name__)

# KEYS[1] spec hash, KEYS[2] progress hash, KEYS[3] the item's lease; ARGV[1] item id, ARGV[2] progress JSON,
# ARGV[3] the writer's fencing token ("" for none: no lease check). 1 when written.
_PROGRESS_IF_ASSIGNED = """
if ARGV[3] ~= '' and redis.call('HGET', KEYS[3], 'token') ~= ARGV[3] then
    return 0
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
    redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
    return 1
end
return 0
"""


def work_key(service: str) -> str:
    return f"timao:work:{service}"


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One piece of assigned work: its id (a session, a recording), what was asked, and how far it got."""

    id: str
    spec: dict[str, Any]
    progress: dict[str, Any] = field(default_factory=dict)
    assigned_at_ms: int = 0


class Assignments:
    """The work assigned to one service. Every method is one Redis round trip; Redis errors propagate."""

    def __init__(self, redis: aioredis.Redis, service: str) -> None:
        self._redis = redis
        self.service = service
        self._key = work_key(service)
        self._progress_key = f"{self._key}:progress"
        self._progress_if_assigned = redis.register_script(_PROGRESS_IF_ASSIGNED)

    async def put(self, item_id: str, spec: dict[str, Any]) -> None:
        """Assign (or re-assign with a new spec) one item; its progress, if any, is kept."""
        record = {"spec": spec, "assigned_at": time.time_ns() // 1_000_000}
        await self._redis.hset(self._key, item_id, orjson.dumps(record))

    async def remove(self, item_id: str) -> bool:
        """The work ended on purpose: forget it and its progress. True when it was assigned."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hdel(self._key, item_id)
        pipe.hdel(self._progress_key, item_id)
        removed, _ = await pipe.execute()
        return bool(removed)

    async def update_progress(self, item_id: str, progress: dict[str, Any], *, fence: Fence | None = None) -> bool:
        """Record how far an item got (replacing the last record). False when the item is no longer assigned, or
        ``fence`` is given and its lease has another token now."""
        lease = fence.lease_key if fence else self._progress_key
        token = str(fence.token) if fence else ""
        written = await self._progress_if_assigned(keys=[self._key, self._progress_key, lease],
                                                   args=[item_id, orjson.dumps(progress), token])  # fmt: skip
        return bool(written)

    async def get(self, item_id: str) -> WorkItem | None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.hget(self._key, item_id)
        pipe.hget(self._progress_key, item_id)
        raw, progress = await pipe.execute()
        return self._item(item_id, raw, progress) if raw is not None else None

    async def list(self) -> list[WorkItem]:
        """Every assigned item, oldest assignment first. An unreadable record is logged and skipped."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hgetall(self._key)
        pipe.hgetall(self._progress_key)
        specs, progress = await pipe.execute()
        items = []
        for raw_id, raw in specs.items():
            item_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            item = self._item(item_id, raw, progress.get(raw_id))
            if item is not None:
                items.append(item)
        return sorted(items, key=lambda i: (i.assigned_at_ms, i.id))

    def _item(self, item_id: str, raw: bytes, progress: bytes | None) -> WorkItem | None:
        try:
            record = orjson.loads(raw)
            spec = record["spec"]
            done = orjson.loads(progress) if progress else {}
            if not isinstance(spec, dict) or not isinstance(done, dict):
                raise TypeError("spec and progress must be objects")
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            log.error("%s: assignment %s unreadable, skipped: %s", self.service, item_id, exc)
            return None
        return WorkItem(item_id, spec, done, int(record.get("assigned_at") or 0))


ADOPT_RETRY_S = 1.0


async def adopt_all(work: Assignments, resume: Callable[[WorkItem], Awaitable[None]], *, what: str) -> int:
    """What a worker does at start: read everything assigned to it (retrying while Redis does not answer) and hand
    each item to ``resume``. An item that fails for a transient reason waits for the next start; the rest go on.
    Answers how many items were assigned."""
    while True:
        try:
            items = await work.list()
            break
        except TRANSIENT as exc:
            log.warning("cannot read the assigned %s yet (%s); retrying", what, exc)
            await asyncio.sleep(ADOPT_RETRY_S)
    for item in items:
        try:
            await resume(item)
        except TRANSIENT as exc:
            log.error("%s %s could not be resumed: %s", what, item.id, exc)
    if items:
        log.info("adopted %d %s assigned before this start", len(items), what)
    return len(items)
