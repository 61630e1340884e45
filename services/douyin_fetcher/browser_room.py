"""The browser transport: a room's own page in the worker's browser, its push frames read through DevTools.

The page opens the push socket itself (its SDK signs, its login cookies go along), acks and heartbeats on its own;
we only listen to the frames it receives (the DevTools ``Network.webSocketCreated`` / ``webSocketFrameReceived`` /
``webSocketClosed`` events, through ``shared/cdp.py``) and hand each one to the same decoder as our own WebSocket
client.
Around it: the page is kept awake with trusted input (the real page closes a socket after a while without user
activity), and what stops it from delivering becomes a ``PageFault`` with a named state and a Chinese reason:
a verification page, a crash of the page or the browser, a page gone idle, a silent socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from shared.browser import BrowserOwner
from shared.cdp import BrowserGone, CDPError, Page
from shared.platforms.douyin.account import DouyinAccount

__all__ = ["AccountCookies", "PageFault", "PageOptions", "RoomPage"]

log = logging.getLogger(__name__)

VERIFY_TITLE = "验证码中间页"
PUSH_PATH = "/webcast/im/push"


class PageFault(Exception):
    """The page cannot deliver: ``state`` names it (a room state), ``reason`` says why in Chinese."""

    def __init__(self, state: str, reason: str, *, min_delay: float = 0.0) -> None:
        super().__init__(reason)
        self.state = state
        self.reason = reason
        self.min_delay = min_delay


@dataclass(slots=True)
class PageOptions:
    open_timeout: float = 30.0
    # Trusted input this often; the real page pauses after minutes without activity, the fake after its setting.
    keepalive_interval: float = 60.0
    silence_timeout: float = 60.0
    verification_backoff: float = 300.0
    tick: float = 0.5
    # A stop lets the page's push socket go quiet (its acks of the last frames sent) before the page closes, for at
    # most close_grace: DevTools reports a frame before the page's script has handled and acked it.
    close_grace: float = 1.0
    close_quiet: float = 0.15


Prepare = Callable[[BrowserOwner], Awaitable[None]]  # before a page opens: e.g. the account's cookies in


class RoomPage:
    """One opening of a room's page: ``run()`` returns when ``abort()`` was called and raises ``PageFault`` when
    the page cannot deliver; the page is closed either way. A socket the page loses is its own to reopen (it keeps
    its cursor, so the server replays the gap); ``on_closed`` is asked each time whether that means a fault (an
    expired login), and a page that stays without frames for ``silence_timeout`` is one."""

    def __init__(
        self,
        owner: BrowserOwner,
        url: str,
        *,
        on_frame: Callable[[bytes], None],
        on_open: Callable[[], Awaitable[None]],
        options: PageOptions,
        on_closed: Callable[[], Awaitable[PageFault | None]] | None = None,
        prepare: Prepare | None = None,
        log_prefix: str = "",
    ) -> None:
        self.owner = owner
        self.url = url
        self._on_frame = on_frame
        self._on_open = on_open
        self._on_closed = on_closed
        self._checks: set[asyncio.Task[None]] = set()
        self.closes = 0
        self.options = options
        self._prepare = prepare
        self._log = log_prefix
        self._fault: PageFault | None = None
        self._done = asyncio.Event()
        self._opened = asyncio.Event()
        self._socket_closed = False
        self._push_sockets: set[str] = set()  # DevTools request ids of the page's push sockets
        self.last_frame = time.monotonic()
        self._last_sent = 0.0  # when the page last sent a frame on its push socket (its acks, heartbeats)
        self.frames = 0
        self.keepalives = 0
        self.page: Page | None = None

    def abort(self, reason: str = "") -> None:
        self._done.set()

    def _fail(self, fault: PageFault) -> None:
        if self._fault is None:
            self._fault = fault
        self._done.set()

    def _on_socket(self, request_id: str, url: str) -> None:
        if PUSH_PATH not in url:
            return
        self._push_sockets.add(request_id)
        self._socket_closed = False
        self._opened.set()

    def _on_sent(self, request_id: str) -> None:
        if request_id in self._push_sockets:
            self._last_sent = time.monotonic()

    def _on_socket_closed(self, request_id: str) -> None:
        if request_id in self._push_sockets:
            self._push_sockets.discard(request_id)
            self._closed()

    def _frame(self, request_id: str, payload: str | bytes) -> None:
        if request_id not in self._push_sockets:
            return
        if isinstance(payload, bytes):  # the push socket speaks binary protobuf; text frames are not ours
            self.frames += 1
            self.last_frame = time.monotonic()
            self._on_frame(payload)

    def _page_gone(self, error: CDPError) -> None:
        if self._done.is_set():  # closed by us
            return
        if isinstance(error, BrowserGone):
            self._fail(PageFault("browser_crashed", "浏览器意外退出，正在重新打开 (browser exited)"))
        else:  # closed from outside, e.g. the user closed the room's window
            self._fail(PageFault("page_crashed", "直播页面被关闭，正在重新打开 (page closed)"))

    def _closed(self) -> None:
        self._socket_closed = True
        self.closes += 1
        if self._on_closed is not None and not self._done.is_set():
            task = asyncio.get_running_loop().create_task(self._check_closed(self._on_closed))
            self._checks.add(task)
            task.add_done_callback(self._checks.discard)

    async def _check_closed(self, check: Callable[[], Awaitable[PageFault | None]]) -> None:
        try:
            fault = await check()
        except Exception:
            log.exception("%s socket close check failed", self._log)
            return
        if fault is not None:
            self._fail(fault)

    async def run(self) -> None:
        remove = self.owner.add_crash_listener(
            lambda: self._fail(PageFault("browser_crashed", "浏览器意外退出，正在重新打开 (browser exited)"))
        )
        try:
            page = await self.owner.new_page()
        except Exception:
            remove()
            raise
        self.page = page
        page.on_crash(lambda: self._fail(PageFault("page_crashed", "直播页面崩溃，正在重新打开 (page crashed)")))
        page.session.on_detached(self._page_gone)
        try:
            await page.watch_websockets(
                on_created=self._on_socket,
                on_frame=self._frame,
                on_closed=self._on_socket_closed,
                on_sent=self._on_sent,
            )
            if self._prepare is not None:
                await self._prepare(self.owner)
            await page.goto(self.url, wait_until="domcontentloaded", timeout=self.options.open_timeout)
            await self._check_verification(page)
            await self._wait_open(page)
            await self._on_open()
            await self._watch(page)
        except PageFault:
            raise
        except Exception as exc:
            if self._fault is not None:  # the browser or page died under us: say that, not the side effect
                raise self._fault from exc
            if isinstance(exc, CDPError):  # a load that timed out, a target closed under us
                detail = str(exc).splitlines()[0][:160]
                raise PageFault("page_crashed", f"直播页面出错，正在重新打开 (page error: {detail})") from exc
            raise
        finally:
            remove()
            for task in list(self._checks):
                task.cancel()
            if self._fault is None and self._push_sockets:
                await self._let_page_answer()
            with contextlib.suppress(Exception):
                await page.close()
        if self._fault is not None:
            raise self._fault

    async def _let_page_answer(self) -> None:
        """A stop comes right after the last frame we saw (e.g. the live's end), and the page's own acks of the last
        frames may not have gone out yet (they trail the DevTools events by a few to tens of milliseconds on a busy
        machine). Wait until the socket was quiet both ways for ``close_quiet``, at most ``close_grace``."""
        deadline = time.monotonic() + self.options.close_grace
        while self.frames and time.monotonic() < deadline:
            quiet = time.monotonic() - max(self.last_frame, self._last_sent)
            if quiet >= self.options.close_quiet:
                return
            await asyncio.sleep(min(self.options.close_quiet - quiet, max(deadline - time.monotonic(), 0.0)) + 0.005)

    async def _check_verification(self, page: Page) -> None:
        if VERIFY_TITLE in await page.title():
            raise PageFault(
                "verification",
                "抖音要求验证（验证码中间页）：请在浏览器中打开直播间完成验证，稍后自动重试 (verification page)",
                min_delay=self.options.verification_backoff,
            )

    async def _wait_open(self, page: Page) -> None:
        waiter = asyncio.ensure_future(self._opened.wait())
        stopper = asyncio.ensure_future(self._done.wait())
        try:
            await asyncio.wait({waiter, stopper}, timeout=self.options.open_timeout, return_when="FIRST_COMPLETED")
        finally:
            waiter.cancel()
            stopper.cancel()
        if self._fault is not None:
            raise self._fault
        if not self._opened.is_set() and not self._done.is_set():
            await self._check_verification(page)
            raise PageFault(
                "socket_silent",
                f"直播页面 {self.options.open_timeout:g} 秒内没有建立消息连接，正在重新打开 (no push socket)",
            )
        self.last_frame = time.monotonic()

    async def _watch(self, page: Page) -> None:
        last_input = time.monotonic()
        while not self._done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), self.options.tick)
            if self._done.is_set():
                break
            now = time.monotonic()
            if now - last_input >= self.options.keepalive_interval:
                await self._keep_awake(page)
                last_input = now
            if now - self.last_frame > self.options.silence_timeout:
                if await self._idle_banner(page):
                    raise PageFault("page_idle", "直播页面因长时间未操作暂停了直播，正在重新打开 (page went idle)")
                raise PageFault(
                    "socket_silent",
                    f"直播页面 {self.options.silence_timeout:g} 秒没有收到消息，正在重新打开 (silent socket)",
                )

    async def _keep_awake(self, page: Page) -> None:
        # Trusted input through CDP (Input.dispatchMouseEvent): the page counts it as the user's.
        try:
            width, height = await page.viewport()
            x = random.uniform(10, max(20, width - 10))
            y = random.uniform(10, max(20, height - 10))
            await page.mouse_move(x, y)
            await page.mouse_move(x + random.uniform(-5, 5), y + random.uniform(-5, 5))
            self.keepalives += 1
        except Exception as exc:
            log.debug("%s keep-awake input failed: %s", self._log, exc)

    async def _idle_banner(self, page: Page) -> bool:
        with contextlib.suppress(Exception):
            return bool(await page.evaluate("!!document.getElementById('idle_banner')"))
        return False

    def stats(self) -> dict[str, Any]:
        return {"page_frames": self.frames, "keepalives": self.keepalives, "page_socket_closes": self.closes}


_SESSION_COOKIES = re.compile(r"^(sessionid|sessionid_ss|sid_tt|sid_guard|uid_tt|uid_tt_ss)$")


class AccountCookies:
    """Keeps the browser's cookie jar in step with the account before a page opens: an imported cookie string is
    put in (a login made in this browser is there already), and after a logout the session cookies go."""

    def __init__(self, account: Callable[[], DouyinAccount | None], live_url: str) -> None:
        self._account = account
        self._live_url = live_url.rstrip("/")
        self._applied: tuple[int, int, int] | None = None

    def _place(self) -> dict[str, Any]:
        host = urlsplit(self._live_url).hostname or ""
        if host == "douyin.com" or host.endswith(".douyin.com"):
            return {"domain": ".douyin.com", "path": "/"}  # the push socket's host must get them too
        return {"url": f"{self._live_url}/"}

    async def __call__(self, owner: BrowserOwner) -> None:
        try:
            account = self._account()
        except Exception:
            log.exception("account could not be read for the browser")
            return
        # Once per browser start (a new browser reads its profile afresh) and per saved account.
        key = (id(owner), owner.starts, account.saved_at_ms if account is not None and account.logged_in else 0)
        if key == self._applied:
            return
        if account is not None and account.logged_in:
            place = self._place()
            await owner.add_cookies(
                [{"name": name, "value": value, **place} for name, value in account.cookies.items()]
            )
        else:
            await owner.clear_cookies(name=_SESSION_COOKIES)
        self._applied = key
