"""Leases: one owner at a time for each piece of work (a watched room), held in Redis with a TTL and a fencing token.

docs/contracts.md, "Workers on several machines". Keys (one Redis, several machines)::

    timao:lease:<scope>:<item>   hash {owner, token}, PEXPIRE ttl     who runs the item now
    timao:lease:fence            hash "<scope>:<item>" → counter      HINCRBY at each acquire: the fencing token

Acquire, renew and release are Lua scripts (atomic in Redis). The token goes up at every acquire and is never reset,
so a token names one ownership: every write a worker makes for an item (an event appended to the durable log, the
item's progress) carries it, and Redis refuses the write when the lease's current token differs (``shared/bus.py``
``publish_many(fence=...)``, ``Assignments.update_progress``). A worker that was paused or cut off past its TTL
therefore cannot write once another took over.

``LeaseKeeper`` holds one worker's leases: it renews them every TTL/3 and, on its own monotonic clock, gives a lease
up at 2/3 TTL after the last renewal it sent that Redis confirmed — before Redis can let another worker take it — and
tells its owner (``on_lost``) so that the work stops first.

An owner is ``<worker id>/<process nonce>``. A process of the same worker (the launcher restarted it after a crash) is
its predecessor's successor and may take a lease its predecessor left behind at once, with a new token; any other
worker waits until the lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis

from shared.bus import TRANSIENT, Fence

__all__ = ["FENCE_KEY", "Lease", "LeaseKeeper", "Leases", "lease_key", "owner_id", "worker_of"]

log = logging.getLogger(__name__)

FENCE_KEY = "timao:lease:fence"

# KEYS[1] lease, KEYS[2] fence hash, KEYS[3] work hash ("" field: no check); ARGV[1] owner, ARGV[2] ttl ms,
# ARGV[3] fence field, ARGV[4] successor prefix ("" for none), ARGV[5] work item id ("" for no check).
# → {1, token} taken (or already ours), {0, current owner} held by another, {-1, ""} the work is no longer assigned.
_ACQUIRE = """
if ARGV[5] ~= '' and redis.call('HEXISTS', KEYS[3], ARGV[5]) == 0 then
    return {-1, ''}
end
local cur = redis.call('HGET', KEYS[1], 'owner')
if cur == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, redis.call('HGET', KEYS[1], 'token')}
end
if cur and (ARGV[4] == '' or string.sub(cur, 1, string.len(ARGV[4])) ~= ARGV[4]) then
    return {0, cur}
end
local token = redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, tostring(token)}
"""

# KEYS[1] lease, KEYS[2] work hash; ARGV[1] owner, ARGV[2] token, ARGV[3] ttl ms, ARGV[4] item id ("" no check).
# → 1 renewed, 0 lost (another owner or expired), -1 renewed but the work was removed (the owner stops it, then
# releases the lease: what the stop writes is still fenced by it).
_RENEW = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then
    return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[4] ~= '' and redis.call('HEXISTS', KEYS[2], ARGV[4]) == 0 then
    return -1
end
return 1
"""

# KEYS[1] lease; ARGV[1] owner, ARGV[2] token. → 1 released, 0 not ours (nothing done).
_RELEASE = """
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'token') == ARGV[2] then
    redis.call('DEL', KEYS[1])
    return 1
end
return 0
"""


def lease_key(scope: str, item_id: str) -> str:
    return f"timao:lease:{scope}:{item_id}"


def owner_id(worker_id: str) -> str:
    """This process's owner name: the worker id and a nonce of this process."""
    return f"{worker_id}/{os.getpid()}-{secrets.token_hex(3)}"


def worker_of(owner: str) -> str:
    """The worker id in an owner name."""
    return owner.rpartition("/")[0] or owner


@dataclass(slots=True)
class Lease:
    """A lease this process holds: its item, fencing token, and when the last confirmed renewal was sent."""

    item_id: str
    key: str
    token: int
    renewed_at: float

    @property
    def fence(self) -> Fence:
        return Fence(self.key, self.token)


class Leases:
    """The Lua operations on the leases of one scope (e.g. ``douyin_fetcher``). Redis errors propagate."""

    def __init__(self, redis: aioredis.Redis, scope: str, *, work_key: str = "") -> None:
        self._redis = redis
        self.scope = scope
        self._work_key = work_key  # the hash of assigned items: a lease is only taken, and kept, while assigned
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def key(self, item_id: str) -> str:
        return lease_key(self.scope, item_id)

    async def acquire(self, item_id: str, owner: str, ttl_s: float, *, successor_of: str = "") -> int | None:
        """The new fencing token, or None when another owner holds the item or it is not assigned (any more).
        ``successor_of`` (a worker id) also takes a lease that a process of that worker holds."""
        work_key = self._work_key or self.key(item_id)
        status, value = await self._acquire(
            keys=[self.key(item_id), FENCE_KEY, work_key],
            args=[owner, int(ttl_s * 1000), f"{self.scope}:{item_id}",
                  f"{successor_of}/" if successor_of else "", item_id if self._work_key else ""],
        )  # fmt: skip
        if int(status) != 1:
            return None
        return int(value)

    async def renew(self, item_id: str, owner: str, token: int, ttl_s: float) -> int:
        """1 renewed, 0 lost, -1 renewed but the item is no longer assigned (stop it, then release)."""
        work_key = self._work_key or self.key(item_id)
        return int(
            await self._renew(
                keys=[self.key(item_id), work_key],
                args=[owner, str(token), int(ttl_s * 1000), item_id if self._work_key else ""],
            )
        )

    async def renew_many(self, leases: list[Lease], owner: str, ttl_s: float) -> list[int]:
        """``renew`` for many leases in one round trip."""
        if not leases:
            return []
        work = self._work_key
        pipe = self._redis.pipeline(transaction=False)
        for lease in leases:
            await self._renew(
                keys=[lease.key, work or lease.key],
                args=[owner, str(lease.token), int(ttl_s * 1000), lease.item_id if work else ""],
                client=pipe,
            )
        return [int(r) for r in await pipe.execute()]

    async def release(self, item_id: str, owner: str, token: int) -> bool:
        return bool(await self._release(keys=[self.key(item_id)], args=[owner, str(token)]))

    async def owner(self, item_id: str) -> tuple[str, int] | None:
        """Who holds the item now (owner name, token), or None."""
        owner, token = await self._redis.hmget(self.key(item_id), ["owner", "token"])
        if owner is None or token is None:
            return None
        return (owner.decode() if isinstance(owner, bytes) else str(owner)), int(token)

    async def owners(self, item_ids: list[str]) -> dict[str, str]:
        """Item id → owner name, for the items that have one."""
        if not item_ids:
            return {}
        pipe = self._redis.pipeline(transaction=False)
        for item_id in item_ids:
            pipe.hget(self.key(item_id), "owner")
        found = await pipe.execute()
        return {i: (o.decode() if isinstance(o, bytes) else str(o)) for i, o in zip(item_ids, found, strict=True) if o}


OnLost = Callable[[str, str], Awaitable[None]]


class LeaseKeeper:
    """The leases one process holds in one scope: acquired one by one, renewed together every TTL/3, given up by
    this process itself at 2/3 TTL after the last confirmed renewal (``on_lost(item_id, reason)`` is awaited first,
    so the work stops before the lease can expire in Redis). ``clock`` is monotonic and injectable."""

    def __init__(
        self,
        leases: Leases,
        owner: str,
        *,
        ttl_s: float,
        on_lost: OnLost,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_s <= 0:
            raise ValueError("lease TTL must be positive")
        self.leases = leases
        self.owner = owner
        self.worker_id = worker_of(owner)
        self.ttl_s = ttl_s
        self.renew_every_s = ttl_s / 3
        self.give_up_after_s = ttl_s * 2 / 3
        self._on_lost = on_lost
        self._clock = clock
        self._held: dict[str, Lease] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.lost = 0  # leases given up or taken away, counted

    # -- what is held -----------------------------------------------------------------------------------

    def held(self, item_id: str) -> Lease | None:
        return self._held.get(item_id)

    def valid(self, item_id: str) -> Lease | None:
        """The lease, when this process may still write under it (not past its own give-up time)."""
        lease = self._held.get(item_id)
        if lease is None or self._clock() - lease.renewed_at >= self.give_up_after_s:
            return None
        return lease

    @property
    def items(self) -> list[str]:
        return list(self._held)

    def __len__(self) -> int:
        return len(self._held)

    # -- acquire and release ----------------------------------------------------------------------------

    async def acquire(self, item_id: str) -> Lease | None:
        sent = self._clock()
        token = await self.leases.acquire(item_id, self.owner, self.ttl_s, successor_of=self.worker_id)
        if token is None:
            return None
        lease = Lease(item_id, self.leases.key(item_id), token, sent)
        self._held[item_id] = lease
        return lease

    async def release(self, item_id: str) -> None:
        """Give the lease back (the work ended here, or this process is going down): another may take it at once."""
        lease = self._held.pop(item_id, None)
        if lease is None:
            return
        try:
            await self.leases.release(item_id, self.owner, lease.token)
        except TRANSIENT as exc:  # it expires by itself
            log.warning("lease %s not released (%s); it expires in %.0f s", lease.key, exc, self.ttl_s)

    async def release_all(self) -> None:
        for item_id in list(self._held):
            await self.release(item_id)

    def forget(self, item_id: str) -> None:
        """Drop a lease from the held set without touching Redis (it is known lost)."""
        self._held.pop(item_id, None)

    # -- renewal ------------------------------------------------------------------------------------------

    async def renew_once(self) -> None:
        """Renew every held lease (one round trip); lose those Redis refuses and those past the give-up time."""
        leases = list(self._held.values())
        sent = self._clock()
        try:
            answers = await asyncio.wait_for(
                self.leases.renew_many(leases, self.owner, self.ttl_s), timeout=self.renew_every_s
            )
        except (*TRANSIENT, TimeoutError) as exc:
            log.warning("lease renewal failed (%s); %d lease(s) wait for the next try", exc, len(leases))
            answers = None
        for i, lease in enumerate(leases):
            if self._held.get(lease.item_id) is not lease:
                continue  # released meanwhile
            if answers is not None and answers[i] == 1:
                lease.renewed_at = sent
                continue
            if answers is not None and answers[i] == 0:
                await self._lose(lease, "lease taken over or expired")
            elif answers is not None and answers[i] == -1:
                lease.renewed_at = sent
                await self._removed(lease)
        await self.check_expiry()

    async def check_expiry(self) -> None:
        """Give up every lease whose last confirmed renewal is 2/3 TTL old (measured on this process's clock)."""
        now = self._clock()
        for lease in list(self._held.values()):
            if now - lease.renewed_at >= self.give_up_after_s and self._held.get(lease.item_id) is lease:
                await self._lose(lease, f"not renewed for {now - lease.renewed_at:.1f} s")

    async def _removed(self, lease: Lease) -> None:
        """The work was removed (stopped elsewhere): it stops here while the lease still fences its last writes,
        then the lease is released."""
        try:
            await self._on_lost(lease.item_id, "work removed")
        except Exception:
            log.exception("stopping %s after its work was removed failed", lease.item_id)
        if self._held.get(lease.item_id) is lease:
            await self.release(lease.item_id)

    async def _lose(self, lease: Lease, reason: str) -> None:
        self._held.pop(lease.item_id, None)
        self.lost += 1
        log.warning("lease %s (token %d) lost: %s; the work stops here", lease.key, lease.token, reason)
        try:
            await self._on_lost(lease.item_id, reason)
        except Exception:
            log.exception("stopping %s after its lease was lost failed", lease.item_id)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.renew_every_s)
            if self._stopping.is_set():
                break
            await self.renew_once()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"leases-{self.leases.scope}")

    async def stop(self) -> None:
        """Stop renewing (the leases stay held until released or expired)."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
