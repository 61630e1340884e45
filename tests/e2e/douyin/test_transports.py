"""Real rooms (#11): the direct and the browser transport against the strict fake, with the real headless Chromium.

The same scripted live through either transport gives the same events, each once, gift sums exact (logged in); a
guest gets chats only; page signing satisfies the strict handshake and web/enter's a_bogus; each fault becomes its
named room state and recovers.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from services.douyin_fetcher.client import EXPIRED_REASON, GUEST_REASON, ClientOptions, RoomClient
from services.douyin_fetcher.fake_server import FakeDouyinServer, load_scenario
from services.douyin_fetcher.fake_server.scenario import Scenario
from services.douyin_fetcher.rooms import RoomManager
from services.douyin_fetcher.site_page import SitePage
from shared.browser import BrowserOwner
from shared.config import Settings
from shared.platforms.douyin.account import DouyinAccount, load_account, parse_cookie_string, save_account
from shared.platforms.douyin.errors import EmptyAnswer
from shared.platforms.douyin.resolve import RoomResolver
from shared.retry import constant

from .conftest import Collector

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

CHROMIUM = os.environ.get("TIMAO_TEST_CHROMIUM", "/usr/bin/chromium")
SCENARIO = Path(__file__).resolve().parents[3] / "services/douyin_fetcher/fake_server/scenarios/showcase.jsonl"
ROOM = "148108118778"
GIFT_TRUTH = {"小心心": 6, "玫瑰": 66, "跑车": 2, "粉丝团灯牌": 1}


@dataclass
class Rig:
    fake: FakeDouyinServer
    home: Path
    owner: BrowserOwner
    emit: Collector

    def login(self) -> None:
        cookies = parse_cookie_string(self.fake.issue_login("测试主播小助手"))
        save_account(self.home, DouyinAccount(cookies, "测试主播小助手", "cookie"))

    def rooms(self, transport: str, *, stall: float = 4.0, **settings: Any) -> RoomManager:
        options = ClientOptions(
            heartbeat_interval=0.5, stall_timeout=stall, open_timeout=5.0, device_blocked_backoff=0.2
        )
        options.page.keepalive_interval = settings.pop("keepalive", 0.5)
        options.page.verification_backoff = 0.5
        config = Settings(home=self.home, **self.fake.urls, douyin_transport=transport, **settings)
        return RoomManager.from_settings(
            config,
            self.emit,
            browser=self.owner,
            account=lambda: load_account(self.home),
            options=options,
            retry_policy=constant(0.3),
        )


@pytest_asyncio.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    fake = FakeDouyinServer(strict=True, idle_timeout=5.0)  # strict: signature and web/enter's a_bogus checked
    await fake.start()
    owner = BrowserOwner(tmp_path / "browser", choice=CHROMIUM, headless=True)
    try:
        yield Rig(fake, tmp_path / "home", owner, Collector())
    finally:
        await owner.close()
        await fake.stop()


async def wait_for(check: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.1)


def states(emit: Collector, session_id: str) -> list[str]:
    return [e["data"]["state"] for e in emit.of("service", session_id) if "state" in e["data"]]


def delivered(emit: Collector, session_id: str) -> list[tuple[Any, ...]]:
    """What a room delivered, without the parts that differ per run (ids, times, service events)."""
    out = []
    for e in emit.events:
        if e["session_id"] != session_id or e["type"] in ("service",):
            continue
        data = e["data"]
        user = e.get("user") or {}
        out.append((e["type"], user.get("nickname"), data.get("content"), data.get("gift_name"), data.get("delta")))
    return out


async def play_showcase(rig: Rig, transport: str, web_rid: str = ROOM) -> tuple[RoomClient, str]:
    room = rig.fake.load_scenario(load_scenario(SCENARIO), web_rid)
    rooms = rig.rooms(transport)
    try:
        session = await rooms.start(web_rid)
        client = rooms.get(session)
        await asyncio.wait_for(client.join(), 150)
        await room.wait_done(30)  # the script may still be playing its end when the client has seen it (slow CI)
    finally:
        await rooms.stop_all()
    return client, session


async def test_the_same_live_through_both_transports(rig: Rig) -> None:
    rig.login()
    direct, s1 = await play_showcase(rig, "direct")
    browser, s2 = await play_showcase(rig, "browser", "148108118779")  # the same script again, from its start

    scenario = load_scenario(SCENARIO)
    truth = [e["content"] for e in scenario.events() if e["kind"] in ("chat", "screen_chat")]
    for client, session in ((direct, s1), (browser, s2)):
        status = client.status()
        assert status["state"] == "ended" and status["logged_in"] is True and status["reason"] == ""
        assert [e["data"]["content"] for e in rig.emit.of("chat", session)] == truth  # each once, in order
        gifts: Counter[str] = Counter()
        for e in rig.emit.of("gift", session):
            gifts[e["data"]["gift_name"]] += e["data"]["delta"]
        assert gifts == GIFT_TRUTH
        ids = [e["msg_id"] for e in rig.emit.events if e["session_id"] == session and e["type"] != "service"]
        assert len(ids) == len(set(ids))
    assert direct.status()["transport"] == "direct" and browser.status()["transport"] == "browser"
    assert Counter(delivered(rig.emit, s1)) == Counter(delivered(rig.emit, s2))
    assert browser.stats.acks_sent == 0 and rig.fake.observed.unacked() == set()  # the page acked for itself


async def test_a_guest_gets_chats_only_and_the_status_says_why(rig: Rig) -> None:
    rig.fake.load_scenario(load_scenario(SCENARIO))
    rooms = rig.rooms("direct")
    try:
        session = await rooms.start(ROOM)
        client = rooms.get(session)
        await asyncio.wait_for(client.join(), 150)
    finally:
        await rooms.stop_all()
    assert rig.emit.of("chat", session) and not rig.emit.of("gift", session)
    masked = [e for e in rig.emit.of("chat", session) if e["user"].get("masked")]
    assert masked and "*" in masked[0]["user"]["nickname"]
    status = client.status()
    assert status["logged_in"] is False and status["reason"] == GUEST_REASON == "未登录：礼物与昵称不可见"


async def test_page_signing_satisfies_the_strict_fake(rig: Rig) -> None:
    # Without the page neither works: web/enter is refused empty, and an unsigned handshake is DEVICE_BLOCKED.
    async with RoomResolver(rig.fake.urls["douyin_live_url"], rig.fake.urls["douyin_www_url"]) as plain:
        with pytest.raises(EmptyAnswer):
            await plain.enter(ROOM)
    rig.login()
    rig.fake.load_scenario(load_scenario(SCENARIO))
    rooms = rig.rooms("direct")  # no sign.js in the home, no signer set: the page signs
    assert isinstance(rooms.site, SitePage)
    try:
        session = await rooms.start(ROOM)
        client = rooms.get(session)
        await wait_for(lambda: client.stats.connects > 0, what="a direct connection")
        assert rooms.site.signatures > 0 and rooms.site.fetches > 0  # frontierSign, and web/enter through fetch
        accepted = [c for c in rig.fake.observed.accepted if c.params.get("signature")]
        assert accepted and accepted[0].logged_in  # the account's cookies went with the handshake
        assert client.status()["transport"] == "direct"
    finally:
        await rooms.stop_all()


async def test_auto_moves_a_refused_room_to_the_browser(rig: Rig) -> None:
    rig.login()
    rig.fake.load_scenario(load_scenario(SCENARIO))
    rooms = rig.rooms("auto", douyin_signer="none")  # unsigned: the strict fake refuses our own socket
    try:
        session = await rooms.start(ROOM)
        client = rooms.get(session)
        await wait_for(lambda: client.transport == "browser" and client.stats.connects > 0, what="the browser")
        status = client.status()
        assert status["transport"] == "browser" and "DEVICE_BLOCKED" in status["transport_reason"]
        await wait_for(lambda: bool(rig.emit.of("gift", session)), what="a gift through the page")
    finally:
        await rooms.stop_all()


def ticker(n: int, every: float) -> Scenario:
    steps: list[dict[str, Any]] = []
    for i in range(n):
        steps.append(
            {
                "op": "frame",
                "events": [{"kind": "chat", "user": {"id": 20000 + i, "nickname": f"观众{i}"}, "content": f"第{i}条"}],
            }
        )
        steps.append({"op": "sleep", "s": every})
    return Scenario(room={"web_rid": ROOM, "title": "故障演练", "anchor_name": "猫老师"}, steps=steps)


async def start_browser_room(rig: Rig, **kwargs: Any) -> tuple[RoomManager, RoomClient, str]:
    rooms = rig.rooms("browser", **kwargs)
    session = await rooms.start(ROOM)
    client = rooms.get(session)
    await wait_for(lambda: client.state.value == "connected", what="connected")
    return rooms, client, session


async def test_verification_page_is_a_named_state_and_recovers(rig: Rig) -> None:
    rig.login()
    rig.fake.load_scenario(ticker(400, 0.2))
    rig.fake.verification = True
    rooms = rig.rooms("browser")
    try:
        session = await rooms.start(ROOM)
        client = rooms.get(session)
        await wait_for(lambda: "verification" in states(rig.emit, session), what="verification state")
        assert "验证码中间页" in client.stats.last_error
        rig.fake.verification = False
        await wait_for(lambda: client.state.value == "connected", what="recovered")
        await wait_for(lambda: bool(rig.emit.of("chat", session)), what="chats after verification")
    finally:
        await rooms.stop_all()


async def test_expired_login_is_a_named_state_and_goes_on_as_a_guest(rig: Rig) -> None:
    rig.login()
    rig.fake.load_scenario(ticker(600, 0.2))
    rooms, client, session = await start_browser_room(rig)
    try:
        assert client.status()["logged_in"] is True
        rig.fake.expire_logins()
        await wait_for(lambda: "login_expired" in states(rig.emit, session), what="login_expired")
        status = client.status()
        assert status["logged_in"] is False and status["reason"] == EXPIRED_REASON
        before = len(rig.emit.of("chat", session))
        await wait_for(lambda: len(rig.emit.of("chat", session)) > before + 2, what="chats as a guest")
    finally:
        await rooms.stop_all()


async def test_a_killed_browser_is_a_named_state_and_comes_back(rig: Rig) -> None:
    rig.fake.load_scenario(ticker(600, 0.2))
    rooms, client, session = await start_browser_room(rig)
    try:
        first = rig.owner.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await wait_for(lambda: "browser_crashed" in states(rig.emit, session), what="browser_crashed")
        await wait_for(lambda: client.state.value == "connected" and rig.owner.pid not in (None, first), what="back")
        before = len(rig.emit.of("chat", session))
        await wait_for(lambda: len(rig.emit.of("chat", session)) > before, what="chats after the restart")
        await asyncio.wait_for(rooms.stop_all(), 30)  # stopping a room closes its page, which never ends by itself
        assert client.state.value == "stopped" and not client.is_running
    finally:
        await rooms.stop_all()


async def test_an_idle_page_is_kept_awake_or_reopened(rig: Rig) -> None:
    rig.fake.page_idle_timeout = 2.0
    rig.fake.load_scenario(ticker(600, 0.2))
    # Kept awake: trusted input every 0.5 s, so the page never pauses across several idle timeouts.
    rooms, client, session = await start_browser_room(rig)
    try:
        await asyncio.sleep(7.0)
        assert "page_idle" not in states(rig.emit, session) and client.state.value == "connected"
        assert client._page is not None and client._page.keepalives > 0
    finally:
        await rooms.stop_all()
    # Without input the page pauses the live: a named state, then a fresh page.
    rig.emit.events.clear()
    rooms, client, session = await start_browser_room(rig, keepalive=3600.0, stall=2.5)
    try:
        await wait_for(lambda: "page_idle" in states(rig.emit, session), what="page_idle")
        assert "长时间未操作" in client.stats.last_error
        await wait_for(lambda: states(rig.emit, session)[-1] == "connected", what="reopened")
    finally:
        await rooms.stop_all()


async def test_a_login_reaches_running_rooms_at_once(rig: Rig) -> None:
    gifts = [
        {
            "op": "frame",
            "events": [
                {
                    "kind": "gift",
                    "user": {"id": 50000 + i, "nickname": f"送礼{i}"},
                    "gift_id": 463,
                    "name": "小心心",
                    "diamonds": 1,
                    "combo": False,
                    "group_id": 0,
                    "repeat_count": 1,
                }
            ],
        }
        for i in range(300)
    ]
    steps: list[dict[str, Any]] = []
    for step in gifts:
        steps += [step, {"op": "sleep", "s": 0.2}]
    rig.fake.load_scenario(Scenario(room={"web_rid": ROOM, "title": "登录", "anchor_name": "猫老师"}, steps=steps))
    rooms = rig.rooms("direct")
    try:
        session = await rooms.start(ROOM)
        client = rooms.get(session)
        await wait_for(lambda: client.state.value == "connected", what="connected as a guest")
        await asyncio.sleep(1.5)
        assert client.status()["logged_in"] is False and not rig.emit.of("gift", session)
        rig.login()
        rooms.account_changed()  # what douyin.account_changed does in the fetcher
        await wait_for(lambda: client.status()["logged_in"] is True, what="logged in")
        await wait_for(lambda: bool(rig.emit.of("gift", session)), what="gifts after the login")
        assert client.status()["reason"] == ""
    finally:
        await rooms.stop_all()


async def test_no_browser_installed_fails_the_room_with_what_to_install(rig: Rig, tmp_path: Path) -> None:
    rig.fake.load_scenario(ticker(50, 0.2))
    rig.owner = BrowserOwner(tmp_path / "nobrowser", choice=str(tmp_path / "no-such-chrome"), headless=True)
    rooms = rig.rooms("auto")  # page signing, then the browser transport: neither can start
    try:
        session = await rooms.start(ROOM)
        client = rooms.get(session)
        await asyncio.wait_for(client.join(), 60)
        status = client.status()
        assert status["state"] == "failed" and "请安装" in status["error"] and "Chromium" in status["error"]
        assert states(rig.emit, session)[-1] == "failed"
    finally:
        await rooms.stop_all()
