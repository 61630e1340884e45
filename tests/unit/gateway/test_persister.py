"""The persister over real Redis and a real database: exactly once, across crashes, bad entries set aside."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.gateway.persister import DEAD_LETTER_STREAM, GROUP, Persister
from shared.bus import EVENTS_STREAM, Bus
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.models import CommentData
from shared.db.store import EventStore
from shared.events import LiveEvent


def chat(i: int) -> LiveEvent:
    return LiveEvent.build("chat", "s1", {"content": f"第{i}条"}, msg_id=str(i), ts=1000 + i)


def count_comments(engine: object) -> int:
    with Session(engine) as s:  # type: ignore[call-overload]
        return int(s.scalar(select(func.count()).select_from(CommentData)))


async def run_until(persister: Persister, done: asyncio.Future[None] | None = None, *, expect_seen: int) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(persister.run(stop))
    for _ in range(200):
        if persister.seen >= expect_seen:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await task


async def test_every_event_is_stored_once_even_when_replayed(redis_url: str, database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    bus = Bus(redis_url, service="t")
    await bus.start()
    for i in range(1000):
        await bus.publish(chat(i))
    for i in range(100):  # a producer's retry re-published some
        await bus.publish(chat(i))
    persister = Persister(bus, EventStore(engine), batch_size=300)
    await run_until(persister, expect_seen=1100)
    assert count_comments(engine) == 1000
    assert persister.stored == 1000
    await bus.close()
    engine.dispose()


async def test_a_crash_before_ack_loses_nothing_and_doubles_nothing(redis_url: str, sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade_to_head(engine)
    bus = Bus(redis_url, service="t")
    await bus.start()
    for i in range(500):
        await bus.publish(chat(i))
    # A persister that read and wrote a batch but died before acknowledging it:
    await bus.ensure_group(GROUP)
    entries = await bus.read_group(GROUP, "gateway", count=200, block_ms=100)
    EventStore(engine).write([LiveEvent.from_json(e.payload).to_dict() for e in entries])
    assert count_comments(engine) == 200
    restarted = Persister(bus, EventStore(engine))
    await run_until(restarted, expect_seen=500)
    assert count_comments(engine) == 500
    assert await bus.redis.xpending(EVENTS_STREAM, GROUP) == {"pending": 0, "min": None, "max": None, "consumers": []}
    await bus.close()
    engine.dispose()


async def test_entries_that_are_not_events_go_to_dead_letters(redis_url: str, sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade_to_head(engine)
    bus = Bus(redis_url, service="t")
    await bus.start()
    await bus.publish(b"{not json")
    await bus.publish(b'{"type":"chat","session_id":"s1"}')
    await bus.publish(chat(1))
    persister = Persister(bus, EventStore(engine))
    await run_until(persister, expect_seen=1)
    for _ in range(50):
        if persister.dead == 2:
            break
        await asyncio.sleep(0.02)
    assert persister.dead == 2
    assert count_comments(engine) == 1
    assert await bus.redis.xlen(DEAD_LETTER_STREAM) == 2
    await bus.close()
    engine.dispose()
