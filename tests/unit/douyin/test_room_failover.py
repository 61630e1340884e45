"""Rooms on several workers (docs/contracts.md, Workers on several machines): two fetchers over one real Redis and
the fake Douyin server in this process. A room runs on exactly one worker; when its owner stops renewing (a pause, a
partition) the other adopts it from its last cursor, and the old owner's writes are refused (fencing)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from services.douyin_fetcher.app import FetcherApp
from services.douyin_fetcher.fake_server import FakeDouyinServer, load_scenario
from shared import ownership
from shared.assignments import Assignments
from shared.bus import EVENTS_STREAM, Bus
from shared.commands.douyin import StartRoom
from shared.config import Settings
from shared.workers import list_workers, pick_worker, register
from tests.unit.douyin.test_room_adoption import FAST_CONFIG, script, until

TTL_S = 1.2


@pytest.fixture(autouse=True)
def quick_adoption(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ownership, "ADOPT_EVERY_S", 0.2)
    monkeypatch.setattr(ownership, "REGISTER_EVERY_S", 0.2)
    monkeypatch.setattr(ownership, "GRACE_S", 1.0)


async def worker(fake: FakeDouyinServer, redis_url: str, home: Path, worker_id: str) -> tuple[FetcherApp, Bus]:
    settings = Settings(home=home, redis_url=redis_url, douyin_signer="none", worker_id=worker_id,
                        worker_lease_ttl_s=TTL_S, **fake.urls)  # fmt: skip
    bus = Bus(redis_url, service="douyin_fetcher", worker_id=worker_id)
    await bus.start()
    app = FetcherApp(settings)
    await app.start(bus)
    return app, bus


async def entries(bus: Bus, session_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(producer, event) of the session, in log order."""
    out = []
    for _id, fields in await bus.redis.xrange(EVENTS_STREAM):
        event = orjson.loads(fields[b"e"])
        if event["session_id"] == session_id:
            out.append((fields.get(b"w", b"").decode(), event))
    return out


async def test_a_room_moves_when_its_owner_stops_renewing_and_the_old_owner_writes_nothing_more(
    fake: FakeDouyinServer, redis_url: str, tmp_path: Path
) -> None:
    steps, truth = script("400000000010", 260, pause=0.03)
    fake.load_scenario(load_scenario(steps))
    a, bus_a = await worker(fake, redis_url, tmp_path / "a", "wa")
    b, bus_b = await worker(fake, redis_url, tmp_path / "b", "wb")
    try:
        answer = await a.commands()["start_room"](
            StartRoom(live_id="400000000010", session_id="moved", config=FAST_CONFIG).model_dump()
        )
        assert answer["session_id"] == "moved" and answer["worker_id"] == "wa"
        await until(lambda: len(a.rooms.status()) == 1, 5, "the room on wa")
        await asyncio.sleep(3 * TTL_S)  # renewed all along: wb never takes it
        assert b.rooms.status() == [] and b.adopted == 0
        workers = {w["worker_id"]: w for w in await list_workers(bus_a.redis)}
        assert workers["wa"]["rooms"] == ["moved"] and workers["wb"]["rooms"] == []
        assert pick_worker(list(workers.values())) == "wb"  # the most free capacity

        # wa stops renewing (frozen, cut off); its room client keeps reading and tries to write.
        await a._own.stop_adopting()  # type: ignore[union-attr]
        await a._own.keeper.stop()  # type: ignore[union-attr]
        await until(lambda: b.adopted == 1, 4 * TTL_S + 2, "the adoption by wb")
        await until(lambda: a.rooms.client_count == 0, 5, "wa dropping the room at its first refused write")
        await until(lambda: [r["state"] for r in b.rooms.status()] == ["ended"], 30, "the live end on wb")
        events = await entries(bus_b, "moved")
        chats = [e["msg_id"] for _w, e in events if e["type"] == "chat"]
        assert set(chats) == truth  # the gap was replayed from wb's cursor; the persister stores each once
        first_b = next(i for i, (w, _e) in enumerate(events) if w == "wb")
        assert all(w == "wb" for w, _e in events[first_b:]), "wa wrote after wb took the room over"
        assert bus_a.fenced_out >= 1
        states = [e["data"]["state"] for w, e in events if e["type"] == "service" and w == "wa"]
        assert "suspended" not in states and "stopped" not in states  # dropped without a word
        await until(lambda: not b._own.keeper.items, 5, "the ended room's lease released")  # type: ignore[union-attr]
        assert await Assignments(bus_b.redis, "douyin_fetcher").list() == []
    finally:
        await a.stop()
        await b.stop()
        await bus_a.close()
        await bus_b.close()


async def test_rooms_placed_on_a_worker_come_back_to_it_and_unowned_rooms_are_shared(
    fake: FakeDouyinServer, redis_url: str, tmp_path: Path
) -> None:
    rooms = [f"40000000002{i}" for i in range(4)]
    for web_rid in rooms:
        steps, _ = script(web_rid, 400, pause=0.05, end=False)
        fake.load_scenario(load_scenario(steps))
    bus = Bus(redis_url, service="douyin_fetcher")
    await bus.start()
    work = Assignments(bus.redis, "douyin_fetcher")
    # Assigned while no worker ran (as after a whole cluster restart): one placed on wb by hand.
    for i, web_rid in enumerate(rooms):
        spec: dict[str, Any] = {"live_id": web_rid, "config": FAST_CONFIG}
        if i == 3:
            spec["worker_id"] = "wb"
        await work.put(f"s{i}", spec)
    # wb is live (registered) when wa looks first: wa takes its fair share and leaves the room placed on wb.
    await register(bus.redis, "wb", "douyin_fetcher", capacity=500, work=[], pid=0)
    a, bus_a = await worker(fake, redis_url, tmp_path / "a", "wa")
    b: FetcherApp | None = None
    try:
        await until(lambda: a.adopted == 2, 10, "wa's share")
        b, bus_b = await worker(fake, redis_url, tmp_path / "b", "wb")
        await until(lambda: a.adopted + b.adopted == 4, 10, "every room adopted")
        on_a = {r["session_id"] for r in a.rooms.status()}
        on_b = {r["session_id"] for r in b.rooms.status()}
        assert on_a | on_b == {"s0", "s1", "s2", "s3"} and not on_a & on_b
        assert "s3" in on_b
        assert len(on_a) == 2 and len(on_b) == 2  # the fair share of two workers
        status = (await b.commands()["rooms"]({}))["sessions"]
        assert {s["worker_id"] for s in status} == {"wb"}
    finally:
        await a.stop()
        await bus_a.close()
        if b is not None:
            await b.stop()
            await bus_b.close()
        await bus.close()
