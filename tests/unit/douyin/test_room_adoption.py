"""Rooms resumed after a worker restart: the client from its delivered cursor, the process from its assignments.

Against the fake Douyin server in this process (no signature check) and a real Redis. The gift tests watch logged in
(a cookie the fake issued, as the account store holds it): since 2026 a guest receives no gifts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from services.douyin_fetcher.app import FetcherApp
from services.douyin_fetcher.client import ClientOptions, ClientState, Resume, RoomClient
from services.douyin_fetcher.fake_server import FakeDouyinServer, load_scenario
from shared.assignments import Assignments
from shared.bus import EVENTS_STREAM, Bus
from shared.config import Settings
from shared.platforms.douyin.account import DouyinAccount, parse_cookie_string, save_account
from shared.platforms.douyin.resolve import RoomResolver
from shared.platforms.douyin.signer import make_signer
from shared.retry import constant

FAST = ClientOptions(heartbeat_interval=0.3, stall_timeout=1.5, open_timeout=3.0, device_blocked_backoff=0.2)
FAST_CONFIG = {"heartbeat_interval": 0.3, "stall_timeout": 1.5, "retry_base": 0.1, "retry_cap": 0.5}


def script(web_rid: str, frames: int, *, pause: float = 0.02, end: bool = True) -> tuple[list[Any], set[str]]:
    """Frames of one chat each (then the live's end); answers the steps and the scripted chat msg_ids."""
    steps: list[Any] = [{"room": {"web_rid": web_rid, "title": "恢复"}}]
    truth: set[str] = set()
    for i in range(frames):
        msg_id = 7_800_000_000_000_000_000 + i
        truth.add(str(msg_id))
        steps.append({"op": "frame", "events": [{"kind": "chat", "user": {"id": 1 + i % 3, "nickname": "猫"},
                                                 "content": f"第{i}条", "msg_id": msg_id}]})  # fmt: skip
        steps.append({"op": "sleep", "s": pause})
    if end:
        steps.append({"op": "end"})
    return steps, truth


def logged_in(server: FakeDouyinServer) -> DouyinAccount:
    """The streamer's account after a login on the fake (a cookie import, as the account store keeps it)."""
    return DouyinAccount(
        cookies=parse_cookie_string(server.issue_login("提猫测试号")), nickname="提猫测试号", source="cookie"
    )


def client(server: FakeDouyinServer, web_rid: str, emit: Callable[..., Any], **kwargs: Any) -> RoomClient:
    urls = server.urls
    return RoomClient(
        web_rid,
        session_id="s1",
        emit=emit,
        resolver=RoomResolver(urls["douyin_live_url"], urls["douyin_www_url"]),
        own_resolver=True,
        signer=make_signer("none"),
        ws_url=urls["douyin_ws_url"],
        retry_policy=constant(0.1),
        options=FAST,
        **kwargs,
    )


async def until(predicate: Callable[[], bool], within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_a_resumed_client_gets_the_gap_its_dead_predecessor_never_delivered(fake: FakeDouyinServer) -> None:
    steps, truth = script("400000000001", 60)
    fake.load_scenario(load_scenario(steps))
    delivered: list[dict[str, Any]] = []
    reached: list[Resume] = []
    hung = asyncio.Event()

    async def dying_emit(events: list[dict[str, Any]]) -> None:
        if sum(e["type"] == "chat" for e in delivered) >= 15:
            hung.set()
            await asyncio.Event().wait()  # the process froze here and is about to be killed
        delivered.extend(events)

    async def note(resume: Resume) -> None:
        reached.append(resume)

    async def service_event(event: dict[str, Any]) -> None:
        delivered.append(event)

    first = client(fake, "400000000001", service_event, emit_batch=dying_emit, on_progress=note)
    await first.start()
    await asyncio.wait_for(hung.wait(), 20)
    await until(lambda: first.stats.acks_sent >= len(reached) + 5, 10, "frames acked but never delivered")
    # SIGKILL, as far as the server can tell: the socket goes, nothing more is delivered or acked.
    assert first._worker_task is not None and first._task is not None
    first._worker_task.cancel()
    first._task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await first._task
    lost = first.stats.acks_sent - len(reached)
    assert lost > 0 and reached

    connections = len(fake.observed.accepted)
    later: list[dict[str, Any]] = []

    async def collect(event: dict[str, Any]) -> None:
        later.append(event)

    second = client(fake, "400000000001", collect, resume=reached[-1])
    await second.start()
    assert second.status()["state"] == "resuming" and second.status()["resumed"] is True
    await asyncio.wait_for(second.join(), 30)

    assert second.state is ClientState.ENDED
    params = fake.observed.accepted[connections].params
    assert (params["cursor"], params["internal_ext"]) == (reached[-1].cursor, reached[-1].internal_ext)
    chats = [e["msg_id"] for e in [*delivered, *later] if e["type"] == "chat"]
    assert set(chats) == truth  # the acked-but-undelivered frames came again
    states = [e["data"]["state"] for e in later if e["type"] == "service"]
    assert states[0] == "resuming" and "connected" in states


async def test_a_suspended_client_ends_suspended_not_stopped(fake: FakeDouyinServer) -> None:
    steps, _ = script("400000000002", 200, pause=0.05, end=False)
    fake.load_scenario(load_scenario(steps))
    events: list[dict[str, Any]] = []

    async def collect(event: dict[str, Any]) -> None:
        events.append(event)

    room = client(fake, "400000000002", collect)
    await room.start()
    await until(lambda: room.state is ClientState.CONNECTED, 10, "connected")
    await room.suspend()
    assert room.state is ClientState.SUSPENDED
    assert [e["data"]["state"] for e in events if e["type"] == "service"][-1] == "suspended"


def fetcher_settings(fake: FakeDouyinServer, redis_url: str, home: Path) -> Settings:
    return Settings(home=home, redis_url=redis_url, douyin_signer="none", **fake.urls)


async def stream_events(bus: Bus, session_id: str) -> list[dict[str, Any]]:
    entries = await bus.redis.xrange(EVENTS_STREAM)
    events = [orjson.loads(fields[b"e"]) for _id, fields in entries]
    return [e for e in events if e["session_id"] == session_id]


async def started_app(settings: Settings) -> tuple[FetcherApp, Bus]:
    bus = Bus(settings.redis_url, service="douyin_fetcher")
    await bus.start()
    app = FetcherApp(settings)
    await app.start(bus)
    return app, bus


async def test_a_restarted_fetcher_adopts_its_rooms_and_lets_ended_ones_go(
    fake: FakeDouyinServer, redis_url: str, tmp_path: Path
) -> None:
    steps, truth = script("400000000003", 80, pause=0.03)
    fake.load_scenario(load_scenario(steps))
    settings = fetcher_settings(fake, redis_url, tmp_path)
    app, bus = await started_app(settings)
    work = Assignments(bus.redis, "douyin_fetcher")
    answer = await app.commands()["start_room"](
        {"live_id": "400000000003", "session_id": "sess", "config": FAST_CONFIG}
    )
    assert answer["session_id"] == "sess"
    item = await work.get("sess")
    assert item is not None and item.spec["live_id"] == "400000000003"

    async def progressed() -> bool:
        got = await work.get("sess")
        return bool(got and got.progress.get("cursor"))

    for _ in range(200):
        if await progressed() and len(await stream_events(bus, "sess")) > 20:
            break
        await asyncio.sleep(0.02)
    await app.stop()  # a restart: the room is suspended, its assignment kept
    assert await work.get("sess") is not None
    await bus.close()  # (work's client is the bus's: used after this, it would open a connection nobody closes)

    app2, bus2 = await started_app(settings)
    try:
        await until(lambda: app2.adopted == 1, 10, "the adoption")
        events = await stream_events(bus2, "sess")
        states = [e["data"]["state"] for e in events if e["type"] == "service"]
        assert "suspended" in states and "stopped" not in states  # the session was never closed
        await until(lambda: [r["state"] for r in app2.rooms.status()] == ["ended"], 30, "the live end")
        status = (await app2.commands()["rooms"]({}))["sessions"]
        assert [(s["session_id"], s["state"], s["resumed"]) for s in status] == [("sess", "ended", True)]
        events = await stream_events(bus2, "sess")
        states = [e["data"]["state"] for e in events if e["type"] == "service"]
        assert states[states.index("suspended") + 1] == "resuming"
        assert {e["msg_id"] for e in events if e["type"] == "chat"} == truth
        # The live ended: nothing left to adopt.
        work = Assignments(bus2.redis, "douyin_fetcher")  # the first bus is closed
        for _ in range(100):
            if await work.get("sess") is None:
                break
            await asyncio.sleep(0.02)
        assert await work.list() == []
    finally:
        await app2.stop()
        await bus2.close()


async def test_a_stopped_room_is_not_resumed(fake: FakeDouyinServer, redis_url: str, tmp_path: Path) -> None:
    steps, _ = script("400000000004", 300, pause=0.05, end=False)
    fake.load_scenario(load_scenario(steps))
    settings = fetcher_settings(fake, redis_url, tmp_path)
    app, bus = await started_app(settings)
    commands = app.commands()
    await commands["start_room"]({"live_id": "400000000004", "session_id": "gone", "config": FAST_CONFIG})
    await commands["start_room"]({"live_id": "400000000004", "session_id": "twice", "config": FAST_CONFIG})
    work = Assignments(bus.redis, "douyin_fetcher")
    assert [i.id for i in await work.list()] == ["gone"]  # the second start found the room watched already
    await commands["stop_room"]({"session_id": "gone"})
    assert await work.list() == []
    await app.stop()
    await bus.close()

    app2, bus2 = await started_app(settings)
    try:
        await asyncio.sleep(0.3)
        assert app2.rooms.status() == [] and app2.adopted == 0
    finally:
        await app2.stop()
        await bus2.close()


# Two combos sent side by side, one step a frame: (user id, gift id, group id, group_count, price in diamonds).
COMBOS = [(31, 463, 5_001, 1, 10), (32, 685, 5_002, 66, 1)]
COMBO_STEPS = 10
COMBO_GIFTS = sum(COMBO_STEPS * bundle for *_, bundle, _price in COMBOS)  # 10 × 1 + 10 × 66
COMBO_DIAMONDS = sum(COMBO_STEPS * bundle * price for *_, bundle, price in COMBOS)


def combo_script(web_rid: str, *, pause: float = 0.2) -> list[Any]:
    """Each combo's cumulative count 1..10, one step a frame, then its ``repeat_end`` summary, then Douyin
    replaying the room's recent messages (all of them, from before and after any cursor), then the live's end."""
    steps: list[Any] = [{"room": {"web_rid": web_rid, "title": "连击"}}]

    def gift(n: int, step: int, count: int, end: int) -> dict[str, Any]:
        user, gift_id, group_id, bundle, price = COMBOS[n]
        return {
            "kind": "gift",
            "user": {"id": user, "nickname": f"连击{n}"},
            "gift_id": gift_id,
            "name": "礼物",
            "diamonds": price,
            "combo": True,
            "group_id": group_id,
            "group_count": bundle,
            "repeat_count": count,
            "repeat_end": end,
            "msg_id": 7_900_000_000_000_000_000 + 100 * n + step,
        }

    for step in range(1, COMBO_STEPS + 1):
        steps.append({"op": "frame", "events": [gift(n, step, step, 0) for n in range(len(COMBOS))]})
        steps.append({"op": "sleep", "s": pause})
    steps.append({"op": "frame", "events": [gift(n, 99, COMBO_STEPS, 1) for n in range(len(COMBOS))]})
    steps.append({"op": "replay", "n": 100})
    steps.append({"op": "sleep", "s": pause})
    steps.append({"op": "end"})
    return steps


def gift_sums(events: list[dict[str, Any]]) -> tuple[int, int]:
    """(gifts, diamonds) of a session as the database sums them: one row per msg_id, the first one stored."""
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["type"] == "gift":
            rows.setdefault(event["msg_id"], event["data"])
    return sum(d["delta"] for d in rows.values()), sum(d["diamond_delta"] for d in rows.values())


async def test_a_combo_cut_by_a_kill_counts_each_gift_once(fake: FakeDouyinServer) -> None:
    fake.load_scenario(load_scenario(combo_script("400000000005")))
    delivered: list[dict[str, Any]] = []
    reached: list[Resume] = []
    hung = asyncio.Event()

    async def dying_emit(events: list[dict[str, Any]]) -> None:
        if sum(e["type"] == "gift" for e in delivered) >= 3 * len(COMBOS):  # three steps of each combo delivered
            hung.set()
            await asyncio.Event().wait()
        delivered.extend(events)

    async def note(resume: Resume) -> None:
        reached.append(resume)

    async def service_event(event: dict[str, Any]) -> None:
        delivered.append(event)

    account = logged_in(fake)
    first = client(
        fake, "400000000005", service_event, emit_batch=dying_emit, on_progress=note, account=lambda: account
    )
    await first.start()
    await asyncio.wait_for(hung.wait(), 20)
    await until(lambda: first.stats.acks_sent >= len(reached) + 2, 10, "combo steps acked but never delivered")
    assert first._worker_task is not None and first._task is not None
    first._worker_task.cancel()
    first._task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await first._task
    before = {e["msg_id"] for e in delivered if e["type"] == "gift"}
    assert 0 < sum(e["data"]["delta"] for e in delivered if e["type"] == "gift") < COMBO_GIFTS  # cut mid-combo

    later: list[dict[str, Any]] = []

    async def collect(event: dict[str, Any]) -> None:
        later.append(event)

    second = client(fake, "400000000005", collect, resume=reached[-1], account=lambda: account)
    await second.start()
    await asyncio.wait_for(second.join(), 30)
    assert second.state is ClientState.ENDED

    gifts_later = [e for e in later if e["type"] == "gift"]
    assert any(e["msg_id"] in before for e in gifts_later)  # Douyin's replay brought counted messages again...
    assert all(e["data"]["delta"] == 0 for e in gifts_later if e["msg_id"] in before)  # ...and they add nothing
    assert gift_sums([*delivered, *later]) == (COMBO_GIFTS, COMBO_DIAMONDS)
    # Even summed over every event, replays included, each gift counts once.
    assert sum(e["data"]["delta"] for e in [*delivered, *later] if e["type"] == "gift") == COMBO_GIFTS


async def test_a_combo_cut_by_a_restart_counts_each_gift_once(
    fake: FakeDouyinServer, redis_url: str, tmp_path: Path
) -> None:
    fake.load_scenario(load_scenario(combo_script("400000000006")))
    settings = fetcher_settings(fake, redis_url, tmp_path)
    save_account(tmp_path, logged_in(fake))
    app, bus = await started_app(settings)
    work = Assignments(bus.redis, "douyin_fetcher")
    await app.commands()["start_room"]({"live_id": "400000000006", "session_id": "combo", "config": FAST_CONFIG})
    for _ in range(500):
        gifts = [e for e in await stream_events(bus, "combo") if e["type"] == "gift"]
        if len(gifts) >= 3 * len(COMBOS):
            break
        await asyncio.sleep(0.02)
    await app.stop()  # mid-combo: steps 4..10 and the summaries come after the restart
    item = await work.get("combo")
    assert item is not None and item.progress.get("cursor")
    assert 0 < gift_sums(await stream_events(bus, "combo"))[0] < COMBO_GIFTS
    await bus.close()

    app2, bus2 = await started_app(settings)
    try:
        await until(lambda: [r["state"] for r in app2.rooms.status()] == ["ended"], 30, "the live end")
        events = await stream_events(bus2, "combo")
        assert gift_sums(events) == (COMBO_GIFTS, COMBO_DIAMONDS)
    finally:
        await app2.stop()
        await bus2.close()
