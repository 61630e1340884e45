"""The demo's login on the fake site (#11) never replaces an account the user saved."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from launcher.demo import DEMO_ACCOUNT_NICKNAME, Demo
from shared.config import load_settings
from shared.platforms.douyin.account import DouyinAccount, load_account, save_account


def test_a_users_own_account_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_http(*_a: object, **_k: object) -> None:
        raise AssertionError("the demo must not log in over the user's account")

    monkeypatch.setattr(httpx, "post", no_http)
    monkeypatch.setattr(httpx, "put", no_http)
    settings = load_settings(home=tmp_path, douyin_live_url="http://127.0.0.1:9")
    mine = save_account(tmp_path, DouyinAccount(cookies={"sessionid": "real"}, nickname="我的号", source="browser"))
    lines: list[str] = []
    Demo._log_in(settings, "http://127.0.0.1:9", {}, lines.append)
    assert load_account(tmp_path) == mine
    assert "不替换" in lines[0]


def test_no_fake_site_is_a_clear_line_not_a_crash(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, douyin_live_url="http://127.0.0.1:9")
    save_account(tmp_path, DouyinAccount(cookies={"sessionid": "old"}, nickname=DEMO_ACCOUNT_NICKNAME, source="cookie"))
    lines: list[str] = []
    Demo._log_in(settings, "http://127.0.0.1:9", {}, lines.append)
    assert "演示账号登录失败" in lines[0]
