"""A worker killed with SIGKILL in the middle of a live resumes its work once the launcher restarts it.

One suite, pointed at the fake Douyin server (strict signatures) whose rooms stream the synthetic live (test pattern
and looped speech). Each test plays a scripted live in a room of its own, watched by the fetcher, kills one worker
through the pid in the launcher's status, then checks that the launcher restarted it and that the work went on: the
fetcher's room reconnects from its last cursor, the recording goes on in a new segment of the same recording (every
file a playable MP4), the transcription job runs again and transcribes. Whichever worker died, every scripted chat
and gift ends up stored exactly once; and a gift combo the fetcher's kill cut in two counts each gift once (the gift
tracker's state came back with the room's progress).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.douyin_fetcher.fake_server import FakeRoom, load_scenario
from services.streamcap.synthetic import DEMO_SPEECH, SyntheticConfig, SyntheticLive
from shared.db.engine import make_engine
from shared.db.models import AudioTranscript, CommentData, LiveEventRow, LiveSession
from shared.db.tables_analytics import AnalyticsUser
from tests.e2e.harness import FAST_ROOM_CONFIG, FakeDouyinThread, LiveFeed, Suite, eventually
from tests.e2e.streamcap.media_checks import assert_playable_mp4, is_companion

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stream() -> Iterator[SyntheticLive]:
    live = SyntheticLive(SyntheticConfig(hls=False, audio=DEMO_SPEECH))
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def fake_live(stream: SyntheticLive) -> Iterator[FakeDouyinThread]:
    """The fake Douyin server; every room's stream URLs lead to the synthetic live."""
    assert stream.urls is not None
    f = FakeDouyinThread()
    f.server.stream_base = stream.urls.flv.removesuffix(".flv")
    f.start()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def suite(fake_live: FakeDouyinThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    home = tmp_path_factory.mktemp("resume") / "home"
    fake_live.login(home)  # gifts reach logged-in rooms only
    s = Suite(home, extra_env=fake_live.suite_env()).start()
    s.wait_running(timeout=120)
    yield s
    s.stop()


def kill_9(suite: Suite, service: str) -> dict[str, Any]:
    """SIGKILL the service's process (its pid from the launcher); answers the launcher's status once it runs again."""
    old = suite.status()["services"][service]
    os.kill(old["pid"], signal.SIGKILL)
    killed_at = time.monotonic()
    after = suite.wait_running(timeout=60, exclude_pids={service: old["pid"]})
    new = after["services"][service]
    assert new["restarts"] > old["restarts"], (old, new)
    assert time.monotonic() - killed_at < 30
    return after


# The combo of a scripted live with ``combo``: (gift id, group_count, price in diamonds).
COMBO_GIFT = (3_389, 10, 5)


def scripted_live(
    web_rid: str, frames: int, *, pause: float = 0.04, end: bool = True, combo: bool = False
) -> tuple[list[dict[str, Any]], set[str], set[str]]:
    """A live of ``frames`` frames ``pause`` apart (a chat in each, a gift in every third, and with ``combo`` one
    step of a combo that runs through the whole live, then its summary), then (``end``) its end; the room's stream is
    the synthetic live. Answers the steps and the msg_ids of the scripted chats and gifts: the truth the database must
    hold, each once."""
    steps: list[dict[str, Any]] = [{"room": {"web_rid": web_rid, "title": "断线恢复测试", "anchor_name": "猫老师"}}]
    chats: set[str] = set()
    gifts: set[str] = set()
    base = 7_700_000_000_000_000_000 + int(web_rid) * 10_000
    for i in range(frames):
        user = {"id": 20_000 + i % 9, "nickname": f"观众{i % 9}"}
        chat_id = base + 2 * i
        events: list[dict[str, Any]] = [{"kind": "chat", "user": user, "content": f"弹幕 {i}", "msg_id": chat_id}]
        chats.add(str(chat_id))
        if i % 3 == 0:
            gift_id = base + 2 * i + 1
            events.append({"kind": "gift", "user": user, "gift_id": 463, "name": "小心心", "diamonds": 1,
                           "combo": False, "group_id": 9_000 + i, "repeat_count": 1, "msg_id": gift_id})  # fmt: skip
            gifts.add(str(gift_id))
        if combo:
            events.append(combo_step(base, i + 1, 5_000 + i, repeat_end=0))
            gifts.add(str(base + 5_000 + i))
        steps.append({"op": "frame", "events": events})
        steps.append({"op": "sleep", "s": pause})
    if combo:
        steps.append({"op": "frame", "events": [combo_step(base, frames, 9_999, repeat_end=1)]})
        gifts.add(str(base + 9_999))
    if end:
        steps.append({"op": "end"})
    else:  # the room stays live (and its stream plays) after the last frame
        steps.append({"op": "sleep", "s": 900})
    return steps, chats, gifts


def combo_step(base: int, count: int, msg_offset: int, *, repeat_end: int) -> dict[str, Any]:
    gift_id, bundle, price = COMBO_GIFT
    user = {"id": 29_999, "nickname": "连击王"}
    return {"kind": "gift", "user": user, "gift_id": gift_id, "name": "玫瑰", "diamonds": price, "combo": True,
            "group_id": base + 9_000, "group_count": bundle, "repeat_count": count, "repeat_end": repeat_end,
            "msg_id": base + msg_offset}  # fmt: skip


class ScriptedLive:
    """A scripted live played in a room of its own and watched by the fetcher (a session) through the gateway."""

    def __init__(self, suite: Suite, fake: FakeDouyinThread, web_rid: str, frames: int, **kwargs: Any) -> None:
        steps, self.chats, self.gifts = scripted_live(web_rid, frames, **kwargs)
        # What the session's gifts add up to: a single heart (1 diamond) every third frame, and the combo's bundles.
        singles = len(range(0, frames, 3))
        _gift_id, bundle, price = COMBO_GIFT
        combo = frames * bundle if kwargs.get("combo") else 0
        self.gift_totals = (singles + combo, singles + combo * price)
        self.suite = suite
        self.web_rid = web_rid
        self.room: FakeRoom = fake.load(load_scenario(steps))
        started = post(suite, "/api/douyin/start", {"live_id": web_rid, "config": FAST_ROOM_CONFIG})
        self.session_id: str = started["session_id"]
        self.database_url: str = suite.status()["database_url"]

    def stored(self) -> tuple[list[str], list[str], str | None]:
        return stored_ids(self.database_url, self.session_id)

    def assert_stored_once(self, *, ended: bool, timeout: float = 60) -> None:
        """Every scripted chat and gift stored, each exactly once (rows counted by msg_id), nothing else."""
        chats, gifts, status = eventually(
            self.stored,
            lambda r: len(r[0]) >= len(self.chats) and len(r[1]) >= len(self.gifts) and (r[2] == "ended" or not ended),
            timeout,
            "every scripted chat and gift stored",
        )
        assert sorted(chats) == sorted(self.chats)
        assert sorted(gifts) == sorted(self.gifts)
        assert status == ("ended" if ended else "active")  # still open: the crash closed nothing
        assert self.room.errors == []


def gift_totals(database_url: str, session_id: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """The session's (gifts, diamonds) twice: summed over its stored gift events' deltas, and over the gift
    ranking's per-user totals."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            data = s.scalars(
                select(LiveEventRow.data).where(LiveEventRow.session_id == session_id, LiveEventRow.type == "gift")
            ).all()
            ranking = s.execute(
                select(func.sum(AnalyticsUser.gifts), func.sum(AnalyticsUser.diamonds)).where(
                    AnalyticsUser.session_id == session_id
                )
            ).one()
            events = (sum(d["delta"] for d in data), sum(d["diamond_delta"] for d in data))
            return events, (int(ranking[0] or 0), int(ranking[1] or 0))
    finally:
        engine.dispose()


def stored_ids(database_url: str, session_id: str) -> tuple[list[str], list[str], str | None]:
    """(chat msg_ids, gift msg_ids, session status) as stored, one entry per row."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            chats = s.scalars(select(CommentData.msg_id).where(CommentData.session_id == session_id)).all()
            gifts = s.scalars(
                select(LiveEventRow.msg_id).where(LiveEventRow.session_id == session_id, LiveEventRow.type == "gift")
            ).all()
            session = s.get(LiveSession, session_id)
            return list(chats), list(gifts), session.status if session else None
    finally:
        engine.dispose()


def transcript_count(database_url: str, session_id: str) -> int:
    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            query = select(func.count()).select_from(AudioTranscript).where(AudioTranscript.session_id == session_id)
            return int(s.scalar(query) or 0)
    finally:
        engine.dispose()


def post(suite: Suite, path: str, body: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    answer = httpx.post(suite.base_url + path, json=body, headers=suite.auth, timeout=timeout)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def room_status(suite: Suite, session_id: str) -> dict[str, Any] | None:
    answer = suite.get("/api/douyin/status")
    if answer.status_code != 200:
        return None  # the fetcher is restarting
    return next((r for r in answer.json()["sessions"] if r["session_id"] == session_id), None)


def test_fetcher_killed_mid_live_resumes_the_room_from_its_cursor(suite: Suite, fake_live: FakeDouyinThread) -> None:
    with LiveFeed(suite) as feed:
        # The combo runs through the whole live: the kill cuts it in two.
        live = ScriptedLive(suite, fake_live, "300000000001", frames=200, combo=True)
        session_id = live.session_id
        eventually(lambda: len(feed.of("chat", session_id)), lambda n: n >= 30, 30, "the first chats")

        connections_before = len(fake_live.server.observed.accepted)
        killed_at = len(feed.events)
        kill_9(suite, "douyin_fetcher")
        # Asked for again while resumed, the room answers with its session: no second session for one room.
        eventually(lambda: room_status(suite, session_id), lambda r: r is not None, 20, "the resumed room")
        again = post(suite, "/api/douyin/start", {"live_id": live.web_rid, "config": FAST_ROOM_CONFIG})
        assert again["session_id"] == session_id
        sessions = [s for s in suite.get("/api/sessions").json()["sessions"] if s["live_id"] == live.web_rid]
        assert [s["id"] for s in sessions] == [session_id]

        # The restarted fetcher adopts the room: it says it resumes, reconnects, and the live plays to its end.
        eventually(lambda: feed.of("control", session_id), lambda c: any(e["data"]["status"] == "ended" for e in c),
                   60, "the live end after the restart")  # fmt: skip
        states = [e["data"]["state"] for e in feed.events[killed_at:]
                  if e["type"] == "service" and e["session_id"] == session_id]  # fmt: skip
        assert "resuming" in states, states
        assert "connected" in states[states.index("resuming") :], states

    # It reconnected as the same session, from the cursor of the last frame it had delivered.
    resumed = fake_live.server.observed.accepted[connections_before:]
    assert resumed, "no connection after the kill"
    assert resumed[0].params.get("cursor") and resumed[0].params.get("internal_ext"), resumed[0].params
    status = eventually(lambda: room_status(suite, session_id), lambda r: r and r["state"] == "ended", 20,
                        "the room ended in the fetcher's status")  # fmt: skip
    assert status["resumed"] is True and status["stats"]["connects"] >= 1
    # None lost in the gap, none doubled by the replay; the session ended with the live, not with the crash.
    live.assert_stored_once(ended=True)
    # The combo cut by the kill: every gift counted once, in the stored deltas and in the gift ranking alike.
    assert gift_totals(live.database_url, session_id) == (live.gift_totals, live.gift_totals)


def test_streamcap_killed_mid_recording_resumes_in_a_new_segment(suite: Suite, fake_live: FakeDouyinThread) -> None:
    live = ScriptedLive(suite, fake_live, "300000000002", frames=150, pause=0.1)
    with LiveFeed(suite) as feed:
        started = post(suite, "/api/streamcap/start",
                       {"platform": "douyin", "stream_url": live.web_rid, "segment_seconds": 600})  # fmt: skip
        recording_id = started["recording_id"]

        def recording() -> dict[str, Any]:
            answer = suite.get(f"/api/streamcap/recordings/{recording_id}")
            return answer.json() if answer.status_code == 200 else {}

        before = eventually(
            recording, lambda r: r.get("state") == "recording" and r["bytes"] > 100_000, 60, "the first segment"
        )
        first_files = {f["path"] for f in before["files"]}
        assert len(first_files) == 1

        kill_9(suite, "streamcap")

        # The same recording goes on, in a new segment, and says it was resumed.
        after = eventually(
            recording,
            lambda r: (
                r.get("state") == "recording"
                and any(f["path"] not in first_files and f["size"] > 100_000 for f in r["files"])
            ),
            60,
            "a new segment of the same recording",
        )
        assert after["recording_id"] == recording_id and after["resumed"] is True
        phases = [e["data"]["state"] for e in feed.of("recording") if e["data"]["recording_id"] == recording_id]
        assert "resuming" in phases and "resumed" in phases, phases

    post(suite, "/api/streamcap/stop", {"recording_id": recording_id})
    done = eventually(
        recording,
        lambda r: r.get("state") == "done" and r["files"] and all(f["path"].endswith(".mp4") for f in r["files"]),
        90,
        "the recording finished as MP4 files",
    )
    files = [Path(f["path"]) for f in done["files"]]
    assert len(files) >= 2, files
    assert all(assert_playable_mp4(path) > 1.0 for path in files)
    stem = files[0].name.rsplit("_", 1)[0]
    beside = [p for p in files[0].parent.iterdir() if p.name.startswith(stem) and not is_companion(p)]
    assert sorted(beside) == sorted(files)  # nothing else but each file's clock and subtitles
    live.assert_stored_once(ended=True)


def test_ast_killed_mid_live_resumes_the_job(suite: Suite, fake_live: FakeDouyinThread) -> None:
    # Long enough for a transcript before the kill and one after (the room stays live after its last frame).
    live = ScriptedLive(suite, fake_live, "300000000003", frames=300, pause=0.1, end=False)
    session_id = live.session_id
    audio = {"source": "session", "session_id": session_id}
    post(suite, "/api/ast/start", {"audio_config": audio, "model_config": {"language": "en"}})

    def job() -> dict[str, Any] | None:
        answer = suite.get("/api/ast/status")
        if answer.status_code != 200:
            return None
        return next((j for j in answer.json()["jobs"] if j["session_id"] == session_id), None)

    eventually(lambda: transcript_count(live.database_url, session_id), lambda n: n >= 1, 180, "a first transcript")
    kill_9(suite, "ast")
    resumed = eventually(job, lambda j: j is not None and j["state"] == "running", 120, "the job running again")
    assert resumed["resumed"] is True
    # Transcripts from the restarted worker: its own job status counts them.
    eventually(job, lambda j: j is not None and j["transcripts"] >= 1, 180, "a transcript after the restart")
    assert transcript_count(live.database_url, session_id) >= 2

    post(suite, "/api/ast/stop", {"session_id": session_id})
    live.assert_stored_once(ended=False)
    post(suite, "/api/douyin/stop", {"session_id": session_id})
