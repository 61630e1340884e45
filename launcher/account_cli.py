"""``timao login douyin [--cookie-file FILE]`` and ``timao logout douyin`` (#11).

With the suite running, both go through the gateway (the same door the UI uses): the login window then opens in the
fetcher's browser, which owns the account's profile while the suite runs. Without the suite, this process does the
work itself: its own browser on the profile, or the cookie check against the site. Either way the account ends up in
``$TIMAO_HOME/douyin/account.json`` (``shared/platforms/douyin/account.py``).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from shared.config import Settings
from shared.platforms.douyin.account import (
    MAX_COOKIE_TEXT,
    DouyinAccount,
    account_profile_dir,
    clear_account,
    import_cookie,
    load_account,
    save_account,
)
from shared.platforms.douyin.errors import UpstreamError

__all__ = ["account_line", "login", "logout"]

API = "/api/douyin/account"
POLL_S = 1.0


def account_line(account: DouyinAccount | None) -> str:
    """The account as ``timao status`` shows it."""
    if account is None or not account.logged_in:
        return "抖音账号 (Douyin account): 未登录 (guest) — 礼物与昵称不可见，运行 `timao login douyin` 登录"
    how = "浏览器登录" if account.source == "browser" else "导入的 Cookie"
    return f"抖音账号 (Douyin account): {account.nickname or '（未知昵称）'} · {how}"


def _suite_running(settings: Settings) -> bool:
    from launcher.control import LauncherNotRunning, request

    try:
        request(settings.run_dir, settings.resolve_token(), "status", timeout=5.0)
    except LauncherNotRunning:
        return False
    return True


def _api(settings: Settings, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.request(
        method,
        f"http://127.0.0.1:{settings.gateway_port}{path}",
        json=body,
        headers={"Authorization": f"Bearer {settings.resolve_token()}"},
        timeout=60,
        trust_env=False,
    )


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail") or response.text[:300])
    except ValueError:
        return f"HTTP {response.status_code}"


def _read_cookie_file(name: str) -> str:
    if name == "-":
        return sys.stdin.read(MAX_COOKIE_TEXT + 1)
    path = Path(name).expanduser()
    try:
        if path.stat().st_size > MAX_COOKIE_TEXT:
            raise ValueError(f"文件 {path} 太大，不像 Cookie 文件")
        return path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise ValueError(f"无法读取 Cookie 文件 {path}：{exc.strerror or exc}") from None


def _print_account(body: dict[str, Any] | DouyinAccount) -> None:
    nickname = body.nickname if isinstance(body, DouyinAccount) else body.get("nickname")
    print(f"已登录抖音账号 (logged in): {nickname or '（未读到昵称）'}")


def login(settings: Settings, *, cookie_file: str | None, timeout_s: float) -> int:
    if cookie_file is not None:
        try:
            text = _read_cookie_file(cookie_file)
        except ValueError as exc:
            print(f"timao: {exc}", file=sys.stderr)
            return 2
        return _import(settings, text)
    if _suite_running(settings):
        return _login_through_suite(settings, timeout_s)
    return _login_here(settings, timeout_s)


def _import(settings: Settings, text: str) -> int:
    if _suite_running(settings):
        response = _api(settings, "PUT", API, {"cookie": text})
        if response.status_code != 200:
            print(f"timao: Cookie 未导入 (refused): {_detail(response)}", file=sys.stderr)
            return 1
        _print_account(response.json())
        return 0
    try:
        account = asyncio.run(import_cookie(settings.home, settings.douyin_live_url, text))
    except ValueError as exc:
        print(f"timao: Cookie 未导入 (refused): {exc}", file=sys.stderr)
        return 1
    except UpstreamError as exc:
        print(f"timao: 无法向抖音核实该 Cookie (could not check it): {exc}", file=sys.stderr)
        return 1
    _print_account(account)
    return 0


def _login_through_suite(settings: Settings, timeout_s: float) -> int:
    response = _api(settings, "POST", f"{API}/login", {"timeout_s": timeout_s})
    if response.status_code != 200:
        print(f"timao: 无法开始登录 (login not started): {_detail(response)}", file=sys.stderr)
        return 1
    print("登录窗口已打开，请用抖音 App 扫码登录 (a login window is open: scan its QR code with the Douyin app)")
    deadline = time.monotonic() + timeout_s + 30
    body: dict[str, Any] = response.json()
    while body.get("login_pending") and time.monotonic() < deadline:
        time.sleep(POLL_S)
        answer = _api(settings, "GET", API)
        if answer.status_code == 200:
            body = answer.json()
    if body.get("login_error"):
        print(f"timao: 登录失败 (login failed): {body['login_error']}", file=sys.stderr)
        return 1
    if not body.get("logged_in"):
        print("timao: 登录未完成 (not logged in)", file=sys.stderr)
        return 1
    _print_account(body)
    return 0


def _login_here(settings: Settings, timeout_s: float) -> int:
    from shared.browser import BrowserNotFound, BrowserOwner
    from shared.platforms.douyin.login import LoginFailed, login_in_browser

    async def run() -> DouyinAccount:
        owner = BrowserOwner(account_profile_dir(settings.home))
        try:
            return await login_in_browser(
                owner,
                settings.douyin_live_url,
                timeout_s=timeout_s,
                on_progress=lambda m: print(m, flush=True),
                known=load_account(settings.home),
            )
        finally:
            await owner.close()

    try:
        account = asyncio.run(run())
    except (BrowserNotFound, LoginFailed) as exc:
        print(f"timao: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # the browser failed to start
        print(f"timao: 登录失败 (login failed): {exc}", file=sys.stderr)
        return 1
    save_account(settings.home, account)
    _print_account(account)
    return 0


def logout(settings: Settings) -> int:
    if _suite_running(settings):
        response = _api(settings, "DELETE", API)
        if response.status_code != 200:
            print(f"timao: 退出失败 (logout failed): {_detail(response)}", file=sys.stderr)
            return 1
    else:
        try:
            clear_account(settings.home)
        except OSError as exc:
            print(f"timao: {exc}", file=sys.stderr)
            return 1
    print("已退出抖音账号，浏览器登录资料已删除 (logged out; the login's browser profile is wiped)")
    return 0
