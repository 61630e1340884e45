"""The persister over real Redis and a real database: exactly once, across crashes, bad entries set aside."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.gateway.persister import DEAD_LETTER_STREAM, GROUP, Persister, parse_entry
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


async def _drain(persister: Persister, bus: Bus, *, timeout: float = 15.0) -> None:
    """Run the persister until nothing of the log is pending or unread, then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(persister.run(stop))
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        groups = await bus.redis.xinfo_groups(EVENTS_STREAM)
        if groups and groups[0]["pending"] == 0 and groups[0]["lag"] == 0:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await task


def _comments(engine: object) -> dict[str, tuple[str, str]]:
    with Session(engine) as s:  # type: ignore[call-overload]
        return {row.msg_id: (row.user_name, row.content) for row in s.scalars(select(CommentData))}


async def test_poison_events_among_good_ones_lose_nothing_and_stick_nowhere(redis_url: str, database_url: str) -> None:
    """A NUL in a comment and an over-long user id (which PostgreSQL refuses as they are) are stored cleaned; entries
    the database cannot take at all go to the dead-letter stream with their error; every good event is stored; and
    a restarted persister finds nothing pending."""
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    bus = Bus(redis_url, service="t")
    await bus.start()
    for i in range(0, 50):
        await bus.publish(chat(i))
    await bus.publish(LiveEvent.build("chat", "s1", {"content": "坏\x00弹幕"}, msg_id="nul", ts=1,
                                      user={"id": "1", "nickname": "昵\x00称"}))  # fmt: skip
    await bus.publish(LiveEvent.build("chat", "s1", {"content": "长 id"}, msg_id="long", ts=2, user={"id": "9" * 300}))
    await bus.publish(LiveEvent.build("chat", "s1", {"content": "x"}, msg_id="m" * 200, ts=3))
    # Shaped like an event, but its values fit no column:
    await bus.publish(b'{"type":"transcript","session_id":"s1","msg_id":"bad-ms","ts":1,"data":{"start_ms":"soon"}}')
    await bus.publish(b'{"type":"chat","session_id":"s1","msg_id":"u","ts":1,"user":"not an object","data":{}}')
    for i in range(50, 100):
        await bus.publish(chat(i))
    persister = Persister(bus, EventStore(engine), batch_size=500)
    await _drain(persister, bus)

    stored = _comments(engine)
    assert {str(i) for i in range(100)} <= stored.keys()
    assert stored["nul"] == ("昵称", "坏弹幕") and "long" in stored
    long_ids = [k for k in stored if k.startswith("mmm")]
    assert len(long_ids) == 1 and len(long_ids[0]) == 64
    assert len(stored) == 103
    dead = await bus.redis.xrange(DEAD_LETTER_STREAM)
    reasons = {fields[b"e"]: fields[b"error"].decode() for _id, fields in dead}
    assert len(dead) == 2 and persister.dead == 2
    assert any("user is not an object" in r for r in reasons.values())
    assert any(b"bad-ms" in payload and "ValueError" in reason for payload, reason in reasons.items())
    assert persister.stats()["state"] == "running"

    restarted = Persister(bus, EventStore(engine))
    await _drain(restarted, bus)
    assert restarted.stored == 0 and restarted.dead == 0 and len(_comments(engine)) == 103
    assert (await bus.redis.xinfo_groups(EVENTS_STREAM))[0]["pending"] == 0
    await bus.close()
    engine.dispose()


async def test_a_failing_hook_buries_only_the_event_it_fails_on(redis_url: str, sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade_to_head(engine)
    bus = Bus(redis_url, service="t")
    await bus.start()
    for i in range(20):
        await bus.publish(chat(i))

    def hook(_conn: object, events: list[dict[str, object]]) -> None:
        if any(ev["msg_id"] == "7" for ev in events):
            raise KeyError("analytics tripped over event 7")

    persister = Persister(bus, EventStore(engine, on_new=hook))
    await _drain(persister, bus)
    assert set(_comments(engine)) == {str(i) for i in range(20)} - {"7"}
    (_id, fields), *_ = await bus.redis.xrange(DEAD_LETTER_STREAM)
    assert b'"msg_id":"7"' in fields[b"e"] and "analytics tripped" in fields[b"error"].decode()
    await bus.close()
    engine.dispose()


async def test_the_persister_restarts_itself_after_a_crash(
    redis_url: str, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(sqlite_url)
    upgrade_to_head(engine)
    bus = Bus(redis_url, service="t")
    await bus.start()
    for i in range(10):
        await bus.publish(chat(i))
    real_ack = bus.ack
    calls = 0

    async def ack_that_fails_once(group: str, ids: list[str]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug in the loop")
        await real_ack(group, ids)

    monkeypatch.setattr(bus, "ack", ack_that_fails_once)
    persister = Persister(bus, EventStore(engine), retry=lambda attempt, total: 0.05)
    await _drain(persister, bus)
    assert persister.restarts == 1 and "a bug in the loop" in (persister.last_error or "")
    assert persister.stats()["state"] == "running" and len(_comments(engine)) == 10
    await bus.close()
    engine.dispose()


async def test_a_database_outage_buries_nothing(redis_url: str, tmp_path: Path) -> None:
    """No table to write to (as good as a database that is away): events wait in the log, none is dead-lettered."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    bus = Bus(redis_url, service="t")
    await bus.start()
    for i in range(5):
        await bus.publish(chat(i))
    persister = Persister(bus, EventStore(engine), retry=lambda attempt, total: 0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(persister.run(stop))
    await asyncio.sleep(1.0)
    assert persister.stats()["state"] == "waiting" and persister.dead == 0
    upgrade_to_head(engine)  # the database is back
    for _ in range(100):
        if len(_comments(engine)) == 5:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await task
    assert len(_comments(engine)) == 5 and await bus.redis.xlen(DEAD_LETTER_STREAM) == 0
    await bus.close()
    engine.dispose()


async def test_stored_entries_are_trimmed_from_the_log_and_nothing_unstored_is(redis_url: str, sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade_to_head(engine)
    bus = Bus(redis_url, service="t")
    await bus.start()
    for i in range(1000):
        await bus.publish(chat(i))
    persister = Persister(bus, EventStore(engine), batch_size=300, trim_interval_s=0)
    await run_until(persister, expect_seen=1000)
    assert count_comments(engine) == 1000
    # Stored and acknowledged: gone from Redis but for a partial internal node (trimming is approximate).
    assert await bus.redis.xlen(EVENTS_STREAM) < 200 and persister.trimmed > 800

    # What a consumer holds pending (read, not acknowledged) and what nobody has read yet both stay.
    for i in range(1000, 1300):
        await bus.publish(chat(i))
    held = await bus.read_group(GROUP, "crashed", count=100, block_ms=100)
    for i in range(1300, 1500):
        await bus.publish(chat(i))
    await bus.trim_acknowledged()
    left = {e.entry_id for e in await bus.read_group(GROUP, "crashed", pending=True)}
    assert left == {e.entry_id for e in held}
    ids = [eid for eid, _ in await bus.redis.xrange(EVENTS_STREAM)]
    kept = {eid.decode() for eid in ids}
    assert {e.entry_id for e in held} <= kept and len(ids) >= 500
    await bus.close()
    engine.dispose()


async def test_a_large_acknowledged_backlog_is_trimmed_in_one_go(redis_url: str) -> None:
    # Redis stops an approximate XTRIM after 10,000 entries unless told otherwise: at 1,000 events/s and a trim every
    # 10 s, what an outage left behind would then never be caught up (the soak saw the log creep up at each fault).
    bus = Bus(redis_url, service="t")
    await bus.start()
    await bus.ensure_group(GROUP)
    pipe = bus.redis.pipeline(transaction=False)
    for i in range(30_000):
        pipe.xadd(EVENTS_STREAM, {"e": chat(i).to_json()})
    await pipe.execute()
    while entries := await bus.read_group(GROUP, "gateway", count=5000, block_ms=10):
        await bus.ack(GROUP, [e.entry_id for e in entries])
    assert await bus.trim_acknowledged() > 29_000
    assert await bus.redis.xlen(EVENTS_STREAM) < 200
    await bus.close()


def test_stats_events_never_go_to_the_database() -> None:
    # ``stats`` is a /ws-only event (the gateway's show totals): on the durable log it is refused as not storable.
    raw = LiveEvent.build("stats", "s1", {"totals": {"comments": 1}}).to_json()
    with pytest.raises(Exception, match="no known type"):
        parse_entry(raw)


async def test_storage_goes_on_while_the_shared_thread_pool_is_busy(redis_url: str, sqlite_url: str) -> None:
    """Hundreds of lives ending at once queue their reports in the default thread pool; the persister writes in a
    thread of its own, so a read batch is not left unstored and unacknowledged behind them."""
    engine = make_engine(sqlite_url)
    upgrade_to_head(engine)
    bus = Bus(redis_url, service="t")
    await bus.start()
    for i in range(50):
        await bus.publish(chat(i))
    loop = asyncio.get_running_loop()
    release = threading.Event()
    clog = [loop.run_in_executor(None, release.wait, 30) for _ in range(64)]  # every default thread, and a queue
    persister = Persister(bus, EventStore(engine))
    try:
        await run_until(persister, expect_seen=50)  # gives up after ~4 s
        assert count_comments(engine) == 50
    finally:
        release.set()
        await asyncio.gather(*clog)
    await bus.close()
    engine.dispose()
