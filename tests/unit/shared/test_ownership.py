"""Adoption over a real Redis server: a worker taking over many items from a dead one starts them side by side, up
to ADOPT_CONCURRENCY at once, and never past its capacity; an item that does not start gives its lease back."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from shared.assignments import Assignments, WorkItem
from shared.ownership import ADOPT_CONCURRENCY, WorkOwnership


async def _never_lost(item_id: str, reason: str) -> None:
    raise AssertionError(f"lease of {item_id} lost: {reason}")


async def test_many_unowned_items_start_side_by_side_within_capacity(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    work = Assignments(client, "douyin_fetcher")
    for n in range(60):
        await work.put(f"s{n:02d}", {"live_id": str(n)})
    running = peak = 0
    started: list[str] = []

    async def adopt(item: WorkItem) -> bool:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)  # a resume's round trips
        running -= 1
        started.append(item.id)
        return item.id != "s03"  # this one cannot run: its lease goes back

    own = WorkOwnership(
        client, work, worker_id="w1", capacity=50, ttl_s=30.0, adopt=adopt, on_lost=_never_lost, noun="room"
    )
    assert await own.adopt_pass() == 49
    assert peak == ADOPT_CONCURRENCY  # side by side, bounded
    assert sorted(started) == [f"s{n:02d}" for n in range(50)]  # the oldest first, up to the capacity
    assert "s03" not in own.keeper.items and len(own.keeper) == 49
    await own.keeper.release_all()
    await client.aclose()
