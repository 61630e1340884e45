"""Which work items a worker's service runs: a lease per item (``shared/leases.py``), adoption of unowned items,
and this worker's record in the registry (``shared/workers.py``). docs/contracts.md, "Workers on several machines".

One way for every kind of work spread over workers (the fetcher's rooms today; recordings and transcription jobs
use the same class). Every assigned item (``shared/assignments.py``) is run by the worker that holds its lease.
Every ``ADOPT_EVERY_S`` each service lists the assigned items and takes those nobody holds (their worker stopped,
died or was cut off, and the lease expired), up to its capacity and, while other workers are live, up to its fair
share of all items, so a dead worker's work spreads over the others. An item placed on a given worker (``worker_id``
in its spec) waits ``GRACE_S`` for that worker before another takes it, and that worker takes it beyond its fair
share (a room moved there by hand). A lease this process's own worker left (the launcher restarted the service after
a crash) is taken at once. The adopted item resumes from its recorded progress (a room's cursor, a recording's
segment).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

from shared.assignments import Assignments, WorkItem, work_key
from shared.bus import TRANSIENT, Fence
from shared.leases import LeaseKeeper, Leases, OnLost, owner_id, worker_of
from shared.workers import list_workers, register, unregister

__all__ = ["ADOPT_CONCURRENCY", "ADOPT_EVERY_S", "GRACE_S", "WorkOwnership"]

log = logging.getLogger(__name__)

ADOPT_EVERY_S = 2.0
REGISTER_EVERY_S = 1.0
ADOPT_CONCURRENCY = 16  # adopted items starting at once (each is a few round trips to Redis and a task)
GRACE_S = 5.0  # an unowned item placed on a live worker waits this long for it; past it, fair share is lifted too

Adopt = Callable[[WorkItem], Awaitable[bool]]


class WorkOwnership:
    def __init__(
        self,
        redis: aioredis.Redis,
        work: Assignments,
        *,
        worker_id: str,
        capacity: int,
        ttl_s: float,
        adopt: Adopt,
        on_lost: OnLost,
        clock: Callable[[], float] = time.monotonic,
        noun: str = "item",
    ) -> None:
        self._redis = redis
        self._work = work
        self.worker_id = worker_id
        self.capacity = capacity
        self._adopt = adopt
        self._clock = clock
        leases = Leases(redis, work.service, work_key=work_key(work.service))
        self.keeper = LeaseKeeper(leases, owner_id(worker_id), ttl_s=ttl_s, on_lost=on_lost, clock=clock)
        self._unowned_since: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self.adopted = 0
        self._noun = noun  # for the logs: "room", "recording", "job"

    # -- one item -------------------------------------------------------------------------------------

    def fence(self, item_id: str) -> Fence | None:
        lease = self.keeper.held(item_id)
        return lease.fence if lease is not None else None

    @property
    def full(self) -> bool:
        return len(self.keeper) >= self.capacity

    async def claim(self, item_id: str) -> bool:
        """Take the lease of an item just assigned here (a room's ``start_room``)."""
        return await self.keeper.acquire(item_id) is not None

    async def release(self, item_id: str) -> None:
        await self.keeper.release(item_id)

    # -- adoption -------------------------------------------------------------------------------------

    async def adopt_pass(self) -> int:
        """Take the unowned items this worker should run, and resume each. Answers how many were adopted."""
        items = await self._work.list()
        held = set(self.keeper.items)
        candidates = [i for i in items if i.id not in held]
        owners = await self.keeper.leases.owners([i.id for i in candidates])
        now = self._clock()
        assigned = {i.id for i in items}
        for gone in set(self._unowned_since) - assigned:
            del self._unowned_since[gone]
        mine, free = [], []
        for item in candidates:
            owner = owners.get(item.id)
            if owner is None:
                free.append(item)
                self._unowned_since.setdefault(item.id, now)
            elif worker_of(owner) == self.worker_id and owner != self.keeper.owner:
                mine.append(item)  # left by this worker's previous process
            else:
                self._unowned_since.pop(item.id, None)
        if not mine and not free:
            return 0
        live = {w["worker_id"] for w in await list_workers(self._redis, service=self._work.service)}
        live.add(self.worker_id)
        share = math.ceil(len(items) / len(live))
        # Items placed here first, then the oldest assignments. Leases are taken one by one (capacity and fair share
        # count them), then the items start side by side: a worker taking over hundreds of rooms from a dead one
        # resumed them one after another, and the last waited tens of seconds.
        free.sort(key=lambda i: (i.spec.get("worker_id") != self.worker_id, i.assigned_at_ms, i.id))
        mine_ids = {i.id for i in mine}
        taken: list[WorkItem] = []
        for item in [*mine, *free]:
            if self.full:
                break
            waited = now - self._unowned_since.get(item.id, now)
            placed = item.spec.get("worker_id")
            if item.id not in mine_ids:
                if placed and placed != self.worker_id and placed in live and waited < GRACE_S:
                    continue  # its own worker is live: let it take it back
                if placed != self.worker_id and len(self.keeper) >= share and waited < GRACE_S:
                    continue  # fair share first (not for items placed here); past the grace anyone with room takes it
            if await self.keeper.acquire(item.id) is None:
                continue  # another worker was faster
            self._unowned_since.pop(item.id, None)
            taken.append(item)
        gate = asyncio.Semaphore(ADOPT_CONCURRENCY)

        async def start(item: WorkItem) -> bool:
            async with gate:
                try:
                    started = await self._adopt(item)
                except Exception:
                    log.exception("%s %s: adoption failed", self._noun, item.id)
                    started = False
            if not started:
                await self.keeper.release(item.id)
            return started

        adopted = sum(await asyncio.gather(*(start(item) for item in taken)))
        if adopted:
            self.adopted += adopted
            log.info("adopted %d %s(s); this worker runs %d", adopted, self._noun, len(self.keeper))
        return adopted

    # -- the loop -------------------------------------------------------------------------------------

    async def register(self) -> None:
        await register(
            self._redis, self.worker_id, self._work.service, capacity=self.capacity, work=self.keeper.items,
            pid=os.getpid(),
        )  # fmt: skip

    async def _run(self) -> None:
        next_adopt = 0.0
        while not self._stop.is_set():
            try:
                await self.register()
                if self._clock() >= next_adopt:
                    next_adopt = self._clock() + ADOPT_EVERY_S
                    await self.adopt_pass()
            except TRANSIENT as exc:
                log.warning("cannot reach the shared store (%s); retrying", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), REGISTER_EVERY_S)

    def start(self) -> None:
        self.keeper.start()
        self._task = asyncio.create_task(self._run(), name=f"{self._work.service}-ownership")

    async def stop_adopting(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def close(self) -> None:
        """After the work was suspended: give every lease back (another worker may take them at once) and leave
        the registry."""
        await self.stop_adopting()
        await self.keeper.stop()
        await self.keeper.release_all()
        with contextlib.suppress(*TRANSIENT):
            await unregister(self._redis, self.worker_id, self._work.service)
