"""``timao up --demo`` as a newcomer sees it: live events, a recording and subtitles, with no internet."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db.engine import make_engine
from shared.db.models import LiveEventRow
from tests.e2e.harness import Suite, eventually, pid_alive

pytestmark = pytest.mark.e2e

SPEECH = Path(__file__).resolve().parents[1] / "ast" / "fixtures" / "speech_en.flac"
DEMO_SERVICES = {"redis", "demo_stream", "fake_douyin", "gateway", "streamcap", "douyin_fetcher", "ast"}


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

        # The demo logged in to the fake site (guests get no gifts there, as on the real platform): gifts arrive.
        account = suite.get("/api/douyin/account").json()
        assert (account["logged_in"], account["nickname"], account["source"]) == (True, "提猫演示账号", "cookie")
        engine = make_engine(status["database_url"])

        def gift_count() -> int:
            with Session(engine) as db:
                query = select(func.count()).where(LiveEventRow.session_id == session_id, LiveEventRow.type == "gift")
                return int(db.scalar(query) or 0)

        eventually(gift_count, lambda n: n >= 1, 90, "a gift in the demo room")
        engine.dispose()

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

        # Stopping the recording through the gateway leaves verified MP4 files.
        recording_id = suite.get("/api/streamcap/recordings").json()["recordings"][0]["recording_id"]
        stopped = httpx.post(suite.base_url + "/api/streamcap/stop", json={"recording_id": recording_id},
                             headers=suite.auth, timeout=30)  # fmt: skip
        assert stopped.status_code == 200, stopped.text
        done = eventually(
            lambda: suite.get("/api/streamcap/recordings").json()["recordings"][0],
            lambda r: r["files"] and all(f["path"].endswith(".mp4") for f in r["files"]),
            60,
            "the recording remuxed to MP4",
        )
        assert all(Path(f["path"]).is_file() and f["duration"] > 1 for f in done["files"])

        # A transcription of a file through the gateway gets its own session and exact-enough text.
        body = {"audio_config": {"source": "file", "path": str(SPEECH)}, "model_config": {"language": "en"}}
        job = httpx.post(suite.base_url + "/api/ast/start", headers=suite.auth, timeout=60, json=body)
        assert job.status_code == 200, job.text
        file_session = job.json()["session_id"]
        texts = eventually(
            lambda: " ".join(
                t["text"] for t in suite.get(f"/api/sessions/{file_session}/transcripts").json()["transcripts"]
            ),
            lambda text: "apples" in text.lower() and "gift" in text.lower(),
            90,
            "the file's transcript",
        )
        assert "oranges" in texts.lower()
        assert suite.get(f"/api/sessions/{file_session}").json()["platform"] == "file"

        pids = suite.all_pids()
        assert suite.cli("stop").returncode == 0
        assert suite.proc is not None and suite.proc.wait(30) == 0
        deadline = time.monotonic() + 5
        while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [p for p in pids if pid_alive(p)] == []  # ffmpeg children included
        assert list((tmp_path / "home" / "recordings").rglob("*.mp4"))
    finally:
        suite.stop()
