"""The room client against the fake Douyin server over real loopback sockets (strict signature checking).

Gift tests watch logged in, with a cookie the fake issued: since 2026 a guest receives no gifts."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from services.douyin_fetcher.client import ClientOptions, ClientState, RoomClient
from services.douyin_fetcher.fake_server import FakeDouyinServer, load_scenario
from services.douyin_fetcher.rooms import RoomManager
from shared.events import LiveEvent
from shared.platforms.douyin.account import DouyinAccount, parse_cookie_string
from shared.platforms.douyin.resolve import RoomResolver
from shared.platforms.douyin.signer import make_signer
from shared.retry import constant
from tests.e2e.harness import TEST_SIGNER_JS

from .conftest import Collector

SCENARIO = Path(__file__).resolve().parents[3] / "services/douyin_fetcher/fake_server/scenarios/showcase.jsonl"
FAST = ClientOptions(heartbeat_interval=0.3, stall_timeout=1.0, open_timeout=3.0, device_blocked_backoff=0.2)


def make_client(
    server: FakeDouyinServer, live_id: str, emit: Collector, session_id: str = "s1", *, logged_in: bool = False
) -> RoomClient:
    urls = server.urls
    account = DouyinAccount(cookies=parse_cookie_string(server.issue_login()), nickname="测试号", source="cookie")
    return RoomClient(
        live_id,
        session_id=session_id,
        emit=emit,
        resolver=RoomResolver(urls["douyin_live_url"], urls["douyin_www_url"]),
        own_resolver=True,
        signer=make_signer(f"js:{TEST_SIGNER_JS}"),
        ws_url=urls["douyin_ws_url"],
        retry_policy=constant(0.1),
        options=FAST,
        account=(lambda: account) if logged_in else None,
    )


@pytest.mark.asyncio
async def test_showcase_scenario_end_to_end(fake_douyin: FakeDouyinServer) -> None:
    scenario = load_scenario(SCENARIO)
    room = fake_douyin.load_scenario(scenario)
    emit = Collector()
    client = make_client(fake_douyin, "https://live.douyin.com/148108118778", emit, logged_in=True)
    await client.start()
    await asyncio.wait_for(client.join(), 45)
    await room.wait_done(1)

    assert client.state is ClientState.ENDED
    for event in emit.events:
        LiveEvent.model_validate(event)  # every event fits the contract

    # Every scripted chat exactly once, exact text, in order; the truncated one never.
    truth = [e["content"] for e in scenario.events() if e["kind"] in ("chat", "screen_chat")]
    assert [e["data"]["content"] for e in emit.of("chat")] == truth
    assert len({e["msg_id"] for e in emit.events if e["type"] != "service"}) == len(
        [e for e in emit.events if e["type"] != "service"]
    )

    # Gift deltas sum to the scripted truth whatever mix of streams, summaries and duplicates arrived.
    per_gift = Counter()
    for e in emit.of("gift"):
        per_gift[e["data"]["gift_name"]] += e["data"]["delta"]
    assert per_gift == {"小心心": 6, "玫瑰": 66, "跑车": 2, "粉丝团灯牌": 1}
    assert sum(e["data"]["diamond_delta"] for e in emit.of("gift")) == 6 + 66 + 2400 + 1

    kinds = Counter(e["type"] for e in emit.events)
    assert kinds["follow"] == 1 and kinds["share"] == 1 and kinds["like"] == 1 and kinds["member"] == 1
    assert kinds["emoji_chat"] == 1 and kinds["fansclub"] == 1 and kinds["room_rank"] == 1
    assert kinds["room_stats"] == 2
    masked = [e for e in emit.of("chat") if e["user"].get("masked")]
    assert masked and masked[0]["user"]["nickname"] == "薛***" and masked[0]["user"]["id"] == ""
    statuses = [e["data"]["status"] for e in emit.of("control")]
    assert statuses == ["paused", "resumed", "ended"]

    # Acks for every frame that asked; heartbeats sent; a reconnect after each fault, resuming the cursor.
    observed = fake_douyin.observed
    assert observed.unacked() == set()
    assert observed.heartbeats >= len(observed.accepted)
    assert len(observed.accepted) == 5  # first + drop + stall + close frame + drop-after-rejection
    assert [c.reason for c in observed.rejected] == ["scripted rejection"]
    resumed = [c for c in observed.accepted[1:]]
    assert all(c.params.get("internal_ext") and c.params["cursor"].startswith("t-") for c in resumed)
    assert client.stats.bad_frames == 2  # corrupt gzip + truncated Response, both survived
    assert client.decoder.stats.bad >= 1  # the truncated message (replayed once more), its good neighbour delivered
    states = [e["data"]["state"] for e in emit.of("service")]
    assert states[0] == "resolving" and states[-1] == "ended" and states.count("backoff") >= 4


@pytest.mark.asyncio
async def test_two_rooms_at_once_are_independent(fake_douyin: FakeDouyinServer) -> None:
    chats = [
        {"op": "frame", "events": [{"kind": "chat", "user": {"id": 7, "nickname": "甲"}, "content": f"m{i}"}]}
        for i in range(5)
    ]
    room_a = fake_douyin.load_scenario(load_scenario([*chats, {"op": "end"}]), "200000000001")
    room_b = fake_douyin.load_scenario(
        load_scenario([*chats, {"op": "drop"}, *chats[:2], {"op": "end"}]), "200000000002"
    )
    emit = Collector()
    urls = fake_douyin.urls
    manager = RoomManager(
        emit,
        live_url=urls["douyin_live_url"],
        www_url=urls["douyin_www_url"],
        ws_url=urls["douyin_ws_url"],
        signer=make_signer(f"js:{TEST_SIGNER_JS}"),
        options=FAST,
        retry_policy=constant(0.1),
    )
    sa = await manager.start("200000000001")
    sb = await manager.start("https://live.douyin.com/200000000002")
    with pytest.raises(ValueError):
        await manager.start("not a room")
    await asyncio.wait_for(asyncio.gather(manager.get(sa).join(), manager.get(sb).join()), 30)
    await room_a.wait_done(1)
    await room_b.wait_done(1)
    assert [e["data"]["content"] for e in emit.of("chat", sa)] == [f"m{i}" for i in range(5)]
    assert [e["data"]["content"] for e in emit.of("chat", sb)] == [f"m{i}" for i in range(5)] + ["m0", "m1"]
    for _ in range(100):  # the watchers run right after each client's end
        if manager.client_count == 0:
            break
        await asyncio.sleep(0.01)
    assert manager.client_count == 0  # ended rooms free their clients (sockets, caches) ...
    assert {s["state"] for s in manager.status()} == {"ended"}  # ... and keep their last status
    assert {s["session_id"] for s in manager.status()} == {sa, sb}
    await manager.stop(sa)  # stopping an ended room is fine
    assert [s["session_id"] for s in manager.status()] == [sb]
    await manager.stop_all()


@pytest.mark.asyncio
async def test_unknown_room_fails_cleanly_and_stop_is_prompt(fake_douyin: FakeDouyinServer) -> None:
    emit = Collector()
    client = make_client(fake_douyin, "999999999999", emit)
    await client.start()
    await asyncio.wait_for(client.join(), 10)
    assert client.state is ClientState.FAILED
    assert "room_not_found" in emit.of("service")[-1]["data"]["reason"]

    fake_douyin.load_scenario(
        load_scenario([{"op": "frame", "events": [{"kind": "sync"}]}, {"op": "sleep", "s": 30}]), "300000000001"
    )
    live = make_client(fake_douyin, "300000000001", emit, session_id="s2")
    await live.start()
    for _ in range(100):
        if live.state is ClientState.CONNECTED:
            break
        await asyncio.sleep(0.05)
    await asyncio.wait_for(live.stop(), 5)
    assert live.state is ClientState.STOPPED and not live.is_running


@pytest.mark.asyncio
async def test_drop_mid_stream_loses_and_duplicates_nothing(fake_douyin: FakeDouyinServer) -> None:
    # No pause between frames and no wait for acks before the drop: frames in flight are replayed on the next
    # connection, and whatever the client had already received is not delivered twice.
    def frame(i: int) -> dict[str, object]:
        events = [{"kind": "chat", "user": {"id": 7, "nickname": "甲"}, "content": f"c{i}-{k}"} for k in range(3)]
        return {"op": "frame", "events": events}

    steps = [*(frame(i) for i in range(20)), {"op": "drop", "wait_acks": False}, *(frame(i) for i in range(20, 40))]
    room = fake_douyin.load_scenario(load_scenario([*steps, {"op": "end"}]), "400000000001")
    emit = Collector()
    client = make_client(fake_douyin, "400000000001", emit)
    await client.start()
    await asyncio.wait_for(client.join(), 20)
    await room.wait_done(1)
    assert client.state is ClientState.ENDED
    assert [e["data"]["content"] for e in emit.of("chat")] == [f"c{i}-{k}" for i in range(40) for k in range(3)]
    assert len(fake_douyin.observed.accepted) == 2
