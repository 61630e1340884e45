"""Any link a user has, through the whole suite (docs/protocol/douyin.md §1.6): the share text copied from the phone
app is pasted into ``POST /api/douyin/start``; the fetcher reads the short link's redirect (its Location names the real
app host, which is never contacted), asks the app-side room API for the live id, starts the room, and its events reach
``/ws`` — masked viewers marked and without the shared placeholder id. A live streamer's profile URL leads to their
room; a streamer who is not live and an expired link are clear Chinese errors.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.douyin_fetcher.fake_server import load_scenario
from services.douyin_fetcher.fake_server.pages import anchor_sec_uid
from tests.e2e.harness import FAST_ROOM_CONFIG, FakeDouyinThread, LiveFeed, Suite

pytestmark = pytest.mark.e2e

WEB_RID = "311111111101"
CHATS = ["分享链接进来的", "我是匿名的", "下播前最后一句"]
STEPS: list[dict[str, Any]] = [
    {"room": {"web_rid": WEB_RID, "title": "分享测试直播间", "anchor_name": "分享主播", "anchor_id": "31000000001"}},
    {"op": "frame", "events": [
        {"kind": "chat", "user": {"id": 30001, "nickname": "小鱼干"}, "content": CHATS[0]},
        {"kind": "chat", "user": {"masked": True, "nickname": "薛***"}, "content": CHATS[1]},
    ]},
    {"op": "wait_acks"},
    {"op": "frame", "events": [{"kind": "chat", "user": {"masked": True}, "content": CHATS[2]}]},
    {"op": "wait_acks"},
    {"op": "end"},
]  # fmt: skip
SHARE_TEXT = (
    "7- #在抖音，记录美好生活#【分享主播】正在直播，来和我一起支持Ta吧。复制下方链接，打开【抖音】，直接观看直播！"
    " https://v.douyin.com/iShAre01/ 8@5.com :9pm"
)


def _start(suite: Suite, live_id: str) -> httpx.Response:
    return httpx.post(
        suite.base_url + "/api/douyin/start",
        json={"live_id": live_id, "config": FAST_ROOM_CONFIG},
        headers=suite.auth,
        timeout=30,
    )


def test_share_text_starts_the_room_and_its_events_arrive(douyin_suite: Suite, fake: FakeDouyinThread) -> None:
    room = fake.load(load_scenario(STEPS))

    async def more_rooms() -> tuple[Any, Any]:
        fake.server.add_share("iShAre01", room)
        offline = fake.server.add_room("311111111102", anchor_id="31000000002", anchor_name="没开播的主播", live=False)
        # Live with no script, so it stays live while its profile link is tried.
        quiet = fake.server.add_room("311111111103", anchor_id="31000000003", anchor_name="一直在播的主播")
        return offline, quiet

    offline, quiet = fake.run(more_rooms())
    with LiveFeed(douyin_suite) as feed:
        started = _start(douyin_suite, SHARE_TEXT)
        assert started.status_code == 200, started.text
        body = started.json()
        assert (body["live_id"], body["room_id"]) == (WEB_RID, room.info.room_id)
        events = feed.wait_ended(body["session_id"], 90)
    chats = [e for e in events if e["session_id"] == body["session_id"] and e["type"] == "chat"]
    assert [e["data"]["content"] for e in chats] == CHATS
    assert [e["user"].get("masked", False) for e in chats] == [False, True, True]
    assert [e["user"]["id"] for e in chats] == ["30001", "", ""]

    # A live streamer's profile URL names their room.
    profile = _start(douyin_suite, f"https://www.douyin.com/user/{anchor_sec_uid(quiet.info)}?from_tab_name=main")
    assert profile.status_code == 200, profile.text
    assert (profile.json()["live_id"], profile.json()["room_id"]) == (quiet.info.web_rid, quiet.info.room_id)
    stopped = httpx.post(
        douyin_suite.base_url + "/api/douyin/stop",
        json={"session_id": profile.json()["session_id"]},
        headers=douyin_suite.auth,
        timeout=20,
    )
    assert stopped.status_code == 200

    # Clear errors: a streamer who is not live, an expired share link, a Douyin link that is no room.
    not_live = _start(douyin_suite, f"https://www.douyin.com/user/{anchor_sec_uid(offline.info)}")
    assert not_live.status_code == 409 and "主播当前未开播" in not_live.json()["detail"]
    expired = _start(douyin_suite, "复制打开抖音 https://v.douyin.com/gone404/ 看直播")
    assert expired.status_code == 404 and "分享链接" in expired.json()["detail"]
    video = _start(douyin_suite, "https://www.douyin.com/video/7300000000000000000")
    assert video.status_code == 422 and "不是直播间" in video.json()["detail"]
