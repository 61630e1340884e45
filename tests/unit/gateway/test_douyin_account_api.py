"""``/api/douyin/account`` (#11) in-process over real Redis: import, refusal, logout, the login hand-off to the
fetcher, and that no answer carries the cookies. The fetcher is a stand-in serving the bus's command queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from shared.bus import Bus
from shared.config import load_settings
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.platforms.douyin.account import LOGIN_STATE_KEY, DouyinAccount, load_account, save_account
from tests.unit.douyin.account_site import site
from tests.unit.gateway.stand_in import StandInService

__all__ = ["site"]  # the fixture, used by name

TOKEN = "gateway-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def client(home: Path, site: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    env = {"HOME": str(home), "REDIS_URL": redis_url, "TOKEN": TOKEN, "STREAMCAP_PORT": "1", "DOUYIN_LIVE_URL": site}
    for key, value in env.items():
        monkeypatch.setenv(f"TIMAO_{key}", value)
    monkeypatch.delenv("TIMAO_GATEWAY_PORT", raising=False)
    settings = load_settings()
    upgrade_to_head(make_engine(settings.effective_database_url))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:9019") as c:
        yield c


class StandInFetcher(StandInService):
    """Answers the fetcher's account commands on the real bus and records them."""

    def __init__(self, redis_url: str) -> None:
        super().__init__(redis_url, "douyin_fetcher")

    async def answer(self, bus: Bus, command: str, params: dict[str, Any]) -> dict[str, Any]:
        if command == "douyin.login":
            await bus.redis.set(LOGIN_STATE_KEY, orjson.dumps({"pending": True, "error": None}))
            return {"login_pending": True}
        return {}

    async def gone(self, bus: Bus) -> None:
        await bus.redis.delete("timao:hb:douyin_fetcher")


def test_needs_the_token(client: TestClient) -> None:
    assert client.get("/api/douyin/account").status_code == 401


def test_guest_by_default(client: TestClient) -> None:
    body = client.get("/api/douyin/account", headers=AUTH).json()
    assert body["logged_in"] is False and body["nickname"] is None and body["source"] is None
    assert body["login_pending"] is False and body["login_error"] is None


def test_import_refusals_are_clear_422s_and_save_nothing(client: TestClient, home: Path) -> None:
    for cookie, words in (("ttwid=guest", "sessionid"), ("sessionid=stale", "未登录"), ("no cookie here", "Cookie")):
        response = client.put("/api/douyin/account", json={"cookie": cookie}, headers=AUTH)
        assert response.status_code == 422, cookie
        assert words in response.json()["detail"]
        assert "stale" not in response.text
    assert client.put("/api/douyin/account", json={}, headers=AUTH).status_code == 422
    assert load_account(home) is None


def test_import_logout_and_the_fetcher_hears_of_it(client: TestClient, home: Path, redis_url: str) -> None:
    with StandInFetcher(redis_url) as fetcher:
        response = client.put("/api/douyin/account", json={"cookie": "sessionid=good; ttwid=t"}, headers=AUTH)
        assert response.status_code == 200
        body = response.json()
        assert (body["logged_in"], body["nickname"], body["source"]) == (True, "测试主播", "cookie")
        assert "good" not in response.text
        assert client.get("/api/douyin/account", headers=AUTH).json()["nickname"] == "测试主播"
        assert ("douyin.account_changed", {}) in fetcher.commands
        account = load_account(home)
        assert account is not None and account.cookies == {"sessionid": "good", "ttwid": "t"}

        body = client.delete("/api/douyin/account", headers=AUTH).json()
        assert body["logged_in"] is False
        assert load_account(home) is None
        assert fetcher.commands[-1] == ("douyin.logout", {})


def test_logout_without_a_fetcher_wipes_account_and_profile(client: TestClient, home: Path) -> None:
    save_account(home, DouyinAccount(cookies={"sessionid": "x"}, nickname="n", source="browser"))
    (home / "browser" / "douyin" / "Default").mkdir(parents=True)
    assert client.get("/api/douyin/account", headers=AUTH).json()["source"] == "browser"
    assert client.delete("/api/douyin/account", headers=AUTH).json()["logged_in"] is False
    assert not (home / "browser" / "douyin").exists()


def test_login_goes_to_the_fetcher_and_shows_pending(client: TestClient, redis_url: str) -> None:
    assert client.post("/api/douyin/account/login", headers=AUTH).status_code == 503  # no fetcher
    with StandInFetcher(redis_url) as fetcher:
        body = client.post("/api/douyin/account/login", json={"timeout_s": 60}, headers=AUTH).json()
        assert body["login_pending"] is True
        assert fetcher.commands[-1] == ("douyin.login", {"timeout_s": 60.0})
        assert client.get("/api/douyin/account", headers=AUTH).json()["login_pending"] is True
        assert client.post("/api/douyin/account/login", json={"timeout_s": 1}, headers=AUTH).status_code == 422
