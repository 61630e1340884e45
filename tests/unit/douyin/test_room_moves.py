"""A room moved by hand to another worker, and one live id watched once across workers, as
docs/contracts.md, "Workers on several machines" says: two fetchers over one real Redis and the fake Douyin server.

A move: the room's owner stops it (its last events and cursor written under its lease), the assignment names the new
worker, the lease goes back, and the named worker resumes the same session from that cursor. A live id started on
two workers at once is one assignment and one session."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from services.douyin_fetcher.fake_server import FakeDouyinServer, load_scenario
from shared import ownership
from shared.assignments import Assignments
from shared.commands.douyin import MoveRoom, StartRoom
from shared.errors import CommandError
from shared.workers import register
from tests.unit.douyin.test_room_adoption import FAST_CONFIG, script, until
from tests.unit.douyin.test_room_failover import entries, worker

SERVICE = "douyin_fetcher"


@pytest.fixture(autouse=True)
def quick_adoption(monkeypatch: pytest.MonkeyPatch) -> None:
    # A pass every 0.2 s; the grace after which any worker takes a room placed elsewhere stays long (5 s), so a
    # room that lands on the named worker landed there because it was named, not by chance.
    monkeypatch.setattr(ownership, "ADOPT_EVERY_S", 0.2)
    monkeypatch.setattr(ownership, "REGISTER_EVERY_S", 0.2)


def start(live_id: str, session_id: str) -> dict[str, Any]:
    return StartRoom(live_id=live_id, session_id=session_id, config=FAST_CONFIG).model_dump()


async def test_a_moved_room_resumes_on_the_named_worker_with_no_chat_lost_or_doubled(
    fake: FakeDouyinServer, redis_url: str, tmp_path: Path
) -> None:
    steps, truth = script("400000000030", 240, pause=0.03)
    fake.load_scenario(load_scenario(steps))
    busy, _ = script("400000000031", 400, pause=0.05, end=False)
    fake.load_scenario(load_scenario(busy))
    a, bus_a = await worker(fake, redis_url, tmp_path / "a", "wa")
    b, bus_b = await worker(fake, redis_url, tmp_path / "b", "wb")
    try:
        await a.commands()["start_room"](start("400000000030", "moving"))
        # wb runs a room already: its fair share (2 rooms / 2 workers) is full, a room moved to it still lands.
        await b.commands()["start_room"](start("400000000031", "staying"))
        await until(lambda: len([1 for r in a.rooms.status() if r["state"] == "connected"]) == 1, 10, "wa connected")
        for _ in range(300):
            if sum(1 for _w, e in await entries(bus_a, "moving") if e["type"] == "chat") >= 40:
                break
            await asyncio.sleep(0.02)

        moved = await a.commands()["move_room"](MoveRoom(session_id="moving", worker_id="wb").model_dump())
        asked = time.monotonic()
        assert moved == {"session_id": "moving", "worker_id": "wb", "from_worker_id": "wa"}
        assert a.rooms.client_count == 0 and a._own.keeper.items == []  # type: ignore[union-attr]
        item = await Assignments(bus_a.redis, SERVICE).get("moving")
        assert item is not None and item.spec["worker_id"] == "wb" and item.progress["cursor"]
        await until(lambda: b.adopted == 1, 3, "wb taking the room")
        print(f"moved room adopted by the named worker {time.monotonic() - asked:.2f} s after the move")
        assert a.adopted == 0
        await until(lambda: {r["session_id"]: r["state"] for r in b.rooms.status()}.get("moving") == "ended", 30,
                    "the live end on wb")  # fmt: skip

        events = await entries(bus_b, "moving")
        chats = Counter(e["msg_id"] for _w, e in events if e["type"] == "chat")
        assert set(chats) == truth, f"lost: {len(truth - set(chats))}"
        assert [m for m, n in chats.items() if n > 1] == [], "a chat was written twice across the move"
        writers = [w for w, e in events if e["type"] == "chat"]
        switch = writers.index("wb")
        assert set(writers[:switch]) == {"wa"} and set(writers[switch:]) == {"wb"}  # one owner at a time
        states = [(w, e["data"]["state"], e["data"].get("reason", "")) for w, e in events if e["type"] == "service"]
        last_on_a = [s for s in states if s[0] == "wa"][-1]
        assert last_on_a[1:] == ("suspended", "迁移到工作节点 wb (moved to worker wb)")
        assert next(s[1] for s in states if s[0] == "wb") == "resuming"  # the same session, resumed
    finally:
        await a.stop()
        await b.stop()
        await bus_a.close()
        await bus_b.close()


async def test_a_move_to_where_the_room_runs_or_of_an_unknown_session_is_refused(
    fake: FakeDouyinServer, redis_url: str, tmp_path: Path
) -> None:
    steps, _ = script("400000000032", 300, pause=0.05, end=False)
    fake.load_scenario(load_scenario(steps))
    a, bus_a = await worker(fake, redis_url, tmp_path / "a", "wa")
    try:
        await a.commands()["start_room"](start("400000000032", "here"))
        with pytest.raises(CommandError) as there:
            await a.commands()["move_room"]({"session_id": "here", "worker_id": "wa"})
        assert there.value.code == "conflict" and "已在工作节点 wa" in str(there.value)
        with pytest.raises(CommandError) as unknown:
            await a.commands()["move_room"]({"session_id": "nope", "worker_id": "wb"})
        assert unknown.value.code == "not_found"
        assert [r["session_id"] for r in a.rooms.status()] == ["here"] and a.rooms.client_count == 1
    finally:
        await a.stop()
        await bus_a.close()


async def test_one_live_id_started_on_two_workers_at_once_is_one_session(
    fake: FakeDouyinServer, redis_url: str, tmp_path: Path
) -> None:
    steps, _ = script("400000000033", 400, pause=0.05, end=False)
    fake.load_scenario(load_scenario(steps))
    a, bus_a = await worker(fake, redis_url, tmp_path / "a", "wa")
    b, bus_b = await worker(fake, redis_url, tmp_path / "b", "wb")
    work = Assignments(bus_a.redis, SERVICE)
    try:
        # Two gateways racing: the same live id reaches both workers at the same moment, each with its own session.
        answers = await asyncio.gather(
            a.commands()["start_room"](start("400000000033", "from-a")),
            b.commands()["start_room"](start("400000000033", "from-b")),
        )
        sessions = {answer["session_id"] for answer in answers}
        assert len(sessions) == 1, answers
        (winner,) = sessions
        runner = "wa" if winner == "from-a" else "wb"
        assert [answer["worker_id"] for answer in answers] == [runner, runner]
        assert [(i.id, i.unique) for i in await work.list()] == [(winner, "400000000033")]
        assert a.rooms.client_count + b.rooms.client_count == 1

        # A later start anywhere (here: the other worker) answers the same session, as a repeat start on one worker.
        loser = b if runner == "wa" else a
        again = await loser.commands()["start_room"](start("https://live.douyin.com/400000000033", "third"))
        assert again["session_id"] == winner and again["worker_id"] == runner
        assert again["live_id"] == "400000000033" and again["status"] == "live"
        assert len(await work.list()) == 1

        # Stopped, the live id is free again: a new start is a new session.
        await loser.commands()["stop_room"]({"session_id": winner})
        await until(lambda: a.rooms.client_count + b.rooms.client_count == 0, 5, "the stop")
        fresh = await loser.commands()["start_room"](start("400000000033", "fresh"))
        assert fresh["session_id"] == "fresh"
        assert [i.id for i in await work.list()] == ["fresh"]
    finally:
        await a.stop()
        await b.stop()
        await bus_a.close()
        await bus_b.close()


async def test_rooms_assigned_before_live_ids_were_unique_are_indexed_at_adoption(
    fake: FakeDouyinServer, redis_url: str, tmp_path: Path
) -> None:
    steps, _ = script("400000000034", 400, pause=0.05, end=False)
    fake.load_scenario(load_scenario(steps))
    a, bus_a = await worker(fake, redis_url, tmp_path / "a", "wa")
    await a.stop()  # registered, then gone: the records below are written while no fetcher runs
    work = Assignments(bus_a.redis, SERVICE)
    for session_id in ("older", "newer"):  # as an earlier version wrote them: no unique key
        await work.put(session_id, {"live_id": "400000000034", "config": FAST_CONFIG})
        await asyncio.sleep(0.005)
    assert {i.unique for i in await work.list()} == {""}
    a, bus_a2 = await worker(fake, redis_url, tmp_path / "a", "wa")
    try:
        await until(lambda: a.adopted == 1, 5, "the adoption")
        await asyncio.sleep(0.5)  # a pass or two more: the other session is let go, not adopted
        assert [(i.id, i.unique) for i in await work.list()] == [("older", "400000000034")]
        assert [r["session_id"] for r in a.rooms.status()] == ["older"] and a.adopted == 1
    finally:
        await a.stop()
        await bus_a.close()
        await bus_a2.close()


async def test_a_move_of_a_room_held_by_another_worker_waits_for_no_dead_one(
    fake: FakeDouyinServer, redis_url: str, tmp_path: Path
) -> None:
    a, bus_a = await worker(fake, redis_url, tmp_path / "a", "wa")
    work = Assignments(bus_a.redis, SERVICE)
    try:
        for session_id, holder in (("on-dead", "wdead"), ("on-live", "wlive")):
            await work.put(session_id, {"live_id": "400000000035", "config": FAST_CONFIG}, unique=session_id)
            await bus_a.redis.hset(
                f"timao:lease:{SERVICE}:{session_id}", mapping={"owner": f"{holder}/1-a", "token": 1}
            )
        await register(bus_a.redis, "wlive", SERVICE, capacity=5, work=["on-live"], pid=0)
        # The lease of a worker that left the registry: the spec names the new worker, who takes it once it expires.
        placed = await a.commands()["move_room"]({"session_id": "on-dead", "worker_id": "wb"})
        assert placed == {"session_id": "on-dead", "worker_id": "wb"}  # from_worker_id unset: null on the gateway
        item = await work.get("on-dead")
        assert item is not None and item.spec["worker_id"] == "wb" and item.unique == "on-dead"
        # A live worker took it (a move raced a failover): refused, nothing changed.
        with pytest.raises(CommandError) as raced:
            await a.commands()["move_room"]({"session_id": "on-live", "worker_id": "wb"})
        assert raced.value.code == "conflict" and "wlive" in str(raced.value)
        item = await work.get("on-live")
        assert item is not None and "worker_id" not in item.spec
    finally:
        await a.stop()
        await bus_a.close()
