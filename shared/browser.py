"""One installed Chromium-family browser (Chrome, Edge or Chromium) per owner, driven through Playwright over CDP.

The owner starts the browser process itself, as a child that dies with this process (``shared/procs.py``:
parent-death signal from a thread that never exits, its own process group), then attaches Playwright with
``connect_over_cdp``. Playwright's own launcher is not used: its browser would outlive a kill -9 of its owner, and
it expects browsers downloaded by ``playwright install``, which the product never does. The profile directory
keeps the user's login between runs. The browser starts on first use, starts again after a crash (page owners
hear of a crash through ``add_crash_listener`` and reopen their pages), and ``close()`` stops it in stages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.errors import ConfigError
from shared.procs import signal_group, spawn_lasting

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Playwright

__all__ = [
    "BrowserLaunch",
    "BrowserNotFound",
    "BrowserOwner",
    "BrowserStartError",
    "NoDisplay",
    "has_display",
    "locate_browser",
]

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0
CLOSE_WAITS_S = (5.0, 3.0, 2.0)  # Browser.close, then SIGTERM, then SIGKILL to the group


class BrowserNotFound(ConfigError, RuntimeError):
    def __init__(self, detail: str) -> None:
        super().__init__(
            f"找不到可用的浏览器：{detail}。请安装 Google Chrome、Microsoft Edge 或 Chromium，"
            "或用 TIMAO_BROWSER 指定浏览器程序的路径。"
            f" (No browser found: {detail}. Install Google Chrome, Microsoft Edge or Chromium, "
            "or point TIMAO_BROWSER at a Chromium-family executable.)"
        )


class NoDisplay(BrowserNotFound):
    """A visible browser was asked for on a Linux machine without a screen (a server, a container, CI)."""

    def __init__(self) -> None:
        ConfigError.__init__(
            self,
            "没有图形界面，无法打开可见的浏览器窗口；在服务器上请设置 TIMAO_BROWSER_HEADLESS=1 "
            "(no display for a visible browser window: set TIMAO_BROWSER_HEADLESS=1 on a server)",
        )


def has_display() -> bool:
    """Whether a visible browser window can open: always off Linux, else when X11 or Wayland is reachable."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class BrowserStartError(RuntimeError):
    """The browser was found but did not start or could not be attached (transient: try again later)."""


@dataclass(frozen=True)
class BrowserLaunch:
    executable: str
    kind: str  # "chrome", "msedge", "chromium" or "path"


def _candidates(kind: str) -> list[str]:
    """Where each browser installs itself, per platform; names are also looked up on PATH."""
    if sys.platform == "win32":
        roots = [os.environ.get(v, "") for v in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")]
        rel = {
            "chrome": r"Google\Chrome\Application\chrome.exe",
            "msedge": r"Microsoft\Edge\Application\msedge.exe",
            "chromium": r"Chromium\Application\chrome.exe",
        }[kind]
        return [str(Path(root) / rel) for root in roots if root]
    if sys.platform == "darwin":
        app = {
            "chrome": "Google Chrome.app/Contents/MacOS/Google Chrome",
            "msedge": "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
            "chromium": "Chromium.app/Contents/MacOS/Chromium",
        }[kind]
        return [f"/Applications/{app}", str(Path.home() / "Applications" / app)]
    return {
        "chrome": ["google-chrome", "google-chrome-stable", "/opt/google/chrome/chrome"],
        "msedge": ["microsoft-edge", "microsoft-edge-stable", "/opt/microsoft/msedge/msedge"],
        "chromium": ["chromium", "chromium-browser", "/usr/bin/chromium", "/snap/bin/chromium"],
    }[kind]


def _find(kind: str) -> str | None:
    for candidate in _candidates(kind):
        found = shutil.which(candidate) if os.sep not in candidate and "/" not in candidate else None
        if found:
            return found
        path = Path(candidate)
        if path.is_absolute() and path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None


def locate_browser(choice: str | None = None) -> BrowserLaunch:
    """``choice`` (else ``TIMAO_BROWSER``): ``chrome``, ``msedge``, ``chromium`` or an executable's path; unset: the
    first of Chrome, Edge, Chromium that is installed. Never downloads one."""
    choice = (choice or os.environ.get("TIMAO_BROWSER") or "").strip() or None
    if choice is None:
        for kind in ("chrome", "msedge", "chromium"):
            found = _find(kind)
            if found:
                return BrowserLaunch(found, kind)
        raise BrowserNotFound("未检测到 Chrome、Edge 或 Chromium")
    if choice.lower() in ("chrome", "msedge", "chromium"):
        kind = choice.lower()
        found = _find(kind)
        if found is None:
            raise BrowserNotFound(f"TIMAO_BROWSER={choice}，但未安装该浏览器")
        return BrowserLaunch(found, kind)
    path = Path(choice).expanduser()
    if path.is_file() and os.access(path, os.X_OK):
        return BrowserLaunch(str(path), "path")
    found = shutil.which(choice)
    if found:
        return BrowserLaunch(found, "path")
    raise BrowserNotFound(f"TIMAO_BROWSER={choice} 不是可执行的浏览器程序")


def browser_args(profile_dir: Path, *, headless: bool) -> list[str]:
    args = [
        "--remote-debugging-port=0",  # the chosen port is written to <profile>/DevToolsActivePort
        "--remote-debugging-address=127.0.0.1",
        f"--user-data-dir={profile_dir}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-default-apps",
        "--disable-sync",
        "--password-store=basic",
        "--use-mock-keychain",
        # Room pages sit minimised or in the background; their timers must keep running at full rate.
        "--disable-background-timer-throttling",
        "--disable-backgrounding-occluded-windows",
        "--disable-renderer-backgrounding",
        "--disable-features=Translate,MediaRouter,CalculateNativeWinOcclusion",
        # The product reads the push frames, not the stream: no sound, no video until someone clicks.
        "--mute-audio",
        "--autoplay-policy=user-gesture-required",
    ]
    if headless:
        args.append("--headless=new")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox (containers, CI)
    return [*args, "about:blank"]


CrashListener = Callable[[], None]


def _read_port(port_file: Path) -> int | None:
    try:
        return int(port_file.read_text().splitlines()[0]) or None
    except (OSError, ValueError, IndexError):
        return None


async def _exited(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    # A Popen has no awaitable exit; a short poll is cheap next to a browser start or stop.
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    return proc.poll() is not None


class BrowserOwner:
    """The one browser of a process (a worker, or ``timao login``), on a profile of its own."""

    def __init__(
        self,
        profile_dir: Path,
        *,
        choice: str | None = None,
        headless: bool = False,
        logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    ) -> None:
        self.profile_dir = Path(profile_dir)
        self.choice = choice
        # TIMAO_BROWSER_HEADLESS=1 wins over a caller's default: tests and servers have no screen.
        self.headless = headless or os.environ.get("TIMAO_BROWSER_HEADLESS", "").strip() in ("1", "true", "yes")
        self.log = logger or log
        self._lock = asyncio.Lock()
        self._page_lock = asyncio.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._pw: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._listeners: list[CrashListener] = []
        self._closing = False
        self.starts = 0  # how many times a browser was started (a restart after a crash counts)
        self.crashes = 0

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None and self._browser is not None and self._browser.is_connected()

    def add_crash_listener(self, callback: CrashListener) -> Callable[[], None]:
        """Called (on the event loop) when the browser dies or disconnects unasked. Answers a remover."""
        self._listeners.append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return remove

    async def context(self) -> BrowserContext:
        """The profile's context, starting the browser first when it is not running (or no longer is)."""
        async with self._lock:
            if self._closing:
                raise RuntimeError("浏览器已关闭 (browser owner closed)")
            if self._context is not None and self.running:
                return self._context
            await self._teardown()
            return await self._start()

    async def new_page(self, *, visible: bool = False) -> Page:
        """A new page in a window of its own: shown for the user (login), else minimised (rooms, signing)."""
        context = await self.context()
        if self.headless:
            return await context.new_page()
        async with self._page_lock:  # the page event below must be ours
            assert self._browser is not None
            cdp = await self._browser.new_browser_cdp_session()
            try:
                async with context.expect_page() as info:
                    created = await cdp.send(
                        "Target.createTarget", {"url": "about:blank", "newWindow": True, "background": not visible}
                    )
                page = await info.value
                with contextlib.suppress(Exception):  # window placement is cosmetic
                    window = await cdp.send("Browser.getWindowForTarget", {"targetId": created["targetId"]})
                    state = "normal" if visible else "minimized"
                    await cdp.send(
                        "Browser.setWindowBounds", {"windowId": window["windowId"], "bounds": {"windowState": state}}
                    )
            finally:
                with contextlib.suppress(Exception):
                    await cdp.detach()
        if visible:
            await page.bring_to_front()
        return page

    async def cookies(self, urls: str | Iterable[str] | None = None) -> list[dict[str, Any]]:
        context = await self.context()
        if urls is None:
            return [dict(c) for c in await context.cookies()]
        return [dict(c) for c in await context.cookies(urls if isinstance(urls, str) else list(urls))]

    async def close(self) -> None:
        """Stop the browser: ask it to close, then SIGTERM, then SIGKILL its whole process group."""
        async with self._lock:
            self._closing = True
            await self._teardown()

    async def _start(self) -> BrowserContext:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import async_playwright

        launch = locate_browser(self.choice)
        if not self.headless and not has_display():
            raise NoDisplay()  # a headful browser would only exit at once with a bare status
        self.profile_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        port_file = self.profile_dir / "DevToolsActivePort"
        port_file.unlink(missing_ok=True)
        # A browser killed hard leaves its profile lock behind; ours is the only process on this profile.
        for lock in ("SingletonLock", "SingletonSocket", "SingletonCookie"):
            with contextlib.suppress(OSError):
                (self.profile_dir / lock).unlink()
        argv = [launch.executable, *browser_args(self.profile_dir, headless=self.headless)]
        proc = await asyncio.wrap_future(
            spawn_lasting(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
        self._proc = proc
        self.starts += 1
        try:
            endpoint = await self._wait_endpoint(proc, port_file)
            if self._pw is None:
                self._pw = await async_playwright().start()
            browser = await self._pw.chromium.connect_over_cdp(endpoint, timeout=START_TIMEOUT_S * 1000)
        except (PlaywrightError, OSError, TimeoutError, RuntimeError) as exc:
            await self._teardown()
            raise BrowserStartError(f"浏览器启动失败 (browser failed to start): {exc}") from exc
        self._browser = browser
        self._context = browser.contexts[0] if browser.contexts else await browser.new_context()
        browser.on("disconnected", lambda _b: self._on_disconnected(browser))
        asyncio.get_running_loop().create_task(self._watch(proc, browser))
        self.log.info("browser started pid=%s kind=%s headless=%s", proc.pid, launch.kind, self.headless)
        return self._context

    async def _wait_endpoint(self, proc: subprocess.Popen[bytes], port_file: Path) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"浏览器进程已退出 (exit {proc.returncode})")
            port = await asyncio.to_thread(_read_port, port_file)
            if port:
                return f"http://127.0.0.1:{port}"
            await asyncio.sleep(0.1)
        raise TimeoutError("浏览器未在规定时间内开放调试端口 (no DevTools port)")

    async def _watch(self, proc: subprocess.Popen[bytes], browser: Browser) -> None:
        # A browser that dies is not always noticed by the CDP connection at once (a renderer-less exit).
        while proc.poll() is None and browser.is_connected():  # noqa: ASYNC110 - a Popen has no awaitable exit
            await asyncio.sleep(1.0)
        self._on_disconnected(browser)

    def _on_disconnected(self, browser: Browser) -> None:
        if browser is not self._browser or self._closing:
            return
        self._browser = None
        self._context = None
        self.crashes += 1
        self.log.warning("browser gone pid=%s; it starts again on next use", self._proc.pid if self._proc else None)
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:
                self.log.exception("browser crash listener failed")

    async def _teardown(self) -> None:
        browser, proc = self._browser, self._proc
        self._browser = None
        self._context = None
        self._proc = None
        asked = False
        if browser is not None and browser.is_connected():
            with contextlib.suppress(Exception):
                cdp = await browser.new_browser_cdp_session()
                await asyncio.wait_for(cdp.send("Browser.close"), timeout=CLOSE_WAITS_S[0])
                asked = True
            with contextlib.suppress(Exception):
                await browser.close()
        if proc is not None:
            # Not asked over CDP (Playwright's node driver shares its owner's process group, so a supervisor's
            # SIGTERM to that group ends the driver first): SIGTERM the browser at once rather than wait for a close
            # nobody asked for, past the supervisor's grace period (the owner was SIGKILLed at 5 s). Chromium then
            # exits without writing cookies of its last ~30 s; the Douyin account file keeps the login itself.
            await self._stop_process(proc, asked=asked)
        if self._closing and self._pw is not None:
            pw, self._pw = self._pw, None
            with contextlib.suppress(Exception):
                await pw.stop()

    async def _stop_process(self, proc: subprocess.Popen[bytes], *, asked: bool = True) -> None:
        for wait, sig in zip(CLOSE_WAITS_S, (None, signal.SIGTERM, signal.SIGKILL), strict=True):
            if sig is None and not asked:
                # The browser process alone first: it ends its own helper processes.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
            elif sig is not None:
                signal_group(proc.pid, int(sig))
            if await _exited(proc, wait):
                break
        # The browser's own children (zygote, renderers) share its group: none may stay behind.
        signal_group(proc.pid, int(signal.SIGKILL))
