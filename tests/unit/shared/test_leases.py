"""Leases over a real Redis server: one owner at a time, fencing tokens that refuse a stale owner's writes, and a
keeper that gives a lease up on its own clock before Redis can hand it to another (fake clock where it matters)."""

from __future__ import annotations

import asyncio

import orjson
import pytest
import redis.asyncio as aioredis

from shared.assignments import Assignments, work_key
from shared.bus import EVENTS_STREAM, Bus, Fence, FencedOut
from shared.leases import FENCE_KEY, LeaseKeeper, Leases, owner_id, worker_of


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_one_owner_at_a_time_and_each_acquire_raises_the_token(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    leases = Leases(client, "rooms")
    a, b = owner_id("wa"), owner_id("wb")
    assert worker_of(a) == "wa"
    first = await leases.acquire("s1", a, 5)
    assert first is not None
    assert await leases.acquire("s1", b, 5) is None  # held by a
    assert await leases.acquire("s1", a, 5) == first  # a again: its own lease, same token
    assert await leases.owner("s1") == (a, first)
    assert await leases.release("s1", b, first) is False  # not b's
    assert await leases.release("s1", a, first) is True
    second = await leases.acquire("s1", b, 5)
    assert second is not None and second > first
    assert await leases.renew("s1", a, first, 5) == 0  # a's lease is gone
    assert await leases.renew("s1", b, second, 5) == 1
    assert await leases.owners(["s1", "s2"]) == {"s1": b}
    assert int(await client.hget(FENCE_KEY, "rooms:s1")) == second
    await client.aclose()


async def test_an_expired_lease_goes_to_the_next_owner_and_a_successor_takes_it_at_once(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    leases = Leases(client, "rooms")
    old, other, successor = owner_id("wa"), owner_id("wb"), owner_id("wa")
    t1 = await leases.acquire("s1", old, 0.3)
    assert t1 is not None
    assert await leases.acquire("s1", other, 5) is None
    # The same worker restarted (another process of worker wa): it takes over its predecessor's lease at once.
    t2 = await leases.acquire("s1", successor, 5, successor_of="wa")
    assert t2 is not None and t2 > t1
    assert await leases.renew("s1", old, t1, 5) == 0  # the predecessor's token is dead
    await leases.release("s1", successor, t2)
    t3 = await leases.acquire("s2", old, 0.3)
    assert t3 is not None
    await asyncio.sleep(0.45)  # expired in Redis
    assert await leases.acquire("s2", other, 5) is not None
    await client.aclose()


async def test_a_lease_is_taken_and_kept_only_while_the_work_is_assigned(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    work = Assignments(client, "douyin_fetcher")
    leases = Leases(client, "douyin_fetcher", work_key=work_key("douyin_fetcher"))
    me = owner_id("wa")
    assert await leases.acquire("gone", me, 5) is None  # never assigned
    await work.put("s1", {"live_id": "1"})
    token = await leases.acquire("s1", me, 5)
    assert token is not None
    await work.remove("s1")  # the user stopped it
    assert await leases.renew("s1", me, token, 5) == -1  # still held: the owner stops the work, then releases
    assert await leases.owner("s1") == (me, token)
    assert await leases.acquire("s1", owner_id("wb"), 5) is None
    await client.aclose()


async def test_a_stale_owner_can_neither_append_events_nor_record_progress(redis_url: str) -> None:
    """The fencing token is checked inside Redis in the same script as the write."""
    bus = Bus(redis_url, service="douyin_fetcher", worker_id="wa")
    refused: list[str] = []
    bus.on_fenced_out = lambda fence: refused.append(fence.lease_key)
    await bus.start()
    client = bus.redis
    await client.delete(EVENTS_STREAM)
    work = Assignments(client, "douyin_fetcher")
    leases = Leases(client, "douyin_fetcher", work_key=work_key("douyin_fetcher"))
    await work.put("s1", {"live_id": "1"})
    stale, fresh = owner_id("wa"), owner_id("wb")
    old = await leases.acquire("s1", stale, 0.2)
    assert old is not None
    fence = Fence(leases.key("s1"), old)
    await bus.publish_many([b'{"n":1}'], fence=fence)
    assert await work.update_progress("s1", {"cursor": "c1"}, fence=fence)
    await asyncio.sleep(0.3)
    new = await leases.acquire("s1", fresh, 5)  # wa paused past its TTL; wb took over
    assert new is not None and new != old
    with pytest.raises(FencedOut):
        await bus.publish_many([b'{"n":2}', b'{"n":3}'], fence=fence)
    assert not await work.update_progress("s1", {"cursor": "stale"}, fence=fence)
    await bus.publish_many([b'{"n":4}'], fence=Fence(leases.key("s1"), new))
    entries = await client.xrange(EVENTS_STREAM)
    assert [orjson.loads(f[b"e"])["n"] for _id, f in entries] == [1, 4]
    assert {f[b"w"] for _id, f in entries} == {b"wa"}  # the producer is named on each entry
    item = await work.get("s1")
    assert item is not None and item.progress == {"cursor": "c1"}
    assert refused == [leases.key("s1")] and bus.fenced_out == 2
    await bus.close()


async def test_the_keeper_renews_and_gives_a_lease_up_on_its_own_clock_before_the_ttl(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    await client.delete(FENCE_KEY)
    clock = FakeClock()
    lost: list[tuple[str, str]] = []

    async def on_lost(item: str, reason: str) -> None:
        lost.append((item, reason))

    keeper = LeaseKeeper(Leases(client, "rooms"), owner_id("wa"), ttl_s=9, on_lost=on_lost, clock=clock)
    assert keeper.renew_every_s == 3 and keeper.give_up_after_s == 6
    lease = await keeper.acquire("s1")
    assert lease is not None and keeper.valid("s1") is lease
    clock.now += 3
    await keeper.renew_once()
    assert lease.renewed_at == clock.now and lost == []
    ttl_ms = await client.pttl("timao:lease:rooms:s1")
    assert 8000 < ttl_ms <= 9000
    # Redis does not answer (a partition): nothing is confirmed; at 2/3 TTL the keeper gives up by itself.
    await client.aclose()
    broken = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    keeper.leases = Leases(broken, "rooms")
    clock.now += 3
    await keeper.renew_once()
    assert lost == [] and keeper.valid("s1") is lease  # 3 s since the last confirmed renewal: still ours
    clock.now += 3
    await keeper.renew_once()
    assert keeper.valid("s1") is None and keeper.held("s1") is None
    assert lost == [("s1", "not renewed for 6.0 s")] and keeper.lost == 1
    await broken.aclose()


async def test_the_keeper_hears_of_a_lease_taken_over_and_of_work_removed(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    work = Assignments(client, "douyin_fetcher")
    leases = Leases(client, "douyin_fetcher", work_key=work_key("douyin_fetcher"))
    lost: list[tuple[str, str]] = []

    async def on_lost(item: str, reason: str) -> None:
        # A removed item is still held while it stops (its last writes are fenced by it); a taken one is not.
        lost.append((item, reason))
        assert (keeper.held(item) is not None) == (reason == "work removed")

    keeper = LeaseKeeper(leases, owner_id("wa"), ttl_s=0.3, on_lost=on_lost)
    await work.put("taken", {})
    await work.put("stopped", {})
    assert await keeper.acquire("taken") is not None and await keeper.acquire("stopped") is not None
    await client.delete(leases.key("taken"))
    assert await leases.acquire("taken", owner_id("wb"), 5) is not None
    await work.remove("stopped")
    await keeper.renew_once()
    assert sorted(lost) == [("stopped", "work removed"), ("taken", "lease taken over or expired")]
    assert len(keeper) == 0 and await leases.owner("stopped") is None  # released after it stopped
    # The loop: a held lease stays held while it is renewed every TTL/3.
    await work.put("kept", {})
    assert await keeper.acquire("kept") is not None
    keeper.start()
    await asyncio.sleep(0.8)  # more than two TTLs
    assert keeper.held("kept") is not None and await leases.owner("kept") is not None
    await keeper.stop()
    await keeper.release_all()
    assert await leases.owner("kept") is None
    await client.aclose()
