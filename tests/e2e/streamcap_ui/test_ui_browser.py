"""The Flet UI in headless Chromium (Debian's package): served by StreamCap's real HTTP app, in Chinese, offline,
opened the way a user opens it (the sign-in form, then the app on its session cookie).

Flutter draws on a canvas, so the texts are read from its semantics (accessibility) tree; the screenshots under
``test-artifacts/streamcap-ui/`` are for a person to look at (Chinese glyphs, not tofu boxes).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest

from services.streamcap.repository import RoomRecord
from services.streamcap.synthetic import Mode, SyntheticConfig, SyntheticLive
from services.streamcap.ui.mount import FONT_FILE, FONTS_URL

from .cdp import Tab, chromium, click_label, have_chromium, image_stats, wait_for_names
from .conftest import ARTIFACTS, TOKEN, UiServer

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _chromium_present() -> None:
    # `make test` installs Debian's chromium (scripts/install-test-deps.sh); without it this test cannot run.
    assert have_chromium(), "chromium is not installed: run `make system-deps` (apt-get install chromium)"


DURATION = re.compile(r"\b\d+:\d\d:\d\d\b")


def _durations(names: list[str]) -> list[str]:
    return sorted({m for n in names for m in DURATION.findall(n)})


async def _until(tab: Tab, expression: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await tab.evaluate(expression):
        if time.monotonic() > deadline:
            seen = await tab.evaluate("location.href + ' | ' + document.body.innerText.slice(0, 300)")
            raise AssertionError(f"not true within {timeout}s: {expression}; page: {seen}; statuses: {tab.status}")
        await asyncio.sleep(0.2)


async def _sign_in(tab: Tab, server: UiServer) -> None:
    """As a user does: the UI asks for the token first; typed into its form, it opens the app."""
    await tab.navigate(server.url + "/")
    await _until(tab, "document.querySelector('form[action=\"/ui/login\"] input[name=token]') !== null")
    assert tab.status.get(server.url + "/") == 401
    assert await tab.evaluate("document.querySelector('flt-glass-pane, flutter-view') === null"), "app shown signed out"
    form = f"(() => {{ const f = document.forms[0]; f.token.value = {json.dumps(TOKEN)}; f.submit(); return 1; }})()"
    await tab.evaluate(form)
    await _until(tab, "document.querySelector('form[action=\"/ui/login\"]') === null && location.pathname === '/'")
    assert await tab.evaluate("document.cookie") == "", "the session cookie must be HttpOnly"


async def _walk_pages(devtools: str, server: UiServer) -> None:
    tab = await Tab.open(devtools)
    try:
        await tab.viewport(1280, 800)
        await _sign_in(tab, server)

        # 直播间: the room added below, with its live state
        names = await wait_for_names(tab, ["直播间", "录制", "存储", "设置", "添加直播间", "小猫咪的直播间", "录制中"])
        assert any("直播中 · 录制中" in n for n in names), names
        rooms_png = await tab.screenshot(ARTIFACTS / "rooms.png")

        # 录制: state, duration, size and speed move by themselves (polled every second)
        await click_label(tab, "录制")
        names = await wait_for_names(tab, ["正在录制 1 个", "测试主播", "录制中"])
        first = _durations(names)
        await asyncio.sleep(2.5)
        later = _durations(await wait_for_names(tab, ["正在录制 1 个"]))
        assert first and later and later != first, (first, later)
        await tab.screenshot(ARTIFACTS / "recordings.png")

        # 存储: the recordings folder's sub-folders
        await click_label(tab, "存储")
        await wait_for_names(tab, ["录制目录", "测试主播", "手动整理", "磁盘可用"])
        await tab.screenshot(ARTIFACTS / "storage.png")

        # 设置: the manager's settings
        await click_label(tab, "设置")
        await wait_for_names(tab, ["分段时长 (秒)", "最多同时录制", "保存设置"])
        await tab.screenshot(ARTIFACTS / "settings.png")

        font_url = f"{server.url}{FONTS_URL}/{FONT_FILE}"
        assert tab.status.get(font_url) == 200, {u: s for u, s in tab.status.items() if "font" in u}
        assert tab.sent_off_machine() == [], "the page reached beyond 127.0.0.1"
        assert any(u.startswith(f"ws://127.0.0.1:{server.port}/ui/ws") for u in tab.requests), tab.requests

        # Last, as it opens a second tab (a hidden tab's Flutter app stops drawing): the screenshot is not blank.
        stats = await image_stats(devtools, rooms_png)
        assert (stats["width"], stats["height"]) == (1280, 800), stats
        assert stats["background"] < 0.995 and stats["colors"] > 50 and stats["dark"] > 0.0005, stats
    finally:
        await tab.close()


def test_ui_renders_chinese_offline(ui_server: UiServer, tmp_path: Path) -> None:
    manager = ui_server.worker.manager
    live = SyntheticLive(SyntheticConfig(mode=Mode.STEADY, hls=False, cache_dir=tmp_path / "synthetic"))
    live.start()
    try:
        assert live.urls is not None
        room = manager.add_room(
            RoomRecord(
                id="",
                platform="direct",
                url=live.urls.flv,
                name="小猫咪的直播间",
                windows=["00:00-23:59"],
                auto_record=True,
            )
        )
        # What the room monitor does when it sees the room live (the monitor itself is not running here).
        manager.start_recording("direct", live.urls.flv, name="测试主播", room_id=room.id)
        (manager.root / "手动整理").mkdir(parents=True, exist_ok=True)
        with chromium() as devtools:
            asyncio.run(_walk_pages(devtools, ui_server))
    finally:
        manager.shutdown(15)
        live.stop()
