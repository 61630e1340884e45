"""Durable work assignments over a real Redis server: assign, record progress, list for adoption, remove."""

from __future__ import annotations

import redis.asyncio as aioredis

from shared.assignments import Assignments, WorkItem, work_key


async def test_assigned_items_are_listed_with_their_progress_oldest_first(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    work = Assignments(client, "fetcher")
    await work.put("s1", {"live_id": "1", "config": {"retry_base": 0.1}})
    await work.put("s2", {"live_id": "2"})
    assert await work.update_progress("s1", {"cursor": "r-7", "internal_ext": "x"})

    items = await work.list()
    assert [i.id for i in items] == ["s1", "s2"]
    assert items[0].spec == {"live_id": "1", "config": {"retry_base": 0.1}}
    assert items[0].progress == {"cursor": "r-7", "internal_ext": "x"}
    assert items[1].progress == {}
    assert items[0].assigned_at_ms > 0
    assert await work.get("s2") == items[1]
    await client.aclose()


async def test_progress_replaces_the_last_record_and_a_new_spec_keeps_it(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    work = Assignments(client, "fetcher")
    await work.put("s1", {"live_id": "1"})
    await work.update_progress("s1", {"cursor": "r-1", "extra": True})
    await work.update_progress("s1", {"cursor": "r-2"})
    await work.put("s1", {"live_id": "1", "config": {}})
    item = await work.get("s1")
    assert item is not None and item.progress == {"cursor": "r-2"} and item.spec["config"] == {}
    await client.aclose()


async def test_removed_items_are_gone_and_late_progress_cannot_revive_them(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    work = Assignments(client, "ast")
    await work.put("job", {"source": "session"})
    await work.update_progress("job", {"position_ms": 1000})
    assert await work.remove("job") is True
    assert await work.remove("job") is False
    # A progress note that was in flight when the work ended must not leave anything behind.
    assert await work.update_progress("job", {"position_ms": 2000}) is False
    assert await work.list() == []
    assert await work.get("job") is None
    assert await client.hlen(work_key("ast") + ":progress") == 0
    await client.aclose()


async def test_each_service_sees_only_its_own_work(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    fetcher, recorder = Assignments(client, "douyin_fetcher"), Assignments(client, "streamcap")
    await fetcher.put("a", {"n": 1})
    await recorder.put("b", {"n": 2})
    assert [i.id for i in await fetcher.list()] == ["a"]
    assert [i.id for i in await recorder.list()] == ["b"]
    await client.aclose()


async def test_an_unreadable_record_is_skipped_not_fatal(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    work = Assignments(client, "fetcher")
    await work.put("good", {"live_id": "1"})
    await client.hset(work_key("fetcher"), "broken", b"{not json")
    await client.hset(work_key("fetcher"), "wrong", b'{"spec": [1, 2]}')
    assert [i.id for i in await work.list()] == ["good"]
    assert isinstance((await work.list())[0], WorkItem)
    await client.aclose()


async def test_the_assignments_survive_a_new_connection(redis_url: str) -> None:
    """What a worker wrote is what the next worker process reads: nothing lives in the client."""
    first = aioredis.from_url(redis_url)
    await Assignments(first, "fetcher").put("s1", {"live_id": "1"})
    await Assignments(first, "fetcher").update_progress("s1", {"cursor": "c"})
    await first.aclose()
    second = aioredis.from_url(redis_url)
    items = await Assignments(second, "fetcher").list()
    assert [(i.id, i.progress) for i in items] == [("s1", {"cursor": "c"})]
    await second.aclose()


async def test_a_unique_key_is_assigned_once_and_freed_with_its_item(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    work = Assignments(client, "fetcher")
    assert await work.put("s1", {"live_id": "7"}, unique="7") == "s1"
    assert await work.put("s2", {"live_id": "7"}, unique="7") == "s1"  # held: nothing written
    assert [i.id for i in await work.list()] == ["s1"] and await work.holder("7") == "s1"
    assert await work.put("s1", {"live_id": "7", "config": {}}, unique="7") == "s1"  # its own item may re-put
    assert await work.remove("s1")
    assert await work.holder("7") is None
    assert await work.put("s2", {"live_id": "7"}, unique="7") == "s2"
    # An item re-put under another key lets its old key go.
    assert await work.put("s2", {"live_id": "8"}, unique="8") == "s2"
    assert await work.holder("7") is None and await work.holder("8") == "s2"
    # An index entry whose item is gone (written by hand, or by a version without the script) does not block.
    await client.hset("timao:work:fetcher:unique", "9", "ghost")
    assert await work.put("s3", {"live_id": "9"}, unique="9") == "s3"
    await client.aclose()


async def test_a_spec_change_keeps_the_record_progress_and_key(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    work = Assignments(client, "fetcher")
    await work.put("s1", {"live_id": "7", "config": {"retry_base": 0.1}, "worker_id": "w1"}, unique="7")
    await work.update_progress("s1", {"cursor": "r-3"})
    before = await work.get("s1")
    assert before is not None
    assert await work.update_spec("s1", {"worker_id": "w2"})
    moved = await work.get("s1")
    assert moved is not None and moved.spec == {"live_id": "7", "config": {"retry_base": 0.1}, "worker_id": "w2"}
    assert (moved.progress, moved.assigned_at_ms, moved.unique) == (before.progress, before.assigned_at_ms, "7")
    assert await work.update_spec("s1", {"worker_id": None})
    item = await work.get("s1")
    assert item is not None and "worker_id" not in item.spec
    assert not await work.update_spec("nope", {"worker_id": "w2"})
    assert await work.get("nope") is None
    await client.aclose()
