"""Durable work assignments: what a service was asked to do, kept in Redis so that the worker that runs it next
(the same one after a crash or a restart, later another one) adopts the work and resumes each piece.

Per service, three hashes in the shared store (the embedded Redis keeps an append-only file, fsync always)::

    timao:work:<service>           item id → {"spec": {...}, "assigned_at": ms, "unique": key}   what was asked for
    timao:work:<service>:progress  item id → {...}                 how far it got (cursor, position)
    timao:work:<service>:unique    key → item id                   what may run once only (a room's live id)

The spec is written when the work is asked for and removed when the work ends on purpose (the user stopped it, the
live ended, it failed for good). A crash or a restart removes nothing: the next start lists the items and resumes
each from its progress. Progress is written only while the item is assigned (checked inside Redis), so a late
write can never bring a removed item back.

An item may carry a unique key (a room: its live id): ``put`` writes the item and the key's entry in one script, and
answers the item already holding that key instead when there is one, so two requests racing (on two workers, through
two gateways) cannot assign the same live room twice; ``remove`` takes the key's entry away with the item.

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
from redis.exceptions import WatchError

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


# KEYS[1] spec hash, KEYS[2] unique index; ARGV[1] item id, ARGV[2] record JSON, ARGV[3] unique key ("" for none).
# → the item id now holding the key: ARGV[1] when written, another item's id when that one holds it (nothing written).
_PUT = """
if ARGV[3] ~= '' then
    local holder = redis.call('HGET', KEYS[2], ARGV[3])
    if holder and holder ~= ARGV[1] and redis.call('HEXISTS', KEYS[1], holder) == 1 then
        return holder
    end
end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
    local ok, record = pcall(cjson.decode, old)
    if ok and type(record) == 'table' and type(record['unique']) == 'string' and record['unique'] ~= ARGV[3]
            and redis.call('HGET', KEYS[2], record['unique']) == ARGV[1] then
        redis.call('HDEL', KEYS[2], record['unique'])
    end
end
if ARGV[3] ~= '' then
    redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ARGV[1]
"""

# KEYS[1] spec hash, KEYS[2] progress hash, KEYS[3] unique index; ARGV[1] item id. → 1 when it was assigned.
_REMOVE = """
redis.call('HDEL', KEYS[2], ARGV[1])
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then
    return 0
end
local ok, record = pcall(cjson.decode, raw)
if ok and type(record) == 'table' and type(record['unique']) == 'string'
        and redis.call('HGET', KEYS[3], record['unique']) == ARGV[1] then
    redis.call('HDEL', KEYS[3], record['unique'])
end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
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
    unique: str = ""  # the key that may be assigned once only (a room's live id); "" for none


class Assignments:
    """The work assigned to one service. Every method is one Redis round trip; Redis errors propagate."""

    def __init__(self, redis: aioredis.Redis, service: str) -> None:
        self._redis = redis
        self.service = service
        self._key = work_key(service)
        self._progress_key = f"{self._key}:progress"
        self._unique_key = f"{self._key}:unique"
        self._progress_if_assigned = redis.register_script(_PROGRESS_IF_ASSIGNED)
        self._put = redis.register_script(_PUT)
        self._remove = redis.register_script(_REMOVE)

    async def put(self, item_id: str, spec: dict[str, Any], *, unique: str = "", assigned_at_ms: int = 0) -> str:
        """Assign (or re-assign with a new spec) one item; its progress, if any, is kept. With ``unique``, only
        while no other assigned item holds that key: answers the item id holding it now (``item_id`` when this call
        wrote it, else the other item's id, and nothing was written)."""
        record: dict[str, Any] = {"spec": spec, "assigned_at": assigned_at_ms or time.time_ns() // 1_000_000}
        if unique:
            record["unique"] = unique
        holder = await self._put(keys=[self._key, self._unique_key], args=[item_id, orjson.dumps(record), unique])
        return holder.decode() if isinstance(holder, bytes) else str(holder)

    async def holder(self, unique: str) -> str | None:
        """The assigned item holding a unique key, or None."""
        raw = await self._redis.hget(self._unique_key, unique)
        if raw is None:
            return None
        item_id = raw.decode() if isinstance(raw, bytes) else str(raw)
        return item_id if await self._redis.hexists(self._key, item_id) else None

    async def update_spec(self, item_id: str, changes: dict[str, Any]) -> bool:
        """Change some fields of an assigned item's spec (a key set to None is removed); the rest of its record, its
        progress and its unique key stay. False when the item is not assigned."""
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(self._key)
                    raw = await pipe.hget(self._key, item_id)
                    if raw is None:
                        return False
                    record = orjson.loads(raw)
                    spec = {**record["spec"], **changes}
                    record["spec"] = {k: v for k, v in spec.items() if v is not None}
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.hset(self._key, item_id, orjson.dumps(record))
                    await pipe.execute()
                    return True
                except WatchError:
                    continue  # another item's record changed meanwhile: read again

    async def remove(self, item_id: str) -> bool:
        """The work ended on purpose: forget it, its progress and its unique key. True when it was assigned."""
        removed = await self._remove(keys=[self._key, self._progress_key, self._unique_key], args=[item_id])
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
        return WorkItem(item_id, spec, done, int(record.get("assigned_at") or 0), str(record.get("unique") or ""))


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
