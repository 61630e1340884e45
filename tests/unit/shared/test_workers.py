"""The worker registry over a real Redis: live workers merged from their services' records, stale ones left out,
and the placement rule."""

from __future__ import annotations

import time

import pytest
import redis.asyncio as aioredis

from shared.workers import NoSuchWorker, list_workers, pick_worker, register, unregister


async def test_live_workers_are_listed_with_their_work_and_stale_ones_are_not(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    now = time.time()
    await register(client, "w1", "douyin_fetcher", capacity=10, work=["s2", "s1"], pid=11, host="h1", now=now)
    await register(client, "w1", "ast", capacity=0, work=["job"], pid=12, host="h1", now=now - 1)
    await register(client, "w2", "douyin_fetcher", capacity=5, work=[], pid=21, host="h2", now=now - 60)  # gone
    await register(client, "w3", "ast", capacity=0, work=[], pid=31, host="h3", now=now)
    workers = await list_workers(client, now=now)
    assert [w["worker_id"] for w in workers] == ["w1", "w3"]
    w1 = workers[0]
    assert (w1["host"], w1["rooms"], w1["jobs"], w1["capacity"]) == ("h1", ["s1", "s2"], ["job"], 10)
    assert w1["recordings"] == []
    assert w1["services"] == ["ast", "douyin_fetcher"] and w1["heartbeat_at"].startswith("20")
    assert [w["worker_id"] for w in await list_workers(client, service="douyin_fetcher", now=now)] == ["w1"]
    await unregister(client, "w3", "ast")
    assert [w["worker_id"] for w in await list_workers(client, now=now)] == ["w1"]
    await client.aclose()


def test_a_new_room_goes_to_the_named_worker_or_the_one_with_the_most_free_capacity() -> None:
    def w(worker_id: str, capacity: int, rooms: int) -> dict[str, object]:
        return {"worker_id": worker_id, "capacity": capacity, "rooms": [f"r{i}" for i in range(rooms)]}

    workers = [w("a", 10, 8), w("b", 10, 3), w("c", 5, 1)]
    assert pick_worker(workers) == "b"  # 7 free
    assert pick_worker(workers, "c") == "c"
    with pytest.raises(NoSuchWorker):
        pick_worker(workers, "nope")
    with pytest.raises(NoSuchWorker):
        pick_worker([])
