"""Recordings resumed after a restart of StreamCap: a new segment of the same recording, the assignment kept in step.

ffmpeg is faked (a child that writes its first segment at once and quits on ``q``); the journal, the repository and
the files are real.
"""

from __future__ import annotations

import io
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from services.streamcap.journal import Journal, SegmentStatus
from services.streamcap.manager import StreamCapManager
from services.streamcap.recorder import Phase, Recorder, RecorderConfig, RecState
from services.streamcap.repository import RecordingRecord, SqlRepository
from services.streamcap.sources import DirectSource
from shared.assignments import WorkItem
from shared.db import tables_streamcap  # noqa: F401  (registers the tables)
from shared.db.base import Base
from shared.retry import constant

URL = "http://127.0.0.1:9/live.flv"
FAST = RecorderConfig(tick=0.05, start_timeout=5, stall_timeout=5, stop_waits=(1.0, 1.0, 1.0), max_failed_starts=2)


class _Stdin:
    def __init__(self, quit: threading.Event) -> None:
        self._quit = quit

    def write(self, data: bytes) -> int:
        if b"q" in data:
            self._quit.set()
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class FakeFfmpeg:
    """Writes its first segment (numbered as asked) at once, then runs until told to quit."""

    def __init__(self, cmd: Sequence[str]) -> None:
        self.cmd = list(cmd)
        self.start_number = int(cmd[list(cmd).index("-segment_start_number") + 1])
        self.first = Path(cmd[-1].replace("%%", "%") % self.start_number)
        self.first.write_bytes(b"\x47" * 188 * 50)
        self.pid = 4242
        self._quit = threading.Event()
        self.stdin = _Stdin(self._quit)
        self.stdout = io.BytesIO(b"")
        self.stderr = io.BytesIO(b"")

    def poll(self) -> int | None:
        return 0 if self._quit.is_set() else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._quit.wait(timeout):
            raise subprocess.TimeoutExpired(self.cmd, timeout or 0)
        return 0

    def send_signal(self, sig: int) -> None:
        self._quit.set()

    def kill(self) -> None:
        self._quit.set()


class Spawner:
    def __init__(self) -> None:
        self.runs: list[FakeFfmpeg] = []

    def __call__(self, cmd: Sequence[str]) -> Any:  # a ChildProcess as far as the recorder can tell
        run = FakeFfmpeg(cmd)
        self.runs.append(run)
        return run


class Ledger:
    """The manager's view of the durable assignments, in memory: one worker, every lease its own."""

    worker_id = "w1"

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.released: list[str] = []
        self.progressed: dict[str, dict[str, Any]] = {}

    def claim(self, item_id: str) -> bool:
        return True

    def may_write(self, item_id: str) -> bool:
        return True

    def progress(self, item_id: str, progress: dict[str, Any]) -> bool:
        self.progressed[item_id] = progress
        return True

    def place(self, requested: str | None) -> str:
        return requested or self.worker_id

    def owner(self, item_id: str) -> str | None:
        return None

    def recording_of(self, stream: str) -> str | None:
        return None

    def set_capacity(self, recordings: int) -> None:
        pass

    def assign(self, item_id: str, spec: dict[str, Any], *, stream: str = "") -> str | None:
        self.items[item_id] = spec
        return item_id

    def release(self, item_id: str) -> None:
        self.items.pop(item_id, None)
        self.released.append(item_id)

    def work(self) -> list[WorkItem]:
        return [WorkItem(k, v) for k, v in self.items.items()]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def manager(engine: Engine, root: Path, spawner: Spawner, ledger: Ledger) -> StreamCapManager:
    made = StreamCapManager(SqlRepository(engine), root, free_bytes=lambda _p: 1 << 40, recorder_config=FAST,
                            retry=constant(0.05), spawn=spawner)  # fmt: skip
    made.update_settings({"remux_to_mp4": False})  # the fake segments are not media
    made.bind_work(ledger)
    return made


def until(predicate: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_restarted_recorder_continues_the_recording_in_a_new_segment(engine: Engine, tmp_path: Path) -> None:
    root, ledger = tmp_path / "rec", Ledger()
    first = manager(engine, root, Spawner(), ledger)
    recording_id = first.start_recording("direct", URL, name="猫")
    assert ledger.items[recording_id]["stream_url"] == URL
    until(lambda: first.get_recording(recording_id)["state"] == "recording", 5, "recording")
    first.shutdown(5)  # the process stops: the recording is left assigned
    assert recording_id in ledger.items and ledger.released == []
    assert first.get_recording(recording_id)["reason"] == "shutdown"

    spawner = Spawner()
    second = manager(engine, root, spawner, ledger)
    assert second.adopt(ledger.work()) == [recording_id]
    assert second.recover() == []  # a resumed recording is not "left over"
    until(lambda: second.get_recording(recording_id)["state"] == "recording", 5, "recording again")
    view = second.get_recording(recording_id)
    assert view["resumed"] is True and view["restarts"] >= 1 and view["ended_at"] is None
    assert spawner.runs[0].start_number == 1  # after the segment the first process wrote
    names = [Path(f["path"]).name for f in view["files"]]
    assert len(names) == 2 and names[0].startswith("猫_") and all(f["size"] > 0 for f in view["files"])
    assert names[0].endswith("_000.ts") and names[1] == names[0].replace("_000.ts", "_001.ts")  # one stem, numbered on

    second.stop_recording(recording_id)
    assert ledger.items == {}  # a user's stop ends the work for good
    until(lambda: second.get_recording(recording_id)["state"] == "done", 5, "done")


def test_a_recording_that_ended_by_itself_is_released_not_resumed(engine: Engine, tmp_path: Path) -> None:
    root, ledger = tmp_path / "rec", Ledger()
    repo = SqlRepository(engine)
    for rid, state, reason in (("over", "done", "offline: 直播已结束"), ("gone", "failed", "unreachable")):
        repo.add_recording(RecordingRecord(rid, "direct", URL, state, str(root), 1800.0, reason=reason))
        ledger.assign(rid, {"stream_url": URL})
    ledger.assign("unknown", {"stream_url": URL})
    spawner = Spawner()
    second = manager(engine, root, spawner, ledger)
    assert second.adopt(ledger.work()) == []
    assert ledger.items == {} and sorted(ledger.released) == ["gone", "over", "unknown"]
    assert spawner.runs == []


def test_a_recording_ending_releases_its_assignment(engine: Engine, tmp_path: Path) -> None:
    root, ledger = tmp_path / "rec", Ledger()
    made = manager(engine, root, Spawner(), ledger)
    recording_id = made.start_recording("direct", URL)
    until(lambda: made.get_recording(recording_id)["state"] == "recording", 5, "recording")
    recorder = made.recorder(recording_id)
    assert recorder is not None
    recorder.stop("offline")  # the stream ended (as the monitor or the recorder itself decides)
    until(lambda: made.get_recording(recording_id)["state"] == "done", 5, "done")
    until(lambda: ledger.released == [recording_id], 5, "released")  # right after its end is stored
    assert ledger.items == {}


def test_resume_from_a_crash_journal_numbers_on_and_closes_the_interrupted_segment(tmp_path: Path) -> None:
    """What kill -9 leaves: a journal whose last segment is still "recording", and that segment's TS file."""
    folder = tmp_path / "rec"
    folder.mkdir()
    journal = Journal.create(folder, "r1", "主播_20260101-120000")
    for index, status in ((0, SegmentStatus.CLOSED), (1, SegmentStatus.RECORDING)):
        name = f"主播_20260101-120000_{index:03d}.ts"
        (folder / name).write_bytes(b"\x47" * 188 * (index + 1))
        journal.update(name, status=status, duration=30.0 if index == 0 else 0.0)
    (folder / "主播_20260101-120000_002.ts").write_bytes(b"")  # opened just before the crash, never written
    events: list[dict[str, Any]] = []
    spawner = Spawner()
    recorder = Recorder("r1", DirectSource(URL), folder, config=FAST, on_event=events.append, spawn=spawner,
                        retry=constant(0.05))  # fmt: skip
    recorder.resume_from(Journal.load(journal.path), duration=31.5, restarts=2)
    assert [(s.index, s.closed) for s in recorder.files()] == [(0, True), (1, True)]
    assert recorder.resuming and recorder.progress.duration == 31.5 and recorder.progress.bytes == 188 * 3
    reloaded = Journal.load(journal.path)
    assert {n: e.status for n, e in reloaded.segments.items()} == {
        "主播_20260101-120000_000.ts": SegmentStatus.CLOSED,
        "主播_20260101-120000_001.ts": SegmentStatus.CLOSED,
    }

    recorder.start()
    until(lambda: recorder.state is RecState.RECORDING, 5, "recording")
    assert spawner.runs[0].start_number == 3 and spawner.runs[0].first.name == "主播_20260101-120000_003.ts"
    assert not recorder.resuming
    recorder.stop()
    recorder.join(5)
    phases = [e["state"] for e in events]
    assert phases[0] == Phase.RESUMING and Phase.RESUMED in phases and phases[-1] == Phase.DONE
    resumed = next(e for e in events if e["state"] == Phase.RESUMED)
    assert resumed["file"].endswith("_003.ts")
    assert recorder.restarts == 2
