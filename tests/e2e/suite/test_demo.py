"""``timao up --demo`` as a newcomer sees it: live events, a recording and subtitles, with no internet."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Suite, pid_alive

pytestmark = pytest.mark.e2e

DEMO_SERVICES = {"redis", "demo_stream", "fake_douyin", "gateway", "streamcap", "douyin_fetcher", "ast"}


def eventually(fetch: Callable[[], Any], check: Callable[[Any], bool], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fetch()
        if check(last):
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what} not seen in {timeout}s; last: {str(last)[:500]}")


def test_demo_shows_events_recording_and_subtitles(tmp_path: Path) -> None:
    suite = Suite(tmp_path / "home", demo=True).start()
    try:
        status = suite.wait_running(timeout=90)
        assert set(status["services"]) == DEMO_SERVICES
        sessions = eventually(
            lambda: suite.get("/api/sessions").json()["sessions"], lambda s: len(s) == 1, 60, "the demo session"
        )
        session_id = sessions[0]["id"]
        assert sessions[0]["title"] == "提猫测试直播间"

        comments = eventually(
            lambda: suite.get(f"/api/sessions/{session_id}/comments").json()["comments"],
            lambda c: len(c) >= 3,
            60,
            "demo comments",
        )
        assert all(c["content"] for c in comments)

        def recording_size() -> int:
            recs = suite.get("/api/streamcap/recordings").json()["recordings"]
            return sum(f["size"] for r in recs for f in r["files"]) if recs else 0

        first = eventually(recording_size, lambda n: n > 100_000, 60, "a growing recording")
        eventually(recording_size, lambda n: n > first, 30, "the recording still growing")

        transcripts = eventually(
            lambda: suite.get(f"/api/sessions/{session_id}/transcripts").json()["transcripts"],
            lambda t: any("stream" in x["text"].lower() for x in t),
            120,
            "a subtitle of the demo speech",
        )
        assert all(t["language"] == "en" and t["end_ms"] > t["start_ms"] for t in transcripts)

        pids = suite.all_pids()
        assert suite.cli("stop").returncode == 0
        assert suite.proc is not None and suite.proc.wait(30) == 0
        deadline = time.monotonic() + 5
        while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [p for p in pids if pid_alive(p)] == []  # ffmpeg children included
        ts_files = list((tmp_path / "home" / "recordings").rglob("*.ts"))
        assert ts_files and all(f.stat().st_size > 0 for f in ts_files)
    finally:
        suite.stop()
