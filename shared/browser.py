"""One installed Chromium-family browser (Chrome, Edge or Chromium) per owner, driven over the DevTools protocol.

The owner starts the browser process itself, as a child that dies with this process (``shared/procs.py``:
parent-death signal from a thread that never exits, its own process group), with ``--remote-debugging-port=0``, reads
the chosen port and path from ``<profile>/DevToolsActivePort`` and talks to it with the project's own CDP client
(``shared/cdp.py``): no driver process of its own, and the browser is never downloaded. The profile directory keeps
the user's login between runs. The browser starts on first use, starts again after a crash (page owners hear of a
crash through ``add_crash_listener`` and reopen their pages), and ``close()`` stops it in stages: ``Browser.close``
over CDP first (the browser writes its cookies out), then SIGTERM, then SIGKILL to its process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shared.cdp import BrowserGone, CDPError, Connection, Page
from shared.errors import ConfigError
from shared.procs import signal_group, spawn_lasting

__all__ = [
    "BrowserLaunch",
    "BrowserNotFound",
    "BrowserOwner",
    "BrowserStartError",
    "NoDisplay",
    "Page",
    "cookie_matches",
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
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def _read_endpoint(port_file: Path) -> str | None:
    """``ws://127.0.0.1:<port>/devtools/browser/<id>`` from DevToolsActivePort (port, then path), once written."""
    try:
        lines = port_file.read_text().splitlines()
        port, path = int(lines[0]), lines[1].strip()
    except (OSError, ValueError, IndexError):
        return None
    if not port or not path.startswith("/devtools/browser/"):
        return None
    return f"ws://127.0.0.1:{port}{path}"


def cookie_matches(cookie: dict[str, Any], url: str) -> bool:
    """Whether the browser would send ``cookie`` (a ``Storage.getCookies`` entry) with a request to ``url``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    domain = str(cookie.get("domain", "")).lower()
    if domain.startswith("."):
        if host != domain[1:] and not host.endswith(domain):
            return False
    elif host != domain:
        return False
    path = str(cookie.get("path") or "/")
    request_path = parts.path or "/"
    if not (request_path == path or request_path.startswith(path if path.endswith("/") else path + "/")):
        return False
    # Secure cookies go over https only; browsers treat this machine as secure too.
    return not cookie.get("secure") or parts.scheme in ("https", "wss") or host in _LOCAL_HOSTS


def _cookie_param(cookie: dict[str, Any]) -> dict[str, Any]:
    """A ``Storage.getCookies`` entry as a ``Storage.setCookies`` parameter that recreates it as it was."""
    domain, path = str(cookie["domain"]), str(cookie.get("path") or "/")
    param: dict[str, Any] = {"name": cookie["name"], "value": cookie["value"], "path": path}
    if domain.startswith("."):
        param["domain"] = domain
    else:  # host-only: given as a URL, or the browser would widen it to a domain cookie
        param["url"] = f"{'https' if cookie.get('secure') else 'http'}://{domain}{path}"
    for key in ("secure", "httpOnly", "sameSite", "priority"):
        if key in cookie:
            param[key] = cookie[key]
    if not cookie.get("session", False) and float(cookie.get("expires", -1)) > 0:
        param["expires"] = cookie["expires"]
    return param


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
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._listeners: list[CrashListener] = []
        self._closing = False
        self.starts = 0  # how many times a browser was started (a restart after a crash counts)
        self.crashes = 0
        self.last_stop = ""  # how the last browser stopped: "Browser.close", "SIGTERM" or "SIGKILL"

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None and self._conn is not None and not self._conn.closed

    def add_crash_listener(self, callback: CrashListener) -> Callable[[], None]:
        """Called (on the event loop) when the browser dies or disconnects unasked. Answers a remover."""
        self._listeners.append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return remove

    async def start(self) -> Connection:
        """The DevTools connection, starting the browser first when it is not running (or no longer is)."""
        async with self._lock:
            if self._closing:
                raise RuntimeError("浏览器已关闭 (browser owner closed)")
            if self._conn is not None and self.running:
                return self._conn
            await self._teardown()
            return await self._start()

    async def new_page(self, *, visible: bool = False) -> Page:
        """A new page in a window of its own: shown for the user (login), else minimised (rooms, signing)."""
        conn = await self.start()
        try:
            page = await Page.create(conn, new_window=not self.headless, background=not visible)
            if not self.headless:
                with contextlib.suppress(CDPError):  # window placement is cosmetic
                    browser = conn.browser()
                    window = await browser.send("Browser.getWindowForTarget", {"targetId": page.target_id})
                    state = "normal" if visible else "minimized"
                    await browser.send(
                        "Browser.setWindowBounds", {"windowId": window["windowId"], "bounds": {"windowState": state}}
                    )
                if visible:
                    await page.bring_to_front()
        except CDPError as exc:  # the browser went away meanwhile: it starts again on the next use
            raise BrowserStartError(f"浏览器不可用，无法打开页面 (cannot open a page): {exc}") from exc
        return page

    async def cookies(self, urls: str | Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The profile's cookies (``Storage.getCookies``), only those sent to one of ``urls`` when given."""
        conn = await self.start()
        answer = await conn.browser().send("Storage.getCookies")
        found = [dict(c) for c in answer.get("cookies", [])]
        if urls is None:
            return found
        wanted = [urls] if isinstance(urls, str) else list(urls)
        return [c for c in found if any(cookie_matches(c, url) for url in wanted)]

    async def add_cookies(self, cookies: list[dict[str, Any]]) -> None:
        """Put cookies in the profile: each with ``name``, ``value`` and a ``url`` or a ``domain`` and ``path``."""
        if not cookies:
            return
        conn = await self.start()
        await conn.browser().send("Storage.setCookies", {"cookies": cookies})

    async def clear_cookies(self, *, name: re.Pattern[str] | None = None) -> None:
        """Remove every cookie, or those whose name matches ``name`` (the others are put back as they were)."""
        conn = await self.start()
        browser = conn.browser()
        kept: list[dict[str, Any]] = []
        if name is not None:
            answer = await browser.send("Storage.getCookies")
            kept = [c for c in answer.get("cookies", []) if not name.search(str(c.get("name", "")))]
        await browser.send("Storage.clearCookies")
        if kept:
            await browser.send("Storage.setCookies", {"cookies": [_cookie_param(c) for c in kept]})

    async def close(self) -> None:
        """Stop the browser: ask it to close, then SIGTERM, then SIGKILL its whole process group."""
        async with self._lock:
            self._closing = True
            await self._teardown()

    async def _start(self) -> Connection:
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
            conn = await Connection.connect(endpoint, timeout=START_TIMEOUT_S)
        except (CDPError, OSError, TimeoutError, RuntimeError) as exc:
            await self._teardown()
            raise BrowserStartError(f"浏览器启动失败 (browser failed to start): {exc}") from exc
        self._conn = conn
        conn.on_close(lambda: self._on_disconnected(conn))
        self._watcher = asyncio.get_running_loop().create_task(self._watch(proc, conn), name="browser-watch")
        self.log.info("browser started pid=%s kind=%s headless=%s", proc.pid, launch.kind, self.headless)
        return conn

    async def _wait_endpoint(self, proc: subprocess.Popen[bytes], port_file: Path) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"浏览器进程已退出 (exit {proc.returncode})")
            endpoint = await asyncio.to_thread(_read_endpoint, port_file)
            if endpoint:
                return endpoint
            await asyncio.sleep(0.1)
        raise TimeoutError("浏览器未在规定时间内开放调试端口 (no DevTools port)")

    async def _watch(self, proc: subprocess.Popen[bytes], conn: Connection) -> None:
        # A browser that dies is not always noticed by the DevTools socket at once (a renderer-less exit).
        while proc.poll() is None and not conn.closed:  # noqa: ASYNC110 - a Popen has no awaitable exit
            await asyncio.sleep(1.0)
        self._on_disconnected(conn)

    def _on_disconnected(self, conn: Connection) -> None:
        if conn is not self._conn or self._closing:
            return
        self._conn = None
        self.crashes += 1
        self.log.warning("browser gone pid=%s; it starts again on next use", self._proc.pid if self._proc else None)
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:
                self.log.exception("browser crash listener failed")

    async def _teardown(self) -> None:
        conn, proc, watcher = self._conn, self._proc, self._watcher
        self._conn = None
        self._proc = None
        self._watcher = None
        if watcher is not None and watcher is not asyncio.current_task():
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        asked = False
        if conn is not None and not conn.closed:
            # Asked to close, the browser writes its cookies and session out; its answer may not come before the
            # socket closes.
            try:
                await conn.browser().send("Browser.close", timeout=CLOSE_WAITS_S[0])
                asked = True
            except BrowserGone:
                asked = True
            except CDPError as exc:
                self.log.info("browser did not take Browser.close: %s", exc)
            await conn.close()
        elif conn is not None:
            await conn.close()
        if proc is not None:
            await self._stop_process(proc, asked=asked)

    async def _stop_process(self, proc: subprocess.Popen[bytes], *, asked: bool = True) -> None:
        started = time.monotonic()
        how = "SIGKILL"
        for wait, sig in zip(CLOSE_WAITS_S, (None, signal.SIGTERM, signal.SIGKILL), strict=True):
            if sig is None and not asked:
                # Not asked over CDP (no connection): the browser process alone first, it ends its own helpers.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
            elif sig is not None:
                signal_group(proc.pid, int(sig))
            if await _exited(proc, wait):
                how = "Browser.close" if sig is None and asked else "SIGTERM" if sig != signal.SIGKILL else "SIGKILL"
                break
        self.last_stop = how
        self.log.info("browser stopped pid=%s by %s in %.1fs", proc.pid, how, time.monotonic() - started)
        # The browser's own children (zygote, renderers) share its group: none may stay behind.
        signal_group(proc.pid, int(signal.SIGKILL))
