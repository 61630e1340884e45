"""The browser transport through the whole suite (#11): a room's page in the fetcher's browser, its status over the
API, and no browser process left after ``timao stop`` or a kill -9 of the fetcher that owns it."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from services.douyin_fetcher.fake_server.scenario import Scenario
from tests.e2e.harness import FAST_ROOM_CONFIG, FakeDouyinThread, Suite

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CHROMIUM = os.environ.get("TIMAO_TEST_CHROMIUM", "/usr/bin/chromium")
ROOM = "148108118790"


def ticker(n: int) -> Scenario:
    steps: list[dict[str, Any]] = []
    for i in range(n):
        event = {"kind": "chat", "user": {"id": 30000 + i, "nickname": f"观众{i}"}, "content": f"第{i}条"}
        steps += [{"op": "frame", "events": [event]}, {"op": "sleep", "s": 0.3}]
    return Scenario(room={"web_rid": ROOM, "title": "浏览器直播间", "anchor_name": "猫老师"}, steps=steps)


def browsers_of(profile: Path) -> list[int]:
    """Live processes of a browser on ``profile``: the ones naming it, and everything in their process groups."""
    found: set[int] = set()
    groups: set[int] = set()
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if any(str(profile) in part for part in proc.info["cmdline"] or []):
                found.add(proc.pid)
                groups.add(os.getpgid(proc.pid))
        except (psutil.Error, ProcessLookupError):
            continue
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) in groups:
                found.add(proc.pid)
        except (psutil.Error, ProcessLookupError):
            continue
    return sorted(found)


def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out: {what}")


def room_status(suite: Suite) -> dict[str, Any] | None:
    try:
        sessions = suite.get("/api/douyin/status").json()["sessions"]
    except (httpx.HTTPError, KeyError, ValueError):
        return None
    return next((s for s in sessions if s["live_id"] == ROOM and s["state"] == "connected"), None)


def test_browser_rooms_leave_no_browser_behind(fake: FakeDouyinThread, tmp_path: Path) -> None:
    home = tmp_path / "home"
    fake.login(home)
    fake.load(ticker(2000))
    env = fake.suite_env()
    env.update(TIMAO_DOUYIN_TRANSPORT="browser", TIMAO_BROWSER=CHROMIUM, TIMAO_BROWSER_HEADLESS="1")
    suite = Suite(home, extra_env=env).start()
    profile = home / "browser" / "douyin"
    try:
        suite.wait_running(90)
        started = httpx.post(
            suite.base_url + "/api/douyin/start",
            json={"live_id": ROOM, "config": FAST_ROOM_CONFIG},
            headers=suite.auth,
            timeout=30,
        )
        assert started.status_code == 200, started.text
        assert started.json()["transport"] == "browser"
        status = eventually(lambda: room_status(suite), 120, "the room connected through its page")
        assert status["transport"] == "browser" and status["logged_in"] is True and status["reason"] == ""
        first = eventually(lambda: browsers_of(profile), 10, "the fetcher's browser")

        # kill -9 of the fetcher: its browser goes with it; the restarted fetcher adopts the room in a new one.
        fetcher = suite.status()["services"]["douyin_fetcher"]["pid"]
        os.kill(fetcher, signal.SIGKILL)
        eventually(lambda: not [p for p in browsers_of(profile) if p in first], 20, "the old browser gone")
        suite.wait_running(90, exclude_pids={"douyin_fetcher": fetcher})
        eventually(lambda: room_status(suite), 120, "the room back through a new page")
        assert browsers_of(profile)
    finally:
        suite.stop()
    # timao stop (SIGTERM to the launcher) stops the fetcher, which closes its browser: asked over DevTools first
    # (Browser.close), so the browser writes its cookies out; no driver process of ours to be signalled first.
    left = eventually(lambda: not browsers_of(profile) or None, 20, "no browser after the suite stopped")
    assert left is True
    fetcher_log = (home / "logs" / "douyin_fetcher.log").read_text(encoding="utf-8", errors="replace")
    stops = [line for line in fetcher_log.splitlines() if "browser stopped" in line]
    assert stops and "by Browser.close" in stops[-1], stops
