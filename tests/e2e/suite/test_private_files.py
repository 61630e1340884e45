"""Hardening #12, finding 5: the token never reaches a log file, and ``$TIMAO_HOME`` is the user's alone.

The real suite through the launcher: a WebSocket client connects with ``?token=`` (uvicorn logs the path of every
WebSocket it accepts), then every file the suite wrote is checked for the token and for its mode.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.e2e.harness import Suite

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes"),
]


def test_token_in_no_log_file_and_every_file_owner_only(tmp_path: Path) -> None:
    suite = Suite(tmp_path / "home").start()
    try:
        suite.wait_running()
        token = suite.token
        with connect(f"ws://127.0.0.1:{suite.gateway_port}/ws?token={token}", open_timeout=10) as ws:
            ws.ping().wait(5)
        # A settings change writes settings.toml.
        saved = httpx.put(
            suite.base_url + "/api/settings", json={"recording_quality": "HD1"}, headers=suite.auth, timeout=10
        )
        assert saved.status_code == 200, saved.text
    finally:
        suite.stop()

    home = suite.home
    logs = sorted((home / "logs").iterdir())
    assert {p.name for p in logs} >= {"gateway.log", "launcher.log", "redis.log"}
    gateway_lines = (home / "logs" / "gateway.log").read_text(encoding="utf-8").splitlines()
    # uvicorn did log the connection, with the token masked.
    assert any('"WebSocket /ws?token=***" [accepted]' in json.loads(line)["msg"] for line in gateway_lines)
    for path in logs:
        assert token not in path.read_text(encoding="utf-8", errors="replace"), path.name

    assert (home / "settings.toml").is_file() and (home / "timao.db").is_file()
    assert (home / "recordings").is_dir() and (home / "token").is_file()
    loose = []
    for path in [home, *home.rglob("*")]:
        if path == home / "launcher.out":  # the test harness's own capture of the launcher's terminal
            continue
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if mode & 0o077:
            loose.append(f"{path.relative_to(home)} {stat.filemode(mode)}")
    assert not loose, loose
