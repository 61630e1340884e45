"""The fake Douyin server's room page in the real Debian Chromium, headless (docs/protocol/douyin.md §7.6): its own
push client signs with frontierSign and passes the strict handshake, receives and acks frames, heartbeats, signs its
fetches with a_bogus, logs in through the QR panel, notices an expired login, and closes after the idle timeout
without user activity. Driven through the product's own DevTools client (shared/browser.py, shared/cdp.py)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from services.douyin_fetcher.fake_server import FakeDouyinServer, load_scenario
from services.douyin_fetcher.fake_server.signing import reference_signature
from shared.browser import BrowserOwner
from shared.cdp import Page
from shared.platforms.douyin.signer import x_ms_stub

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("TIMAO_TEST_CHROMIUM", "/usr/bin/chromium")
CHAT = {"kind": "chat", "user": {"anonymous": True}, "content": "主播好"}
GIFT = {"kind": "gift", "user": {"id": 7, "nickname": "送礼的人"}, "gift_id": 463, "name": "小心心", "diamonds": 1}
IDLE_S = 6.0


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDouyinServer]:
    server = FakeDouyinServer(strict=True, page_idle_timeout=IDLE_S, idle_timeout=25.0)
    await server.start()
    yield server
    await server.stop()


@dataclass
class Tab:
    owner: BrowserOwner
    page: Page


@pytest_asyncio.fixture
async def tab(tmp_path: Path) -> AsyncIterator[Tab]:
    owner = BrowserOwner(tmp_path / "profile", choice=CHROMIUM, headless=True)
    try:
        yield Tab(owner, await owner.new_page())
    finally:
        await owner.close()


async def push_state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = await page.evaluate("() => ({...window.__fakePush})")
    return state


async def wait_selector(page: Page, selector: str, timeout: float) -> None:
    await page.wait_for_function(f"!!document.querySelector({json.dumps(selector)})", timeout=timeout)


async def inner_text(page: Page, selector: str) -> str:
    return str(await page.evaluate("sel => document.querySelector(sel).innerText", selector))


async def test_the_room_page_signs_connects_acks_logs_in_and_pauses_when_idle(fake: FakeDouyinServer, tab: Tab) -> None:
    page = tab.page
    frames: list[dict[str, Any]] = [{"op": "frame", "events": [CHAT, GIFT]}, {"op": "sleep", "s": 0.2}] * 4
    room = fake.load_scenario(load_scenario([{"op": "sleep", "s": 1.0}, *frames, {"op": "wait_acks"}]), "200000000001")
    await page.goto(f"{fake.urls['douyin_live_url']}/200000000001", wait_until="load")  # the challenge page reloads
    await page.wait_for_function("window.__fakePush && window.__fakePush.acks >= 4", timeout=30)
    await room.wait_done()
    assert await page.title() == room.info.title

    # The strict handshake accepted the page's own signature, over the real parameters.
    guest = fake.observed.accepted[0]
    assert not fake.observed.rejected and not guest.logged_in
    assert guest.params["user_unique_id"] == room.user_unique_id and guest.params["room_id"] == room.info.room_id
    state = await push_state(page)
    assert state["stub"] == x_ms_stub(guest.params)  # the page's own md5 over the real parameters
    assert guest.params["signature"] == state["signature"] == reference_signature(state["stub"])
    sign = await page.evaluate("window.byted_acrawler.frontierSign({'X-MS-STUB': 'abc123'})")
    assert sign == {"X-Bogus": reference_signature("abc123")}

    # Every need_ack frame acked; as a guest, no gift ever reached the page.
    assert not fake.observed.unacked() and len(fake.observed.acks) >= 4
    assert state["methods"] == ["WebcastChatMessage"] * 4

    # The page's fetch adds a_bogus, which the strict web/enter demands.
    enter = await page.evaluate("fetch('/webcast/room/web/enter/?aid=6383&web_rid=200000000001').then(r => r.json())")
    assert enter["data"]["data"][0]["id_str"] == room.info.room_id
    async with httpx.AsyncClient() as http:
        unsigned = await http.get(
            f"{fake.urls['douyin_live_url']}/webcast/room/web/enter/?aid=6383&web_rid=200000000001",
            headers={"Cookie": "ttwid=x"},
        )
    assert unsigned.content == b""

    # The QR panel: a simulated scan logs the page in; it reloads and its new socket carries the session.
    await wait_selector(page, "#login_qrcode[data-token]", 10)
    async with httpx.AsyncClient() as http:
        scanned = await http.post(f"{fake.urls['douyin_live_url']}/__fake__/login/scan", json={"nickname": "页面登录"})
    assert scanned.json() == {"ok": True}
    await wait_selector(page, "#login_state[data-logged-in='1']", 15)
    assert await inner_text(page, "#login_state") == "页面登录"
    site = fake.urls["douyin_live_url"] + "/"
    assert {"sessionid", "sessionid_ss", "uid_tt"} <= {c["name"] for c in await tab.owner.cookies(site)}
    await page.wait_for_function("window.__fakePush && window.__fakePush.state === 'connected'", timeout=15)
    assert fake.observed.accepted[-1].logged_in

    # The login expires: the server closes the logged-in socket; the page notices, offers the login again and
    # watches on as a guest.
    async with httpx.AsyncClient() as http:
        await http.post(f"{fake.urls['douyin_live_url']}/__fake__/login/expire")
    await wait_selector(page, "#login_state[data-logged-in='0']", 15)
    await wait_selector(page, "#login_qrcode[data-token]", 10)
    await page.wait_for_function("window.__fakePush.state === 'connected'", timeout=15)
    assert not fake.observed.accepted[-1].logged_in

    # No trusted activity: the page closes its socket after the idle timeout and says so.
    await wait_selector(page, "#idle_banner", IDLE_S * 4)
    assert await inner_text(page, "#idle_banner") == "长时间未操作，直播已暂停"
    state = await push_state(page)
    assert state["idle"] and state["state"] == "idle"
    await asyncio.sleep(0.5)
    assert all(c.closed_at is not None for c in fake.observed.accepted)


async def test_synthetic_events_do_not_keep_the_page_awake_and_real_activity_does(
    fake: FakeDouyinServer, tab: Tab
) -> None:
    page = tab.page
    fake.add_room("200000000002")
    await page.goto(f"{fake.urls['douyin_live_url']}/200000000002", wait_until="load")
    await page.wait_for_function("window.__fakePush && window.__fakePush.state === 'connected'", timeout=30)
    # Script-made events are not trusted: the real page ignores them, so the page still pauses.
    await page.evaluate("setInterval(() => window.dispatchEvent(new MouseEvent('mousemove')), 300)")
    await wait_selector(page, "#idle_banner", IDLE_S * 4)
    # A real (trusted) mouse move (Input.dispatchMouseEvent) brings the live back.
    await page.mouse_move(50, 50)
    await page.mouse_move(80, 90)
    await page.wait_for_function("window.__fakePush.state === 'connected'", timeout=15)
    assert await page.evaluate("document.querySelector('#idle_banner') === null")
    assert len(fake.observed.accepted) == 2
    # Kept awake by real activity, the page heartbeats every 10 s like the real one, and the server answers.
    for _ in range(12):
        await page.mouse_move(60 + _, 60)
        await asyncio.sleep(1.0)
    assert fake.observed.heartbeats >= 1
    assert (await push_state(page))["heartbeat_replies"] >= 1
