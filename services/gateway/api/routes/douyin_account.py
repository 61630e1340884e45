"""The streamer's own Douyin login (#11): ``GET/PUT/DELETE /api/douyin/account``, ``POST /api/douyin/account/login``.

The account lives in ``$TIMAO_HOME/douyin/account.json`` (``shared/platforms/douyin/account.py``); no answer ever
carries its cookies. A login in a browser window runs in the fetcher, which owns the suite's browser: ``login``
answers at once and ``GET`` shows ``login_pending`` until it succeeded or failed (``login_error``). After every
change the fetcher hears ``douyin.account_changed`` and reconnects its rooms with the new cookies.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from services.gateway.api.deps import StateDep
from services.gateway.api.schemas import WORKER_ERRORS, AccountView, errors
from services.gateway.state import GatewayState
from shared.bus import TRANSIENT
from shared.commands import Command, Empty
from shared.commands.douyin import ACCOUNT_CHANGED, LOGIN, LOGOUT, SERVICE, LoginParams
from shared.errors import BusError, CommandError, CommandTimeout
from shared.platforms.douyin.account import (
    LOGIN_STATE_KEY,
    MAX_COOKIE_TEXT,
    account_view,
    clear_account,
    import_cookie,
    load_account,
)
from shared.platforms.douyin.errors import UpstreamError

router = APIRouter(prefix="/api/douyin/account", tags=["douyin"])

log = logging.getLogger(__name__)

NOTIFY_TIMEOUT_S = 10.0
LOGIN_CALL_TIMEOUT_S = 10.0


class CookieImport(BaseModel):
    cookie: str = Field(
        min_length=1,
        max_length=MAX_COOKIE_TEXT,
        description="the site's cookies: `a=b; c=d`, a Netscape cookies.txt, or a JSON list of {name, value}",
    )


class LoginStart(BaseModel):
    timeout_s: float = Field(default=300.0, ge=10, le=1800, description="how long the login window waits")


async def _login_state(state: GatewayState) -> dict[str, Any]:
    try:
        raw = await state.bus.redis.get(LOGIN_STATE_KEY)
    except TRANSIENT:
        return {}
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


async def _view(state: GatewayState) -> dict[str, Any]:
    account = await asyncio.to_thread(load_account, state.settings.home)
    login = await _login_state(state)
    return {
        **account_view(account),
        "login_pending": bool(login.get("pending")),
        "login_error": login.get("error") or None,
    }


async def _notify_fetcher(state: GatewayState, command: Command[Empty, Any] = ACCOUNT_CHANGED) -> None:
    """Tell a running fetcher; one that is not running reads the account when its rooms connect."""
    try:
        if not await state.bus.read_heartbeat(SERVICE):
            return
        await command.call(state.bus, timeout=NOTIFY_TIMEOUT_S)
    except (CommandError, CommandTimeout, BusError, *TRANSIENT) as exc:
        log.warning(
            "fetcher not told of the account change (%s; rooms pick it up when they reconnect): %s", command.name, exc
        )


@router.get("", response_model=AccountView)
async def read_account(state: StateDep) -> dict[str, Any]:
    """The account as the suite will use it: `{"logged_in", "nickname", "source", "login_pending", "login_error"}`."""
    return await _view(state)


@router.put("", response_model=AccountView, responses=errors(400, 422, 502))
async def import_account(state: StateDep, body: CookieImport) -> dict[str, Any]:
    """Import a cookie string after the site confirmed it holds a login session (422 when it does not)."""
    try:
        await import_cookie(state.settings.home, state.settings.douyin_live_url, body.cookie)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    except UpstreamError as exc:
        raise HTTPException(502, f"无法向抖音核实该 Cookie：{exc}") from None
    log.info("douyin account imported from a cookie string")
    await _notify_fetcher(state)
    return await _view(state)


@router.delete("", response_model=AccountView, responses=errors(409))
async def logout(state: StateDep) -> dict[str, Any]:
    """Log out: the fetcher's browser forgets the login, the account file and the login's browser profile go."""
    # The fetcher first: it empties its browser's cookies (so they are not written back), clears the account and
    # reconnects its rooms as a guest. Cleared here too for a suite without a running fetcher.
    await _notify_fetcher(state, LOGOUT)
    try:
        await asyncio.to_thread(clear_account, state.settings.home)
    except OSError as exc:
        raise HTTPException(409, str(exc)) from None
    log.info("douyin account logged out")
    return await _view(state)


_NO_BODY = LoginStart()  # a POST without a body takes the defaults


@router.post("/login", response_model=AccountView, responses=errors(*WORKER_ERRORS))
async def start_login(state: StateDep, body: LoginStart = _NO_BODY) -> dict[str, Any]:
    """Open the login window (in the fetcher's browser); answers at once with `login_pending`."""
    await state.require_worker(SERVICE)
    timeout_s = body.timeout_s
    await LOGIN.call(state.bus, LoginParams(timeout_s=timeout_s), timeout=LOGIN_CALL_TIMEOUT_S)
    return await _view(state)
