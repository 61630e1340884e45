"""The fetcher's account commands (#11): ``douyin.login`` and ``douyin.logout`` (models: shared/commands/douyin.py).

While the suite runs, the fetcher owns the browser on the account's profile (``$TIMAO_HOME/browser/douyin``), so a
login window opens here: ``douyin.login`` starts it and answers at once; how it goes is kept under
``LOGIN_STATE_KEY`` in Redis for the gateway's ``GET /api/douyin/account``. ``douyin.logout`` empties the running
browser's cookies and the live site's storage (removing the files under a running browser would not log it out, and
it would write them back), then clears the account. After either, the rooms hear of it (``on_changed``) and
reconnect with the new cookies, or as guests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import orjson
from redis import asyncio as aioredis

from shared.browser import BrowserNotFound, BrowserOwner
from shared.bus import TRANSIENT
from shared.commands import Empty
from shared.commands.douyin import LoginParams, LoginResult
from shared.platforms.douyin.account import LOGIN_STATE_KEY, clear_account, load_account, save_account
from shared.platforms.douyin.login import LoginFailed, login_in_browser

__all__ = ["AccountCommands"]

log = logging.getLogger(__name__)

DEFAULT_LOGIN_TIMEOUT_S = 300.0
MAX_LOGIN_TIMEOUT_S = 1800.0
RESULT_TTL_S = 3600  # how long a finished login's outcome stays readable


class AccountCommands:
    def __init__(
        self,
        home: Path,
        live_url: str,
        *,
        owner: Callable[[], BrowserOwner],
        redis: Callable[[], aioredis.Redis],
        on_changed: Callable[[], Awaitable[None]],
    ) -> None:
        self.home = home
        self.live_url = live_url
        self._owner = owner
        self._redis = redis
        self._on_changed = on_changed
        self._task: asyncio.Task[None] | None = None

    @property
    def login_running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def login(self, params: LoginParams) -> LoginResult:
        if self.login_running:
            return LoginResult(login_pending=True)  # one window at a time; a second click finds the first
        timeout_s = min(max(params.timeout_s or DEFAULT_LOGIN_TIMEOUT_S, 1.0), MAX_LOGIN_TIMEOUT_S)
        await self._state(pending=True, error=None, ttl_s=int(timeout_s) + 120)
        self._task = asyncio.create_task(self._run_login(timeout_s), name="douyin-login")
        return LoginResult(login_pending=True)

    async def _run_login(self, timeout_s: float) -> None:
        error: str | None = None
        try:
            known = await asyncio.to_thread(load_account, self.home)
            account = await login_in_browser(self._owner(), self.live_url, timeout_s=timeout_s, known=known)
            await asyncio.to_thread(save_account, self.home, account)
            log.info("douyin login done (%s)", "nickname read" if account.nickname else "no nickname")
        except (LoginFailed, BrowserNotFound) as exc:
            error = str(exc)
        except asyncio.CancelledError:
            error = "登录已取消（服务正在停止）"
            raise
        except Exception as exc:  # the browser failed to start or died: say so, never leave "pending"
            log.exception("douyin login failed")
            error = f"登录失败：{type(exc).__name__}: {exc}"
        finally:
            with contextlib.suppress(*TRANSIENT):
                await self._state(pending=False, error=error, ttl_s=RESULT_TTL_S)
        if error is None:
            await self._changed()
        else:
            log.warning("douyin login failed: %s", error)

    async def logout(self, _params: Empty) -> Empty:
        if self.login_running and self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        owner = self._owner()
        if owner.running:
            try:
                await self._forget_in_browser(owner)
            except Exception as exc:  # a browser dying meanwhile forgets nothing it had not written
                log.warning("douyin logout: the browser's cookies not cleared: %s", type(exc).__name__)
        await asyncio.to_thread(clear_account, self.home, wipe_profile=not owner.running)
        log.info("douyin account logged out")
        await self._changed()
        return Empty()

    async def _forget_in_browser(self, owner: BrowserOwner) -> None:
        """What the running browser keeps of the login: every cookie, and the live site's storage."""
        await owner.clear_cookies()
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.live_url))
        page = await owner.new_page()
        try:
            await page.session.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
        finally:
            await page.close()

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _changed(self) -> None:
        try:
            await self._on_changed()
        except Exception:
            log.exception("rooms not told of the account change")

    async def _state(self, *, pending: bool, error: str | None, ttl_s: int) -> None:
        payload = orjson.dumps({"pending": pending, "error": error})
        await self._redis().set(LOGIN_STATE_KEY, payload, ex=ttl_s)
