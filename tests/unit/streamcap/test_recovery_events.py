"""StreamCap's start-up recovery announces what it remuxes as the recorder does (a ``remuxed`` recording event per
MP4, stored in the repository first), so the gateway writes those files' subtitles too
(docs/contracts.md, "Recording timelines"). Real ffmpeg, journal, files and SQLite repository."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from services.streamcap.journal import Journal, SegmentStatus
from services.streamcap.manager import StreamCapManager
from services.streamcap.repository import FileRecord, RecordingRecord, SqlRepository
from shared.db import tables_streamcap  # noqa: F401  (registers the tables)
from shared.db.base import Base
from shared.ffmpeg import find_ffmpeg


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def make_ts(path: Path, seconds: int) -> None:
    cmd = [find_ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=gray:s=160x120:r=25:d={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-f", "mpegts", str(path)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def test_recovery_stores_and_announces_each_remuxed_file(engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    folder = root / "douyin" / "主播"
    folder.mkdir(parents=True)
    stem = "主播_20270115-080000"
    segments = [folder / f"{stem}_000.ts", folder / f"{stem}_001.ts"]
    for ts in segments:
        make_ts(ts, 2)
    (folder / f"{stem}_002.ts").write_bytes(b"")  # opened just before the crash: dropped, never announced
    repo = SqlRepository(engine)
    repo.add_recording(RecordingRecord(id="rec1", platform="douyin", source="100000000001", state="recording",
                                       folder=str(folder), segment_seconds=2,
                                       started_at=datetime.now(UTC)))  # fmt: skip
    journal = Journal.create(folder, "rec1", stem)
    for ts in segments:
        repo.put_file("rec1", FileRecord(str(ts), "ts", ts.stat().st_size, 2.0))
        journal.update(ts.name, status=SegmentStatus.RECORDING)

    events: list[dict[str, Any]] = []

    def on_event(data: dict[str, Any]) -> None:
        # Stored before it is announced: the gateway asks StreamCap's API for the file when the event arrives.
        stored = {f.path for f in SqlRepository(engine).get_recording("rec1").files}  # type: ignore[union-attr]
        assert data["file"] in stored
        events.append(data)

    manager = StreamCapManager(repo, root, on_event=on_event, free_bytes=lambda _p: 1 << 40)
    assert manager.recover() == ["rec1"]

    mp4s = [ts.with_suffix(".mp4") for ts in segments]
    assert all(p.is_file() for p in mp4s) and not any(ts.exists() for ts in segments)
    assert sorted(e["file"] for e in events) == [str(p) for p in mp4s]
    for event in events:
        assert event["recording_id"] == "rec1" and event["state"] == "remuxed" and event["recovered"] is True
        assert event["ts"] in {str(ts) for ts in segments} and 1.5 < event["duration"] < 2.5 and event["size"] > 0
    record = repo.get_recording("rec1")
    assert record is not None and record.state == "done"
    assert sorted(f.path for f in record.files) == [str(p) for p in mp4s]
    # Nothing left: a second start finds nothing to recover and announces nothing.
    events.clear()
    assert manager.recover() == [] and events == []


def test_a_failing_listener_does_not_stop_the_recovery(engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    folder = root / "x"
    folder.mkdir(parents=True)
    ts = folder / "x_20270115-080000_000.ts"
    make_ts(ts, 1)
    repo = SqlRepository(engine)
    repo.add_recording(RecordingRecord(id="rec2", platform="douyin", source="1", state="recording",
                                       folder=str(folder), segment_seconds=2,
                                       started_at=datetime.now(UTC)))  # fmt: skip
    Journal.create(folder, "rec2", "x_20270115-080000").update(ts.name, status=SegmentStatus.CLOSED)

    def broken(_data: dict[str, Any]) -> None:
        raise RuntimeError("listener down")

    manager = StreamCapManager(repo, root, on_event=broken, free_bytes=lambda _p: 1 << 40)
    assert manager.recover() == ["rec2"]
    record = repo.get_recording("rec2")
    assert record is not None and [f.path for f in record.files] == [str(ts.with_suffix(".mp4"))]
