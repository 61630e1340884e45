"""Log in to Douyin in a real browser window (#11): the user scans the site's QR code as usual; we only watch.

The window shows the live site in the account's own browser profile (``$TIMAO_HOME/browser/douyin``, owned by a
``shared/browser.BrowserOwner``). The login is noticed when the site's session cookie (``sessionid``) appears among the
profile's cookies; the nickname comes from the site's account endpoint, asked through the page's own ``fetch`` (so the
site's script signs the request as it does for itself), else directly with the cookies. The window then closes and the
caller saves the account (``account.save_account``).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from shared.platforms.douyin.account import (
    ACCOUNT_ENDPOINT,
    SESSION_COOKIE,
    DouyinAccount,
    fetch_account_nickname,
    read_account_answer,
)
from shared.platforms.douyin.constants import AID, USER_AGENT
from shared.platforms.douyin.errors import UpstreamError

if TYPE_CHECKING:
    from shared.browser import BrowserOwner
    from shared.cdp import Page

__all__ = ["LoginCancelled", "LoginFailed", "LoginTimeout", "login_in_browser"]

log = logging.getLogger(__name__)

POLL_S = 1.0
NAVIGATION_TIMEOUT_S = 30.0
# The site's header button that opens its QR login panel (the fake's is #login_button), else a button saying 登录.
_LOGIN_BUTTONS: tuple[tuple[str, str | None], ...] = (("#login_button", None), ("button", "登录"))

Progress = Callable[[str], Awaitable[None] | None]


class LoginFailed(RuntimeError):
    """The login did not happen; the message (Chinese first) says why."""


class LoginTimeout(LoginFailed):
    pass


class LoginCancelled(LoginFailed):
    pass


async def _say(on_progress: Progress | None, message: str) -> None:
    log.info("douyin login: %s", message)
    if on_progress is None:
        return
    result = on_progress(message)
    if inspect.isawaitable(result):
        await result


def _session_cookies(cookies: list[dict[str, Any]]) -> dict[str, str]:
    return {str(c["name"]): str(c["value"]) for c in cookies if c.get("name") and c.get("value") is not None}


async def _open_login_panel(page: Page) -> None:
    """Click the site's login button so that the QR code shows at once (best effort: the user can click it too)."""
    for selector, text in _LOGIN_BUTTONS:
        with contextlib.suppress(Exception):
            if await page.click_selector([selector], text=text):  # a trusted click, as the user's
                return


async def _account_from_page(page: Page) -> tuple[bool, str | None, str | None] | None:
    """Ask the account endpoint through the page's own fetch; None when the page could not."""
    script = """async (url) => {
        const r = await fetch(url, {credentials: "include"});
        return await r.text();
    }"""
    try:
        text = await page.evaluate(script, f"{ACCOUNT_ENDPOINT}?aid={AID}")
    except Exception as exc:  # a navigation in between, a closed page: the direct request is the fallback
        log.info("douyin login: page fetch of the account failed (%s)", type(exc).__name__)
        return None
    try:
        body = json.loads(text)
    except (TypeError, ValueError):
        return None
    return read_account_answer(body)


async def _ask_account(page: Page, base: str, cookies: dict[str, str]) -> tuple[bool, str | None, str | None]:
    """Who the session belongs to: through the page's own fetch, else directly with the browser's user agent."""
    answer = None if page.is_closed() else await _account_from_page(page)
    if answer is not None and answer[0]:
        return answer
    user_agent = USER_AGENT  # the browser's own when it still tells: the site sees the same client
    with contextlib.suppress(Exception):
        found = await page.evaluate("navigator.userAgent")
        if isinstance(found, str) and found:
            user_agent = found
    try:
        return await fetch_account_nickname(base, cookies, user_agent=user_agent)
    except UpstreamError as exc:
        raise LoginFailed(f"已登录，但无法读取账号信息：{exc}") from None


async def login_in_browser(
    owner: BrowserOwner,
    live_url: str,
    *,
    timeout_s: float,
    on_progress: Progress | None = None,
    known: DouyinAccount | None = None,
) -> DouyinAccount:
    """Open a visible window on the live site, wait until the user has logged in, read the nickname, close the
    window and answer the account (``source="browser"``).

    ``known``: the saved account, whose cookies go into the browser first (a browser stopped hard may not have
    written a login of its last seconds to its profile); a session the site no longer accepts is removed and the
    user logs in again. Raises ``LoginTimeout`` when no login came within ``timeout_s``, ``LoginCancelled`` when the
    user closed the window, and ``shared.browser.BrowserNotFound`` when no browser is installed.
    """
    base = live_url.rstrip("/")
    await _say(on_progress, "正在打开登录窗口…")
    if known is not None and known.logged_in:
        present = _session_cookies(await owner.cookies([base + "/"]))
        if not present.get(SESSION_COOKIE):
            await owner.add_cookies([{"name": k, "value": v, "url": base + "/"} for k, v in known.cookies.items()])
    page = await owner.new_page(visible=True)
    try:
        try:
            await page.goto(base + "/", wait_until="domcontentloaded", timeout=NAVIGATION_TIMEOUT_S)
        except Exception as exc:
            raise LoginFailed(f"无法打开抖音直播网站 {base}：{type(exc).__name__}") from None
        deadline = time.monotonic() + timeout_s
        rejected: set[str] = set()  # sessions the site said are not (or no longer) logged in
        asked = False
        while True:
            cookies = _session_cookies(await owner.cookies([base + "/"]))
            session = cookies.get(SESSION_COOKIE, "")
            if session and session not in rejected:
                await _say(on_progress, "已检测到登录，正在读取账号信息…")
                logged_in, nickname, user_id = await _ask_account(page, base, cookies)
                if logged_in:
                    break
                rejected.add(session)
                log.info("douyin login: the browser's session is not logged in (expired?); asking for a new login")
                await owner.clear_cookies()
                with contextlib.suppress(Exception):
                    await page.reload(wait_until="domcontentloaded", timeout=NAVIGATION_TIMEOUT_S)
                asked = False
                continue
            if not asked:
                await _open_login_panel(page)
                await _say(on_progress, "请在打开的窗口中用抖音 App 扫码登录")
                asked = True
            if page.is_closed():
                raise LoginCancelled("登录窗口已被关闭，未登录")
            if time.monotonic() >= deadline:
                raise LoginTimeout(f"等待登录超时（{int(timeout_s)} 秒），请重试")
            await asyncio.sleep(POLL_S)
        account = DouyinAccount(cookies=cookies, nickname=nickname, source="browser", user_id=user_id)
        await _say(on_progress, f"登录成功：{nickname or '（未读到昵称）'}")
        return account
    finally:
        if not page.is_closed():
            with contextlib.suppress(Exception):
                await page.close()
