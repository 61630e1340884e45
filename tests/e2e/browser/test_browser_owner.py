"""shared/browser.py and shared/cdp.py over the real Debian Chromium, headless: lazy start, restart after a crash, no
orphan ever, a stop that lets the browser write its cookies, and a crashed or closed page told apart from a dead
browser."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.browser import CLOSE_WAITS_S, BrowserNotFound, BrowserOwner, locate_browser
from shared.cdp import BrowserGone, CommandTimeout, TargetCrashed, TargetDetached

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("TIMAO_TEST_CHROMIUM", "/usr/bin/chromium")


def browser_processes(group: int | None, profile: Path) -> list[int]:
    """Live processes in the browser's process group or naming the profile (zombies do not count)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, pgid = fields[0], int(fields[2])
        if state == "Z":
            continue
        if (group is not None and pgid == group) or str(profile) in cmdline:
            found.append(int(entry.name))
    return found


def wait_gone(group: int | None, profile: Path, timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    left = browser_processes(group, profile)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = browser_processes(group, profile)
    return left


def test_locate_browser_by_path_and_refusal(tmp_path: Path) -> None:
    assert locate_browser(CHROMIUM).executable == CHROMIUM
    with pytest.raises(BrowserNotFound) as err:
        locate_browser(str(tmp_path / "no-such-browser"))
    assert "请安装" in str(err.value) and "Chromium" in str(err.value)
    assert isinstance(err.value, RuntimeError)


async def test_lazy_start_restart_after_kill_and_clean_close(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    owner = BrowserOwner(profile, choice=CHROMIUM, headless=True)
    assert owner.pid is None and not browser_processes(None, profile)  # nothing starts before first use
    crashed = asyncio.Event()
    owner.add_crash_listener(crashed.set)
    try:
        page = await owner.new_page()
        first = owner.pid
        assert first is not None
        await page.goto("data:text/html,<title>one</title>")
        assert await page.title() == "one"
        assert oct(profile.stat().st_mode & 0o777) == "0o700"

        os.kill(first, signal.SIGKILL)
        await asyncio.wait_for(crashed.wait(), 30)
        page = await owner.new_page()  # starts again
        second = owner.pid
        assert second is not None and second != first
        await page.goto("data:text/html,<title>two</title>")
        assert await page.title() == "two"
        assert owner.starts == 2 and owner.crashes == 1
        assert not await asyncio.to_thread(wait_gone, first, Path("/nonexistent"))  # the first one's children too
    finally:
        await owner.close()
    assert owner.pid is None
    assert not await asyncio.to_thread(wait_gone, second, profile, 5.0)


async def test_close_asks_the_browser_first_so_its_cookies_are_on_disk(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    site = "http://127.0.0.1:9/"
    owner = BrowserOwner(profile, choice=CHROMIUM, headless=True)
    try:
        expires = time.time() + 3600
        await owner.add_cookies([{"name": "kept", "value": "一直在", "url": site, "expires": expires}])
        await owner.add_cookies(
            [{"name": "other", "value": "x", "domain": ".example.com", "path": "/", "expires": expires}]
        )
        group = owner.pid
        started = time.monotonic()
    finally:
        await owner.close()
    # Browser.close ended it (no signal needed) and soon: cookies are written out on that path.
    assert owner.last_stop == "Browser.close" and time.monotonic() - started < CLOSE_WAITS_S[0]
    assert not await asyncio.to_thread(wait_gone, group, profile, 5.0)

    again = BrowserOwner(profile, choice=CHROMIUM, headless=True)
    try:
        kept = {c["name"]: c["value"] for c in await again.cookies(site)}
        assert kept == {"kept": "一直在"}  # read back from the profile by a new browser; .example.com not sent here
        await again.clear_cookies(name=re.compile("^kept$"))
        assert [c["name"] for c in await again.cookies()] == ["other"]
    finally:
        await again.close()


async def test_a_crashed_page_a_closed_page_and_a_dead_browser_are_told_apart(tmp_path: Path) -> None:
    owner = BrowserOwner(tmp_path / "profile", choice=CHROMIUM, headless=True)
    try:
        page = await owner.new_page()
        await page.goto("data:text/html,<title>crash</title>")
        crashed = asyncio.Event()
        page.on_crash(crashed.set)
        with pytest.raises((TargetCrashed, CommandTimeout)):
            await page.session.send("Page.crash", timeout=5)  # the renderer dies; no answer comes
        await asyncio.wait_for(crashed.wait(), 10)
        with pytest.raises(TargetCrashed):
            await page.evaluate("1")
        assert not page.is_closed() and owner.running  # the browser lives on
        await page.close()

        closed = await owner.new_page()
        await (await owner.start()).browser().send("Target.closeTarget", {"targetId": closed.target_id})
        for _ in range(100):
            if closed.is_closed():
                break
            await asyncio.sleep(0.05)
        assert closed.is_closed() and type(closed.closed_error) is TargetDetached
        with pytest.raises(TargetDetached):
            await closed.evaluate("1")

        last = await owner.new_page()
        assert await last.evaluate("(a, b) => a * b", 6, 7) == 42
        pid = owner.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(BrowserGone):
            for _ in range(100):
                await last.evaluate("1")
                await asyncio.sleep(0.05)
        assert last.is_closed() and isinstance(last.closed_error, BrowserGone)
    finally:
        await owner.close()


OWNER_SCRIPT = """
import asyncio, sys
from pathlib import Path
from shared.browser import BrowserOwner

async def main():
    owner = BrowserOwner(Path(sys.argv[1]), choice=sys.argv[2], headless=True)
    # started from a worker thread's loop would be the trap: the keeper thread must hold the child
    page = await owner.new_page()
    await page.goto("data:text/html,<title>ok</title>")
    print(owner.pid, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_kill_9_of_the_owner_leaves_no_browser(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    script = tmp_path / "owner.py"
    script.write_text(OWNER_SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(profile), CHROMIUM],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()
        browser_pid = int(line)
        assert browser_processes(browser_pid, profile)
        proc.kill()
        proc.wait(10)
        left = wait_gone(browser_pid, profile)
        assert not left, f"browser processes outlived their owner: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
