"""The fake Douyin server's 2026 rules (docs/protocol/douyin.md §7.5–§7.7), over real loopback sockets: guests get no
gifts, anonymous viewers are masked, login, its expiry, verification mode, strict a_bogus, share links."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from services.douyin_fetcher.fake_server import FakeDouyinServer, load_scenario
from services.douyin_fetcher.fake_server.scenario import OPS
from services.douyin_fetcher.fake_server.server import STEP_HANDLERS
from services.douyin_fetcher.fake_server.signing import fake_a_bogus
from shared.platforms.douyin.frames import decode_inbound
from shared.platforms.douyin.proto import douyin_pb2 as pb
from shared.platforms.douyin.wsurl import build_ws_url, ws_params

CHAT = {"kind": "chat", "user": {"id": 42, "nickname": "小鱼干", "sec_uid": "MS4wLjABAAAAfish"}, "content": "主播好"}
ANON_A = {"kind": "chat", "user": {"anonymous": True, "nickname": "用户****"}, "content": "匿名一"}
ANON_B = {"kind": "chat", "user": {"anonymous": True, "nickname": "薛***"}, "content": "匿名二"}
GIFT = {"kind": "gift", "user": {"id": 42, "nickname": "小鱼干"}, "gift_id": 3389, "name": "玫瑰", "diamonds": 1}
UA = "Mozilla/5.0 (X11; Linux x86_64) TestAgent/1.0"


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDouyinServer]:
    server = FakeDouyinServer(idle_timeout=10.0)
    await server.start()
    yield server
    await server.stop()


def base(server: FakeDouyinServer) -> str:
    return server.urls["douyin_live_url"]


def play(server: FakeDouyinServer, web_rid: str, events: list[dict[str, Any]], *more: dict[str, Any]) -> Any:
    steps: list[dict[str, Any]] = [{"op": "frame", "events": events}, {"op": "wait_acks"}, *more]
    return server.load_scenario(load_scenario(steps), web_rid)


async def open_ws(server: FakeDouyinServer, room: Any, cookie: str = "") -> ClientConnection:
    url = build_ws_url(server.urls["douyin_ws_url"], ws_params(room.info.room_id, "7300000000000000001"), None)
    return await connect(url, additional_headers={"Cookie": cookie} if cookie else {}, ping_interval=None)


async def first_messages(ws: ClientConnection) -> list[pb.Message]:
    data = await asyncio.wait_for(ws.recv(decode=False), 10)
    inbound = decode_inbound(data)
    assert inbound.response is not None and inbound.ack is not None
    await ws.send(inbound.ack)
    return list(inbound.response.messages)


async def issue(server: FakeDouyinServer, nickname: str | None = None) -> str:
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{base(server)}/__fake__/login/issue", json={"nickname": nickname} if nickname else {}
        )
    assert answer.status_code == 200
    cookie = answer.json()["cookie"]
    assert re.fullmatch(r"sessionid=\w+; sessionid_ss=\w+; uid_tt=\w+", cookie)
    return str(cookie)


async def test_a_guest_socket_gets_everything_but_gifts_and_a_logged_in_one_gets_gifts(fake: FakeDouyinServer) -> None:
    guest_room = play(fake, "100000000001", [CHAT, GIFT, ANON_A])
    async with await open_ws(fake, guest_room) as ws:
        guest = await first_messages(ws)
    cookie = await issue(fake)
    member_room = play(fake, "100000000002", [CHAT, GIFT, ANON_A])
    async with await open_ws(fake, member_room, cookie) as ws:
        member = await first_messages(ws)
    assert [m.method for m in guest] == ["WebcastChatMessage", "WebcastChatMessage"]
    assert [m.method for m in member] == ["WebcastChatMessage", "WebcastGiftMessage", "WebcastChatMessage"]
    gift = pb.GiftMessage.FromString(member[1].payload)
    assert (gift.gift_id, gift.user.nickname) == (3389, "小鱼干")
    await guest_room.wait_done()
    await member_room.wait_done()
    assert [c.logged_in for c in fake.observed.accepted] == [False, True]


async def test_a_cookie_the_fake_never_issued_is_a_guest(fake: FakeDouyinServer) -> None:
    room = play(fake, "100000000003", [GIFT, CHAT])
    async with await open_ws(fake, room, "sessionid=0123456789abcdef0123456789abcdef; ttwid=x") as ws:
        assert [m.method for m in await first_messages(ws)] == ["WebcastChatMessage"]


async def test_anonymous_viewers_are_masked_and_share_the_placeholder_id_even_when_logged_in(
    fake: FakeDouyinServer,
) -> None:
    cookie = await issue(fake)
    room = play(fake, "100000000004", [ANON_A, ANON_B, CHAT])
    async with await open_ws(fake, room, cookie) as ws:
        chats = [pb.ChatMessage.FromString(m.payload) for m in await first_messages(ws)]
    users = [(c.user.id, c.user.nickname, c.user.sec_uid) for c in chats]
    assert users == [(111111, "用户****", ""), (111111, "薛***", ""), (42, "小鱼干", "MS4wLjABAAAAfish")]


async def test_the_http_fetch_also_hides_gifts_from_guests(fake: FakeDouyinServer) -> None:
    cookie = await issue(fake)
    room = play(fake, "100000000005", [CHAT, GIFT])
    async with await open_ws(fake, room, cookie) as ws:
        await first_messages(ws)
    await room.wait_done()
    url = f"{base(fake)}/webcast/im/fetch/?aid=6383&room_id={room.info.room_id}"
    async with httpx.AsyncClient() as http:
        guest = pb.Response.FromString((await http.get(url)).content)
        member = pb.Response.FromString((await http.get(url, headers={"Cookie": cookie})).content)
    assert [m.method for m in guest.messages] == ["WebcastChatMessage"]
    assert [m.method for m in member.messages] == ["WebcastChatMessage", "WebcastGiftMessage"]


async def test_the_account_endpoint_knows_a_login_and_says_20003_otherwise(fake: FakeDouyinServer) -> None:
    cookie = await issue(fake, "小明的号")
    async with httpx.AsyncClient() as http:
        me = (await http.get(f"{base(fake)}/webcast/user/me/?aid=6383", headers={"Cookie": cookie})).json()
        nobody = (await http.get(f"{base(fake)}/webcast/user/me/?aid=6383")).json()
    assert me["status_code"] == 0 and me["data"]["nickname"] == "小明的号" and me["data"]["id_str"].isdigit()
    assert me["data"]["avatar_thumb"]["url_list"]
    assert nobody == {"status_code": 20003, "data": {"prompts": "用户未登录"}, "extra": nobody["extra"]}


async def test_a_scanned_qr_code_sets_the_session_cookies_on_the_next_poll(fake: FakeDouyinServer) -> None:
    async with httpx.AsyncClient() as http:
        assert (await http.post(f"{base(fake)}/__fake__/login/scan", json={})).status_code == 404  # nothing pending
        token = (await http.get(f"{base(fake)}/passport/web/get_qrcode/")).json()["data"]["token"]
        poll = f"{base(fake)}/passport/web/check_qrconnect/?token={token}"
        assert (await http.get(poll)).json()["data"]["status"] == "1"
        scanned = await http.post(f"{base(fake)}/__fake__/login/scan", json={"nickname": "扫码的人"})
        assert scanned.json() == {"ok": True}
        confirmed = await http.get(poll)
        assert confirmed.json()["data"]["status"] == "3"
        cookies = confirmed.headers.get_list("set-cookie")
        assert [c.split("=")[0] for c in cookies] == ["sessionid", "sessionid_ss", "uid_tt"]
        # Persistent (a browser profile keeps the login across restarts), for the whole loopback host.
        assert all("; Path=/; Max-Age=" in c and c.endswith("; HttpOnly") and "Domain" not in c for c in cookies)
        session = cookies[0].split(";")[0]
        me = (await http.get(f"{base(fake)}/webcast/user/me/", headers={"Cookie": session})).json()
        assert me["data"]["nickname"] == "扫码的人"
        assert (await http.get(poll)).json()["data"]["status"] == "5"  # a QR code logs in once


async def test_bad_test_endpoint_bodies_get_a_clear_400(fake: FakeDouyinServer) -> None:
    async with httpx.AsyncClient() as http:
        bad = await http.post(f"{base(fake)}/__fake__/login/issue", content=b"{not json")
        listed = await http.post(f"{base(fake)}/__fake__/login/issue", json=[1])
    assert bad.status_code == 400 and "JSON" in bad.json()["error"]
    assert listed.status_code == 400


@pytest.mark.parametrize("how", ["endpoint", "scenario step"])
async def test_an_expired_login_closes_logged_in_sockets_only(fake: FakeDouyinServer, how: str) -> None:
    cookie = await issue(fake)
    later: list[dict[str, Any]] = [{"op": "sleep", "s": 0.3}]
    if how == "scenario step":
        later = [{"op": "sleep", "s": 0.3}, {"op": "expire_login"}]
    member_room = play(fake, "100000000006", [CHAT], *later)
    guest_room = play(fake, "100000000007", [CHAT], {"op": "sleep", "s": 3})
    async with await open_ws(fake, member_room, cookie) as member, await open_ws(fake, guest_room) as guest:
        await first_messages(member)
        await first_messages(guest)
        if how == "endpoint":
            async with httpx.AsyncClient() as http:
                assert (await http.post(f"{base(fake)}/__fake__/login/expire")).json() == {"ok": True}
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(member.recv(), 10)
        assert guest.state.name == "OPEN"
    async with httpx.AsyncClient() as http:
        me = (await http.get(f"{base(fake)}/webcast/user/me/", headers={"Cookie": cookie})).json()
    assert me["status_code"] == 20003


@pytest.mark.parametrize("how", ["endpoint", "scenario step", "constructor"])
async def test_verification_mode_shows_the_captcha_page_and_refuses_enter_and_the_socket(how: str) -> None:
    fake = FakeDouyinServer(verification=how == "constructor")
    await fake.start()
    try:
        step = {"op": "verify", "on": True} if how == "scenario step" else {"op": "sleep", "s": 0}
        room = fake.load_scenario(load_scenario([step]), "100000000008")
        await room.wait_done()
        async with httpx.AsyncClient() as http:
            if how == "endpoint":
                assert (await http.post(f"{base(fake)}/__fake__/verification", json={"on": True})).json()["on"]
            page = await http.get(f"{base(fake)}/100000000008")
            enter = await http.get(
                f"{base(fake)}/webcast/room/web/enter/?aid=6383&web_rid=100000000008", headers={"Cookie": "ttwid=x"}
            )
        assert "<title>验证码中间页</title>" in page.text and 'id="captcha_container"' in page.text
        assert enter.status_code == 200 and enter.json()["status_code"] == 10011
        with pytest.raises(InvalidStatus):
            await open_ws(fake, room)
        assert fake.observed.rejected[-1].reason == "verification"
        async with httpx.AsyncClient() as http:  # and off again
            await http.post(f"{base(fake)}/__fake__/verification", json={"on": False})
            assert "captcha_container" not in (await http.get(f"{base(fake)}/100000000008")).text
    finally:
        await fake.stop()


async def test_strict_web_enter_refuses_a_missing_or_wrong_a_bogus_with_an_empty_200() -> None:
    fake = FakeDouyinServer(strict=True)
    await fake.start()
    try:
        fake.add_room("100000000009")
        query = "aid=6383&live_id=1&web_rid=100000000009&msToken=abc%2Bdef"
        url = f"{base(fake)}/webcast/room/web/enter/?{query}"
        headers = {"Cookie": "ttwid=x", "User-Agent": UA}
        good = f"&a_bogus={httpx.QueryParams({'a': fake_a_bogus(query, UA)})['a']}"
        async with httpx.AsyncClient() as http:
            missing = await http.get(url, headers=headers)
            wrong = await http.get(url + "&a_bogus=AAAAAAAAAAAAAAAA", headers=headers)
            other_agent = await http.get(url + good, headers={**headers, "User-Agent": "curl/8"})
            signed = await http.get(url + good, headers=headers)
        for refused in (missing, wrong, other_agent):
            assert (refused.status_code, refused.content) == (200, b"")
        assert signed.json()["data"]["data"][0]["status"] == 2
    finally:
        await fake.stop()
    lenient = FakeDouyinServer(strict=True, enter_needs_a_bogus=False)
    await lenient.start()
    try:
        lenient.add_room("100000000009")
        async with httpx.AsyncClient() as http:
            answer = await http.get(
                f"{base(lenient)}/webcast/room/web/enter/?web_rid=100000000009", headers={"Cookie": "ttwid=x"}
            )
        assert answer.json()["status_code"] == 0
    finally:
        await lenient.stop()


async def test_share_links_redirect_to_the_reflow_page_and_the_app_api_describes_the_room(
    fake: FakeDouyinServer,
) -> None:
    live = fake.add_room("100000000010", "7687741736843512602", title="直播中的房间", anchor_id="98870923112")
    ended = fake.add_room("100000000011", "7376083140344859455", live=False, anchor_id="2208256072094896")
    fake.add_share("iRNBho6u", live)
    fake.add_share("ended1", "100000000011")
    urls = fake.urls
    assert urls["douyin_share_url"] == f"{urls['douyin_live_url']}/v" and urls["douyin_reflow_url"] == base(fake)
    async with httpx.AsyncClient() as http:
        redirect = await http.get(f"{urls['douyin_share_url']}/iRNBho6u/")
        unknown = await http.get(f"{urls['douyin_share_url']}/nope/")
        info = (
            "/webcast/room/reflow/info/?type_id=0&live_id=1&room_id={}&sec_user_id=&version_code=99.99.99&app_id=6383"
        )
        live_info = (await http.get(urls["douyin_reflow_url"] + info.format(live.info.room_id))).json()
        ended_info = (await http.get(urls["douyin_reflow_url"] + info.format(ended.info.room_id))).json()
        missing_info = (await http.get(urls["douyin_reflow_url"] + info.format("1"))).json()
    assert redirect.status_code == 302 and unknown.status_code == 404
    assert redirect.headers["location"].startswith(
        "https://webcast.amemv.com/douyin/webcast/reflow/7687741736843512602?"
    )
    room = live_info["data"]["room"]
    assert (room["id_str"], room["status"], room["title"]) == ("7687741736843512602", 2, "直播中的房间")
    assert room["owner"]["web_rid"] == "100000000010" and live_info["status_code"] == 0
    assert ended_info["data"]["room"]["status"] == 4
    assert missing_info["status_code"] != 0


async def test_a_live_streamers_profile_page_embeds_the_room(fake: FakeDouyinServer) -> None:
    live = fake.add_room("100000000012", anchor_id="555", anchor_name="小猫主播")
    fake.add_room("100000000013", anchor_id="666", live=False)
    async with httpx.AsyncClient() as http:
        page = (await http.get(f"{fake.urls['douyin_www_url']}/user/MS4wLjABAAAA555")).text
        offline = (await http.get(f"{fake.urls['douyin_www_url']}/user/MS4wLjABAAAA666")).text
        unknown = await http.get(f"{fake.urls['douyin_www_url']}/user/MS4wLjABAAAAnobody")
    # The state is JSON inside a JS string (quotes escaped, as on the real page); roomData is JSON inside that.
    chunk = json.loads(re.search(r"self\.__pace_f\.push\(\[1,(\".*?\")\]\)", page).group(1))  # type: ignore[union-attr]
    user = json.loads(chunk.removeprefix("7:"))["user"]["user"]
    assert (user["roomIdStr"], user["nickname"]) == (live.info.room_id, "小猫主播")
    assert json.loads(user["roomData"])["owner"]["web_rid"] == "100000000012"
    assert '\\"roomIdStr\\":\\"0\\"' in offline and "roomData" not in offline
    assert unknown.status_code == 404


async def test_every_scenario_op_has_a_step_handler() -> None:
    assert set(STEP_HANDLERS) == set(OPS)
