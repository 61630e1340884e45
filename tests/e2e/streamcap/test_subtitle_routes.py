"""The gateway's recording-subtitle routes and the 烧录弹幕 job over real parts, as docs/contracts.md describes them
(docs/contracts.md, Recording timelines): the gateway in-process on real Redis and SQLite, StreamCap's own API on a
real port and its commands on the bus (the real handlers over the same manager), real ffmpeg.

A recording of a Douyin room with two MP4 files (made by ffmpeg, each with its clock beside it) is in StreamCap's
tables; the room's comments, a gift and the streamer's speech are stored. Then: the subtitles are served (and
written beside the file), a wrong kind/format pair is a 422, an unknown recording a 404; a file asked for again
after events were stored in its window carries them; StreamCap's ``remuxed`` event through the bus makes the gateway
write the files by itself, also for a file StreamCap's start-up recovery remuxed; the burn job renders a copy whose
picture carries the danmaku, a second job meanwhile is a 409, and a cancelled one leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert

from launcher.redis_embedded import free_port
from services.gateway.app import create_app
from services.streamcap.api import create_router
from services.streamcap.app import StreamcapApp
from services.streamcap.journal import Journal, SegmentStatus
from services.streamcap.manager import StreamCapManager
from services.streamcap.repository import FileRecord, RecordingRecord, SqlRepository
from shared.bus import Bus
from shared.config import load_settings
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.models import LiveSession
from shared.db.store import EventStore
from shared.events import EventType, LiveEvent
from shared.ffmpeg import find_ffmpeg
from shared.timeline import Timeline, write_timeline
from shared.worker import SYSTEM_SESSION, _dispatcher
from tests.unit.gateway.stand_in import StandInService

TOKEN = "subtitle-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIVE_ID = "100000000001"
T0 = 1_800_000_000_000


def make_mp4(path: Path, seconds: int, size: str) -> None:
    cmd = [find_ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=black:s={size}:r=25:d={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def frame_at(path: Path, at: float, width: int, height: int) -> np.ndarray:
    cmd = [find_ffmpeg(), "-v", "error", "-ss", f"{at:.2f}", "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
           "-pix_fmt", "gray", "pipe:1"]  # fmt: skip
    raw = subprocess.run(cmd, check=True, capture_output=True, timeout=60).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width)


class StreamCapServer:
    """StreamCap's own API (its real router and repository) on a loopback port, as the gateway reaches it."""

    def __init__(self, manager: StreamCapManager, port: int) -> None:
        app = FastAPI()
        app.include_router(create_router(manager), prefix="/api")
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> StreamCapServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "StreamCap's API did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class StreamCapCommands(StandInService):
    """StreamCap's bus commands (the gateway lists and gets recordings with them), answered by the real app's
    handlers over the same manager as the API above, as the StreamCap process serves them."""

    def __init__(self, redis_url: str, app: StreamcapApp) -> None:
        super().__init__(redis_url, "streamcap")
        self.dispatch = _dispatcher(app)

    async def answer(self, bus: Bus, command: str, params: dict[str, Any]) -> dict[str, Any]:
        return await self.dispatch(command, params)


@pytest.fixture
def world(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    port = free_port()
    for key, value in {"HOME": str(tmp_path / "home"), "REDIS_URL": redis_url, "TOKEN": TOKEN,
                       "STREAMCAP_PORT": str(port)}.items():  # fmt: skip
        monkeypatch.setenv(f"TIMAO_{key}", value)
    monkeypatch.delenv("TIMAO_GATEWAY_PORT", raising=False)
    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    upgrade_to_head(engine)
    folder = settings.effective_recordings_dir / "douyin" / "主播"
    folder.mkdir(parents=True)
    long_mp4, short_mp4 = folder / "主播_20270115-080000_000.mp4", folder / "主播_20270115-080000_001.mp4"
    make_mp4(long_mp4, 90, "1280x720")
    make_mp4(short_mp4, 6, "640x360")
    write_timeline(long_mp4, Timeline(T0))
    write_timeline(short_mp4, Timeline(T0 + 95_000))  # a restart's 5 s gap before the second file
    repo = SqlRepository(engine)
    started = datetime.fromtimestamp(T0 / 1000, UTC)
    repo.add_recording(RecordingRecord(id="rec1", platform="douyin", source=LIVE_ID, state="done",
                                       folder=str(folder), segment_seconds=1800, started_at=started))  # fmt: skip
    repo.put_file("rec1", FileRecord(str(long_mp4), "mp4", long_mp4.stat().st_size, 90.0))
    repo.put_file("rec1", FileRecord(str(short_mp4), "mp4", short_mp4.stat().st_size, 6.0))
    with engine.begin() as conn:
        conn.execute(insert(LiveSession).values(id="s1", platform="douyin", live_id=LIVE_ID, status="ended",
                                                started_at=started))  # fmt: skip
    events: list[dict[str, Any]] = [
        {"type": "chat", "session_id": "s1", "msg_id": f"c{i}", "ts": T0 + 1000 + i * 700,
         "user": {"id": f"{100 + i}", "nickname": f"观众{i}"}, "data": {"content": f"弹幕 <{i}> {{x}}"}}
        for i in range(120)
    ]  # fmt: skip
    events.append({"type": "gift", "session_id": "s1", "msg_id": "g1", "ts": T0 + 96_000,
                   "user": {"id": "7", "nickname": "大哥"}, "data": {"gift_name": "嘉年华", "delta": 1}})  # fmt: skip
    events.append(
        {
            "type": "transcript",
            "session_id": "s1",
            "msg_id": "t1",
            "ts": T0 + 2000,
            "data": {"text": "欢迎大家", "start_ms": 2000, "end_ms": 4000, "confidence": 1, "language": "zh"},
        }
    )
    EventStore(engine).write(events)
    manager = StreamCapManager(repo, settings.effective_recordings_dir, free_bytes=lambda _p: 1 << 40)
    streamcap = StreamcapApp(settings)
    streamcap.manager = manager
    with (
        StreamCapServer(manager, port),
        StreamCapCommands(redis_url, streamcap),
        TestClient(create_app(settings), base_url="http://127.0.0.1:9019") as client,
    ):
        yield {"client": client, "long": long_mp4, "short": short_mp4, "redis_url": redis_url, "engine": engine}
    streamcap.engine.dispose()
    engine.dispose()


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_subtitles_are_served_written_beside_the_file_and_refused_when_wrong(world: dict[str, Any]) -> None:
    client: TestClient = world["client"]
    url = "/api/streamcap/recordings/rec1/subtitles"
    answer = client.get(url, params={"kind": "danmaku", "format": "ass"}, headers=AUTH)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/x-ssa")
    assert "attachment" in answer.headers["content-disposition"]
    body = answer.text
    assert body.count("Dialogue: 0,") == 120 and "0:00:01.00,0:00:09.00" in body
    assert "观众0：弹幕 <0> ｛x｝" in body  # braces can never become ASS overrides
    assert (world["long"].with_name(world["long"].stem + ".danmaku.ass")).read_text(encoding="utf-8") == body
    # The second file starts 95 s in: the gift 1 s after its start, in the highlighted style.
    second = client.get(url, params={"kind": "danmaku", "format": "ass", "file": 1}, headers=AUTH)
    assert second.status_code == 200
    assert "Dialogue: 1,0:00:01.00,0:00:06.00,Gift,," in second.text and second.text.endswith("大哥 送出 嘉年华 ×1\n")
    speech = client.get(url, params={"kind": "speech", "format": "vtt"}, headers=AUTH)
    assert speech.status_code == 200 and speech.headers["content-type"].startswith("text/vtt")
    assert speech.text == "WEBVTT\n\n00:00:02.000 --> 00:00:04.000\n欢迎大家\n\n"
    srt = client.get(url, params={"kind": "danmaku", "format": "srt"}, headers=AUTH)
    assert srt.status_code == 200 and "00:00:01,000 --> 00:00:05,000\n观众0：弹幕 ＜0＞ {x}" in srt.text

    bad = client.get(url, params={"kind": "speech", "format": "ass"}, headers=AUTH)
    assert bad.status_code == 422 and "语音字幕没有 ass 格式" in bad.json()["detail"]
    assert client.get(url, params={"kind": "lyrics", "format": "srt"}, headers=AUTH).status_code == 422
    unknown = client.get("/api/streamcap/recordings/nope/subtitles", params={"kind": "danmaku", "format": "ass"},
                         headers=AUTH)  # fmt: skip
    assert unknown.status_code == 404 and "没有这个录制" in unknown.json()["detail"]
    assert client.get(url, params={"kind": "danmaku", "format": "ass", "file": 5}, headers=AUTH).status_code == 404
    assert client.get(url, params={"kind": "danmaku", "format": "ass"}).status_code == 401


def test_a_remuxed_event_makes_the_gateway_write_the_subtitles(world: dict[str, Any]) -> None:
    short: Path = world["short"]
    event = LiveEvent.build(EventType.RECORDING, SYSTEM_SESSION,
                            {"recording_id": "rec1", "state": "remuxed", "file": str(short)})  # fmt: skip

    async def publish() -> None:
        bus = Bus(world["redis_url"], service="test")
        await bus.start()
        await bus.publish(event)
        await bus.close()

    asyncio.run(publish())
    for suffix in (".danmaku.ass", ".speech.srt", ".speech.vtt"):
        wait_for(lambda s=suffix: short.with_name(short.stem + s).is_file(), 20, f"{suffix} written at remux time")
    assert "嘉年华" in short.with_name(short.stem + ".danmaku.ass").read_text(encoding="utf-8")


def test_a_subtitle_asked_for_again_carries_the_events_stored_since(world: dict[str, Any]) -> None:
    client: TestClient = world["client"]
    url = "/api/streamcap/recordings/rec1/subtitles"
    first = client.get(url, params={"kind": "speech", "format": "srt"}, headers=AUTH)
    assert first.status_code == 200 and "欢迎大家" in first.text and "晚到的一句" not in first.text
    srt = world["long"].with_name(world["long"].stem + ".speech.srt")
    written_at = srt.stat().st_mtime_ns
    time.sleep(0.05)
    assert client.get(url, params={"kind": "speech", "format": "srt"}, headers=AUTH).text == first.text
    assert srt.stat().st_mtime_ns == written_at  # nothing new: served as written
    # The transcription finishes a line after the file was written: the next answer (and the file) has it.
    line = {"text": "晚到的一句", "start_ms": 30_000, "end_ms": 32_000, "confidence": 1, "language": "zh"}
    late = {"type": "transcript", "session_id": "s1", "msg_id": "t-late", "ts": T0 + 30_000, "data": line}
    EventStore(world["engine"]).write([late])
    again = client.get(url, params={"kind": "speech", "format": "srt"}, headers=AUTH)
    assert again.status_code == 200 and "欢迎大家" in again.text
    assert "00:00:30,000 --> 00:00:32,000\n晚到的一句" in again.text
    assert srt.read_text(encoding="utf-8") == again.text


def test_files_remuxed_by_streamcaps_start_up_recovery_get_their_subtitles(world: dict[str, Any]) -> None:
    """A recording a crash left as TS: the real StreamCap process side (``StreamcapApp.start``) remuxes it at start
    and announces the MP4 on the bus like a remux of a running recording; the gateway writes its subtitles."""
    folder: Path = world["long"].parent
    stem = "主播_20270115-080300"
    ts = folder / f"{stem}_000.ts"
    cmd = [find_ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=320x240:r=25:d=4",
           "-f", "lavfi", "-i", "sine=frequency=440:duration=4", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-f", "mpegts", str(ts)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    write_timeline(ts, Timeline(T0 + 10_000))  # comments 13..18 are live in its 4 s
    repo = SqlRepository(world["engine"])
    started = datetime.fromtimestamp((T0 + 10_000) / 1000, UTC)
    repo.add_recording(RecordingRecord(id="rec2", platform="douyin", source=LIVE_ID, state="recording",
                                       folder=str(folder), segment_seconds=1800, started_at=started))  # fmt: skip
    repo.put_file("rec2", FileRecord(str(ts), "ts", ts.stat().st_size, 0.0))
    Journal.create(folder, "rec2", stem).update(ts.name, status=SegmentStatus.RECORDING)

    async def streamcap_start_and_stop() -> None:
        bus = Bus(world["redis_url"], service="streamcap")
        await bus.start()
        app = StreamcapApp(load_settings())
        try:
            await app.start(bus)
            await asyncio.sleep(0.5)  # the events the recovery handed to the loop go out
        finally:
            await app.stop()
            await bus.close()

    asyncio.run(streamcap_start_and_stop())
    mp4 = ts.with_suffix(".mp4")
    assert mp4.is_file() and not ts.exists()
    ass = mp4.with_name(f"{mp4.stem}.danmaku.ass")
    for suffix in (".danmaku.ass", ".speech.srt", ".speech.vtt"):
        wait_for(lambda s=suffix: mp4.with_name(mp4.stem + s).is_file(), 30, f"{suffix} of a recovered file")
    text = ass.read_text(encoding="utf-8")
    assert "观众13：弹幕 <13>" in text and "观众18：" in text and "观众12：" not in text and "观众19：" not in text


def test_burn_job_renders_the_danmaku_with_progress_one_at_a_time_and_cancels(world: dict[str, Any]) -> None:
    client: TestClient = world["client"]
    assert client.get("/api/streamcap/burn", headers=AUTH).json()["state"] == "idle"
    # The long file: a second job meanwhile is refused, and a cancel leaves no copy behind.
    started = client.post("/api/streamcap/recordings/rec1/burn", json={"file": 0}, headers=AUTH)
    assert started.status_code == 200, started.text
    assert started.json()["state"] == "running"
    output = Path(started.json()["output"])
    assert output.name == "主播_20270115-080000_000.danmaku-burned.mp4" and output.parent == world["long"].parent
    busy = client.post("/api/streamcap/recordings/rec1/burn", json={"file": 1}, headers=AUTH)
    assert busy.status_code == 409 and "正在烧录" in busy.json()["detail"]
    wait_for(lambda: client.get("/api/streamcap/burn", headers=AUTH).json()["percent"] > 0, 60, "progress")
    cancelled = client.delete("/api/streamcap/burn", headers=AUTH).json()
    assert cancelled["state"] == "cancelled", cancelled
    assert not output.exists() and not list(output.parent.glob("*.part"))

    # The short file to the end: its copy plays and the danmaku are in its picture.
    started = client.post("/api/streamcap/recordings/rec1/burn", json={"file": 1}, headers=AUTH).json()
    done = wait_for(
        lambda: (s := client.get("/api/streamcap/burn", headers=AUTH).json())["state"] != "running" and s, 120, "done"
    )
    assert done["state"] == "done" and done["percent"] == 100.0, done
    burned = Path(done["output"])
    assert burned == Path(started["output"]) and burned.is_file()
    # At 2 s the gift line is shown on top in gold on a black picture; the original is black there.
    plain = frame_at(world["short"], 2.0, 640, 360)
    painted = frame_at(burned, 2.0, 640, 360)
    assert plain[:40].max() < 40 and painted[:40].max() > 120
    missing = client.post("/api/streamcap/recordings/missing/burn", json={}, headers=AUTH)
    assert missing.status_code == 404


def test_a_file_on_another_workers_disk_is_a_409_that_names_the_worker(world: dict[str, Any]) -> None:
    """Recordings on several workers (docs/contracts.md, Workers on several machines): a recording continued on
    another machine has files this gateway cannot read; asking for their subtitles or a burn says where they are."""
    repo = SqlRepository(world["engine"])
    far = "/srv/other-machine/recordings/主播/主播_20270115-090000_000.ts"
    repo.add_recording(RecordingRecord(id="rec2", platform="douyin", source=LIVE_ID, state="recording",
                                       folder=str(Path(far).parent), segment_seconds=1800,
                                       worker_id="far-worker"))  # fmt: skip
    repo.put_file("rec2", FileRecord(str(world["long"]), "mp4", world["long"].stat().st_size, 90.0))
    repo.put_file("rec2", FileRecord(far, "ts", 1_000_000, 60.0, worker_id="far-worker"))
    client: TestClient = world["client"]
    listed = {r["recording_id"]: r for r in client.get("/api/streamcap/recordings", headers=AUTH).json()["recordings"]}
    assert listed["rec2"]["worker_id"] == "far-worker"
    files = {f["path"]: f for f in listed["rec2"]["files"]}
    assert files[far]["worker_id"] == "far-worker" and files[far]["size"] == 1_000_000  # as stored: not on this disk
    url = "/api/streamcap/recordings/rec2/subtitles"
    index = [f["path"] for f in listed["rec2"]["files"]].index(far)
    answer = client.get(url, params={"kind": "danmaku", "format": "ass", "file": index}, headers=AUTH)
    assert answer.status_code == 409 and "far-worker" in answer.json()["detail"], answer.text
    assert "不在本机" in answer.json()["detail"]
    burn = client.post("/api/streamcap/recordings/rec2/burn", json={"file": index}, headers=AUTH)
    assert burn.status_code == 409 and "far-worker" in burn.json()["detail"]
    local = client.get(url, params={"kind": "danmaku", "format": "ass", "file": 1 - index}, headers=AUTH)
    assert local.status_code == 200  # the file on this machine's disk is served as before
