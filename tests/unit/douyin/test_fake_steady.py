"""The fake Douyin server's steady-rate room (the rooms-per-worker benchmark's load), over real loopback sockets: a
scenario posted over HTTP, chats at a steady rate stamped with their send time, an early finish, the rooms' summary."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect

from services.douyin_fetcher.fake_server import FakeDouyinServer
from shared.platforms.douyin.frames import decode_inbound
from shared.platforms.douyin.proto import douyin_pb2 as pb
from shared.platforms.douyin.wsurl import build_ws_url, ws_params

BASE_ID = 8_200_000_000_000_000_000


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDouyinServer]:
    server = FakeDouyinServer(idle_timeout=10.0)
    await server.start()
    yield server
    await server.stop()


async def post(server: FakeDouyinServer, path: str, body: object) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(f"{server.urls['douyin_live_url']}{path}", json=body)


async def chats_until(ws: ClientConnection, done: asyncio.Event | None = None) -> list[tuple[int, str, int]]:
    """(msg id, content, receive ns) of every chat until the live's end (acking each frame)."""
    out: list[tuple[int, str, int]] = []
    while True:
        inbound = decode_inbound(await asyncio.wait_for(ws.recv(decode=False), 10))
        received = time.time_ns()
        if inbound.ack is not None:
            await ws.send(inbound.ack)
        for message in inbound.response.messages if inbound.response is not None else []:
            if message.method == "WebcastControlMessage":
                return out
            if message.method == "WebcastChatMessage":
                chat = pb.ChatMessage.FromString(message.payload)
                out.append((chat.common.msg_id, chat.content, received))


async def open_room(server: FakeDouyinServer, room_id: str) -> ClientConnection:
    url = build_ws_url(server.urls["douyin_ws_url"], ws_params(room_id, "7300000000000000001"), None)
    return await connect(url, ping_interval=None)


async def test_a_posted_steady_room_sends_every_chat_once_at_its_rate_stamped_with_the_send_time(
    fake: FakeDouyinServer,
) -> None:
    steps = [{"op": "steady", "rate": 40, "seconds": 0.5, "per_frame": 2, "base_msg_id": BASE_ID, "prefix": "s"},
             {"op": "end"}]  # fmt: skip
    answer = await post(fake, "/__fake__/scenario", {"room": {"web_rid": "700000000001"}, "steps": steps})
    assert answer.status_code == 200, answer.text
    assert answer.json()["web_rid"] == "700000000001"
    ws = await open_room(fake, answer.json()["room_id"])
    started = time.monotonic()
    try:
        chats = await chats_until(ws)
    finally:
        await ws.close()
    elapsed = time.monotonic() - started
    assert [msg_id for msg_id, _c, _r in chats] == [BASE_ID + n for n in range(20)]
    stamps = []
    for n, (_id, content, received) in enumerate(chats):
        prefix, number, stamp = content.split(" ")
        assert (prefix, number) == ("s", str(n))
        stamps.append(int(stamp.removeprefix("@")))
        assert stamps[-1] <= received  # stamped before it went on the wire
    assert stamps == sorted(stamps) and stamps[0] == stamps[1]  # two a frame, frames in order
    assert 0.4 <= elapsed < 3.0  # 20 chats at 40/s: the last frame is due at 0.45 s
    async with httpx.AsyncClient() as http:
        rooms = (await http.get(f"{fake.urls['douyin_live_url']}/__fake__/rooms")).json()["rooms"]
    assert rooms["700000000001"] == {"steady_sent": 20, "done": True, "errors": []}


async def test_finish_stops_a_steady_room_early_and_its_script_goes_on(fake: FakeDouyinServer) -> None:
    steps = [{"op": "steady", "rate": 20, "seconds": 600, "base_msg_id": BASE_ID}, {"op": "end"}]
    room_id = (await post(fake, "/__fake__/scenario", {"room": {"web_rid": "700000000002"}, "steps": steps})).json()
    ws = await open_room(fake, room_id["room_id"])
    try:
        reading = asyncio.create_task(chats_until(ws))
        await asyncio.sleep(0.5)
        finished = await post(fake, "/__fake__/finish", {"web_rids": ["700000000002", "nope"]})
        assert finished.json() == {"ok": True, "rooms": 1}
        chats = await reading  # the live's end arrives: the script went on past the steady step
    finally:
        await ws.close()
    room = fake.rooms["700000000002"]
    assert 3 <= len(chats) == room.steady_sent < 100
    assert [msg_id for msg_id, _c, _r in chats] == [BASE_ID + n for n in range(len(chats))]


async def test_a_bad_posted_scenario_is_refused_with_the_reason(fake: FakeDouyinServer) -> None:
    no_steps = await post(fake, "/__fake__/scenario", {"room": {"web_rid": "700000000003"}})
    assert no_steps.status_code == 400 and "steps" in no_steps.json()["error"]
    bad_op = await post(fake, "/__fake__/scenario", {"steps": [{"op": "explode"}]})
    assert bad_op.status_code == 400 and "explode" in bad_op.json()["error"]
    assert "700000000003" not in fake.rooms
