"""The fetcher's account commands (#11) over real Redis, without a browser window: a login that cannot start says
why (and is never left "pending"), one login at a time, and a logout that clears the account and the profile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from redis import asyncio as aioredis

from services.douyin_fetcher.account_commands import AccountCommands
from shared.browser import BrowserOwner
from shared.commands import Empty
from shared.commands.douyin import LoginParams, LoginResult
from shared.platforms.douyin.account import LOGIN_STATE_KEY, DouyinAccount, load_account, save_account


async def _state(redis: aioredis.Redis) -> dict[str, object]:
    raw = await redis.get(LOGIN_STATE_KEY)
    return orjson.loads(raw) if raw else {}


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url)
    yield client
    await client.aclose()


def commands(home: Path, redis: aioredis.Redis, owner: BrowserOwner, changes: list[str]) -> AccountCommands:
    async def changed() -> None:
        changes.append("changed")

    return AccountCommands(home, "http://127.0.0.1:9", owner=lambda: owner, redis=lambda: redis, on_changed=changed)


async def test_a_login_without_a_browser_says_what_to_install(tmp_path: Path, redis: aioredis.Redis) -> None:
    owner = BrowserOwner(tmp_path / "browser" / "douyin", choice=str(tmp_path / "no-such-browser"), headless=True)
    changes: list[str] = []
    account = commands(tmp_path, redis, owner, changes)
    assert await account.login(LoginParams(timeout_s=30)) == LoginResult(login_pending=True)
    assert (await _state(redis))["pending"] is True
    assert await account.login(LoginParams()) == LoginResult(login_pending=True)  # a second click finds the first
    for _ in range(100):
        if not account.login_running:
            break
        await asyncio.sleep(0.05)
    state = await _state(redis)
    assert state["pending"] is False
    assert "找不到可用的浏览器" in str(state["error"]) and "Chromium" in str(state["error"])
    assert 0 < await redis.ttl(LOGIN_STATE_KEY) <= 3600
    assert changes == [] and load_account(tmp_path) is None
    await owner.close()


async def test_logout_clears_account_and_profile_and_tells_the_rooms(tmp_path: Path, redis: aioredis.Redis) -> None:
    owner = BrowserOwner(tmp_path / "browser" / "douyin", choice=str(tmp_path / "no-such-browser"), headless=True)
    save_account(tmp_path, DouyinAccount(cookies={"sessionid": "s"}, nickname="n", source="browser"))
    (tmp_path / "browser" / "douyin" / "Default").mkdir(parents=True)
    changes: list[str] = []
    assert await commands(tmp_path, redis, owner, changes).logout(Empty()) == Empty()
    assert load_account(tmp_path) is None
    assert not (tmp_path / "browser" / "douyin").exists()  # no browser running on it: wiped
    assert changes == ["changed"]
    await owner.close()
