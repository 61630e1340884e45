"""Room resolution over real HTTP against the fake server: cookies, challenge page, live / ended / not found / empty."""

from __future__ import annotations

import httpx
import pytest

from services.douyin_fetcher.fake_server import FakeDouyinServer
from shared.platforms.douyin.errors import EmptyAnswer
from shared.platforms.douyin.resolve import LiveStatus, RoomResolver


@pytest.mark.asyncio
async def test_resolve_live_ended_missing_and_challenge() -> None:
    server = FakeDouyinServer()
    await server.start()
    try:
        server.add_room("148108118778", "7690183442860198697", anchor_name="猫老师", title="测试")
        urls = server.urls
        # www answers 404 here: the resolver invents a nonce, meets the challenge page, retries with its nonce.
        async with RoomResolver(urls["douyin_live_url"], urls["douyin_live_url"] + "/nowhere") as resolver:
            room = await resolver.resolve("https://live.douyin.com/148108118778")
            assert (room.room_id, room.status, room.title) == ("7690183442860198697", LiveStatus.LIVE, "测试")
            assert room.anchor and room.anchor.nickname == "猫老师" and room.user_unique_id.isdigit() and room.ttwid
            assert room.enter is not None and room.enter.streams().pick().format == "flv"
            server.rooms["148108118778"].info.live = False
            assert (await resolver.resolve("148108118778")).status is LiveStatus.ENDED
            from shared.platforms.douyin.errors import RoomNotFound

            with pytest.raises(RoomNotFound):
                await resolver.resolve("999999999999")
        assert server.observed.http_requests.count("/148108118778") >= 2  # challenge, then the page

        async with httpx.AsyncClient() as client:  # no ttwid cookie: HTTP 200 with an empty body
            answer = await client.get(urls["douyin_live_url"] + "/webcast/room/web/enter/?web_rid=148108118778")
            assert answer.status_code == 200 and answer.content == b""
            with pytest.raises(EmptyAnswer):
                from shared.platforms.douyin.resolve import parse_enter

                parse_enter(answer.content, "148108118778")
    finally:
        await server.stop()
