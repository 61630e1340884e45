"""The Douyin account store (issue #11): cookie parsing, the owner-only file, logout, and the account check."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from shared.platforms.douyin.account import (
    DouyinAccount,
    account_profile_dir,
    account_view,
    clear_account,
    fetch_account_nickname,
    import_cookie,
    load_account,
    parse_cookie_string,
    save_account,
)
from shared.platforms.douyin.errors import UpstreamError
from tests.unit.douyin.account_site import AccountSite, site

__all__ = ["site"]  # the fixture, used by name

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


# --- parsing -----------------------------------------------------------------------------------------------------


def test_parse_header_string() -> None:
    assert parse_cookie_string("sessionid=abc123; ttwid=1%7Cxyz; uid_tt=u") == {
        "sessionid": "abc123",
        "ttwid": "1%7Cxyz",
        "uid_tt": "u",
    }
    assert parse_cookie_string('Cookie: sessionid="q"; a=b=c\n') == {"sessionid": "q", "a": "b=c"}


def test_parse_netscape_keeps_only_douyin_when_present() -> None:
    text = "\n".join(
        [
            "# Netscape HTTP Cookie File",
            "#HttpOnly_.douyin.com\tTRUE\t/\tTRUE\t1900000000\tsessionid\tS1",
            ".live.douyin.com\tTRUE\t/\tFALSE\t1900000000\tttwid\tT1",
            ".example.com\tTRUE\t/\tFALSE\t1900000000\tbank\tsecret",
            "",
        ]
    )
    assert parse_cookie_string(text) == {"sessionid": "S1", "ttwid": "T1"}


def test_parse_netscape_other_hosts_kept_when_no_douyin_domain() -> None:
    text = "127.0.0.1\tFALSE\t/\tFALSE\t0\tsessionid\tS2\n"
    assert parse_cookie_string(text) == {"sessionid": "S2"}


def test_parse_json_extension_export() -> None:
    text = json.dumps([{"name": "sessionid", "value": "J1", "domain": ".douyin.com"}, {"name": "n", "value": 5}])
    assert parse_cookie_string(text) == {"sessionid": "J1", "n": "5"}
    assert parse_cookie_string('{"sessionid": "J2"}') == {"sessionid": "J2"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "just some words",
        "[1, 2]",
        '{"sessionid": 5}',
        "[{bad json",
        "a\tb\tc\n",
        "sessionid=a\x00b",
        "=novalue",
        "x" * (300 * 1024),
    ],
)
def test_parse_refuses_with_a_chinese_message(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_cookie_string(text)
    assert any("\u4e00" <= c <= "\u9fff" for c in str(info.value)), str(info.value)


# --- the account -------------------------------------------------------------------------------------------------


def test_account_header_logged_in_and_repr_hides_cookies() -> None:
    account = DouyinAccount(cookies={"sessionid": "SECRET-SESSION", "ttwid": "t"}, nickname="猫", source="cookie")
    assert account.cookie_header() == "sessionid=SECRET-SESSION; ttwid=t"
    assert account.logged_in
    assert "SECRET-SESSION" not in repr(account)
    assert not DouyinAccount(cookies={"ttwid": "t"}, nickname=None, source="cookie").logged_in
    assert not DouyinAccount(cookies={"sessionid": ""}, nickname=None, source="browser").logged_in


@posix_only
def test_save_load_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        saved = save_account(
            tmp_path, DouyinAccount(cookies={"sessionid": "s"}, nickname="主播", source="browser", user_id="42")
        )
    finally:
        os.umask(old)
    assert saved.saved_at_ms > 0
    assert mode(tmp_path / "douyin") == 0o700
    assert mode(tmp_path / "douyin" / "account.json") == 0o600
    assert load_account(tmp_path) == saved


def test_load_missing_and_damaged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert load_account(tmp_path) is None
    (tmp_path / "douyin").mkdir()
    (tmp_path / "douyin" / "account.json").write_text('{"cookies": {"sessionid": "LEAKME"}, "nickname": 3', "utf-8")
    assert load_account(tmp_path) is None
    (tmp_path / "douyin" / "account.json").write_text('{"cookies": ["sessionid=LEAKME"]}', "utf-8")
    assert load_account(tmp_path) is None
    assert "LEAKME" not in caplog.text


@posix_only
def test_clear_removes_file_and_profile(tmp_path: Path) -> None:
    save_account(tmp_path, DouyinAccount(cookies={"sessionid": "s"}, nickname=None, source="browser"))
    profile = account_profile_dir(tmp_path)
    assert profile == tmp_path / "browser" / "douyin"
    assert mode(profile) == 0o700 and mode(profile.parent) == 0o700
    (profile / "Default").mkdir()
    (profile / "Default" / "Cookies").write_bytes(b"x")
    clear_account(tmp_path)
    assert load_account(tmp_path) is None
    assert not profile.exists()
    clear_account(tmp_path)  # idempotent


# --- the account check against a small account endpoint ------------------------------------------------------------


def test_fetch_account_logged_in(site: str) -> None:
    result = asyncio.run(fetch_account_nickname(site, {"sessionid": "good", "ttwid": "t"}, user_agent="UA"))
    assert result == (True, "测试主播", "9001")
    assert AccountSite.seen[-1]["path"].startswith("/webcast/user/me/?aid=6383")
    assert AccountSite.seen[-1]["cookie"] == "sessionid=good; ttwid=t"


def test_fetch_account_guest_and_expired(site: str) -> None:
    assert asyncio.run(fetch_account_nickname(site, {"sessionid": "stale"}, user_agent="UA")) == (False, None, None)
    seen = len(AccountSite.seen)
    assert asyncio.run(fetch_account_nickname(site, {"ttwid": "t"}, user_agent="UA")) == (False, None, None)
    assert len(AccountSite.seen) == seen  # no session, nothing to ask


def test_fetch_account_unreachable_or_odd_answers(site: str) -> None:
    with pytest.raises(UpstreamError):
        asyncio.run(fetch_account_nickname(site + "/broken", {"sessionid": "good"}, user_agent="UA"))
    with pytest.raises(UpstreamError):
        asyncio.run(fetch_account_nickname(site + "/down", {"sessionid": "good"}, user_agent="UA"))
    with pytest.raises(UpstreamError):
        asyncio.run(fetch_account_nickname("http://127.0.0.1:9", {"sessionid": "good"}, user_agent="UA"))


def test_import_cookie_saves_only_a_confirmed_login(site: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sessionid"):
        asyncio.run(import_cookie(tmp_path, site, "ttwid=guest-only"))
    with pytest.raises(ValueError, match="未登录或登录已过期"):
        asyncio.run(import_cookie(tmp_path, site, "sessionid=stale; ttwid=t"))
    with pytest.raises(UpstreamError):
        asyncio.run(import_cookie(tmp_path, site + "/down", "sessionid=good"))
    assert load_account(tmp_path) is None
    saved = asyncio.run(import_cookie(tmp_path, site, "sessionid=good; ttwid=t"))
    assert (saved.nickname, saved.user_id, saved.source) == ("测试主播", "9001", "cookie")
    assert load_account(tmp_path) == saved
    view = account_view(saved)
    assert view["logged_in"] and view["nickname"] == "测试主播" and view["source"] == "cookie"
    assert "good" not in json.dumps(view)
    assert account_view(None)["logged_in"] is False
