"""The streamer's Douyin login through the real suite (#11): a login window in the fetcher's headless Debian
Chromium on the fake Douyin site, a simulated QR scan, the account shown with its nickname; the login surviving a
suite restart; logout; a cookie import accepted and a guest cookie refused; ``timao login/logout/status``."""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.harness import FakeDouyinThread, Suite

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("chromium") and not Path("/usr/bin/chromium").exists(), reason="no Chromium"),
]

BROWSER_ENV = {"TIMAO_BROWSER": shutil.which("chromium") or "/usr/bin/chromium", "TIMAO_BROWSER_HEADLESS": "1"}
API = "/api/douyin/account"


@pytest.fixture
def site() -> Iterator[FakeDouyinThread]:
    """A fake site per test: a QR code left pending by one test is never "scanned" by the next."""
    f = FakeDouyinThread()
    f.start()
    yield f
    f.stop()


def env_for(site: FakeDouyinThread) -> dict[str, str]:
    return {**site.suite_env(), **BROWSER_ENV}


class Scanner:
    """The phone app's part: scans every QR code the login page shows until stopped (a page that reloads shows a
    new one, and the old one must not be the only one scanned)."""

    def __init__(self, site: FakeDouyinThread, nickname: str, timeout: float = 90) -> None:
        self.base = site.server.urls["douyin_live_url"]
        self.nickname = nickname
        self.timeout = timeout
        self.scans = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + self.timeout
        while not self._stop.is_set() and time.monotonic() < deadline:
            answer = httpx.post(self.base + "/__fake__/login/scan", json={"nickname": self.nickname}, timeout=5)
            self.scans += answer.status_code == 200
            self._stop.wait(0.3)

    def __enter__(self) -> Scanner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def wait_account(suite: Suite, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = suite.get(API).json()
        if not body["login_pending"]:
            return body
        time.sleep(0.3)
    raise AssertionError(f"login still pending: {body}")


def test_login_in_the_fetchers_browser_survives_a_restart_and_logout_ends_it(
    site: FakeDouyinThread, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    suite = Suite(home, extra_env=env_for(site)).start()
    try:
        suite.wait_running()
        assert suite.get(API).json()["logged_in"] is False
        with Scanner(site, "小猫主播") as scanner:
            started = httpx.post(
                suite.base_url + API + "/login", json={"timeout_s": 60}, headers=suite.auth, timeout=20
            )
            assert started.status_code == 200, started.text
            assert started.json()["login_pending"] is True
            body = wait_account(suite)
        assert scanner.scans >= 1
        assert (body["logged_in"], body["nickname"], body["source"], body["login_error"]) == (
            True,
            "小猫主播",
            "browser",
            None,
        )
        account_file = home / "douyin" / "account.json"
        assert stat.S_IMODE(account_file.stat().st_mode) == 0o600
        assert stat.S_IMODE((home / "browser" / "douyin").stat().st_mode) == 0o700
        sessionid = json.loads(account_file.read_text())["cookies"]["sessionid"]
        assert sessionid not in suite.get(API).text
        for log in (home / "logs").glob("*.log"):
            assert sessionid not in log.read_text(errors="replace"), log.name
        status = suite.cli("status")
        assert "小猫主播" in status.stdout, status.stdout
    finally:
        suite.stop()

    # The same home again: the account is still there and in the profile's browser (written out when the suite
    # stopped the browser with Browser.close, and put back from the account file anyway), so a new login needs no scan.
    suite = Suite(home, extra_env=env_for(site)).start()
    try:
        suite.wait_running()
        assert suite.get(API).json()["nickname"] == "小猫主播"
        again = httpx.post(suite.base_url + API + "/login", json={"timeout_s": 15}, headers=suite.auth, timeout=20)
        assert again.status_code == 200
        body = wait_account(suite)
        assert body["logged_in"] is True and body["login_error"] is None, body

        # The site expires the session: a login removes the dead session and waits for a new scan.
        async def expire() -> None:
            site.server.expire_logins()

        site.run(expire())
        with Scanner(site, "重新登录的主播"):
            httpx.post(suite.base_url + API + "/login", json={"timeout_s": 60}, headers=suite.auth, timeout=20)
            body = wait_account(suite)
        assert (body["nickname"], body["login_error"]) == ("重新登录的主播", None), body

        # Logout: the account goes and the browser forgets the session, so a login now waits for a scan in vain.
        out = httpx.delete(suite.base_url + API, headers=suite.auth, timeout=30)
        assert out.status_code == 200 and out.json()["logged_in"] is False
        assert not (home / "douyin" / "account.json").exists()
        httpx.post(suite.base_url + API + "/login", json={"timeout_s": 10}, headers=suite.auth, timeout=20)
        body = wait_account(suite)
        assert body["logged_in"] is False and "超时" in (body["login_error"] or ""), body
    finally:
        suite.stop()


def test_cookie_import_through_the_suite_and_the_cli(site: FakeDouyinThread, tmp_path: Path) -> None:
    home = tmp_path / "home"
    suite = Suite(home, extra_env=env_for(site)).start()
    try:
        suite.wait_running()
        guest = httpx.put(suite.base_url + API, json={"cookie": "ttwid=1%7Cguest"}, headers=suite.auth, timeout=20)
        assert guest.status_code == 422 and "sessionid" in guest.json()["detail"]
        cookie = site.server.issue_login("导入的主播")
        put = httpx.put(suite.base_url + API, json={"cookie": cookie}, headers=suite.auth, timeout=20)
        assert put.status_code == 200, put.text
        assert (put.json()["nickname"], put.json()["source"]) == ("导入的主播", "cookie")

        logout = suite.cli("logout", "douyin")
        assert logout.returncode == 0, logout.stderr
        assert suite.get(API).json()["logged_in"] is False

        cookie_file = tmp_path / "cookies.txt"
        rows = [pair.split("=", 1) for pair in cookie.split("; ")]
        cookie_file.write_text(
            "# Netscape HTTP Cookie File\n" + "".join(f"127.0.0.1\tFALSE\t/\tFALSE\t0\t{n}\t{v}\n" for n, v in rows)
        )
        login = suite.cli("login", "douyin", "--cookie-file", str(cookie_file))
        assert login.returncode == 0, login.stderr
        assert "导入的主播" in login.stdout
        refused = tmp_path / "guest.txt"
        refused.write_text("ttwid=guest")
        assert suite.cli("login", "douyin", "--cookie-file", str(refused)).returncode == 1
        assert suite.get(API).json()["nickname"] == "导入的主播"  # a refused import loses nothing
    finally:
        suite.stop()


def test_cli_login_without_the_suite(site: FakeDouyinThread, tmp_path: Path) -> None:
    suite = Suite(tmp_path / "home", extra_env=env_for(site))  # not started: the CLI works on its own
    suite.home.mkdir(parents=True)
    with Scanner(site, "离线登录"):
        login = suite.cli("login", "douyin", "--timeout", "60", timeout=120)
    assert login.returncode == 0, login.stdout + login.stderr
    assert "离线登录" in login.stdout
    status = suite.cli("status")
    assert status.returncode == 3 and "抖音账号 (Douyin account): 离线登录 · 浏览器登录" in status.stdout, status.stdout
    profile = suite.home / "browser" / "douyin"
    assert profile.is_dir() and os.listdir(profile)
    assert not [p for p in profile.iterdir() if p.name == "SingletonLock"]  # the browser is gone
    logout = suite.cli("logout", "douyin")
    assert logout.returncode == 0
    assert not profile.exists() and not (suite.home / "douyin" / "account.json").exists()
