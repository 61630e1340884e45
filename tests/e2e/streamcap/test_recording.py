"""Real ffmpeg against the synthetic live source on loopback: every fault a CDN deals out, end to end."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from services.streamcap import media
from services.streamcap.recorder import RecState
from services.streamcap.remux import Remuxer
from services.streamcap.storage import DiskGuard
from services.streamcap.synthetic import Mode, SyntheticLive

from .conftest import Recording
from .media_checks import assert_playable_mp4, finished_files

SOURCE_SECONDS = 5.0


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.parametrize("kind", ["flv", "hls"])
def test_stream_end_stops_and_remuxes(
    kind: str, synthetic: Callable[..., SyntheticLive], record: Callable[..., Recording]
) -> None:
    live = synthetic(mode=Mode.END, end_after=SOURCE_SECONDS)
    assert live.urls is not None
    rec = record(live.urls.flv if kind == "flv" else live.urls.hls)
    assert rec.recorder.join(40), "recording did not end with the stream"
    assert rec.recorder.state is RecState.DONE
    assert rec.recorder.reason.startswith("offline")
    mp4, rest = finished_files(rec.recorder.folder)
    assert rest == [], f"left over: {[p.name for p in rest]}"
    assert len(mp4) >= 2  # 2 s segments
    total = sum(assert_playable_mp4(p) for p in mp4)
    assert abs(total - SOURCE_SECONDS) <= 1.0, total
    phases = rec.phases()
    assert phases[0] == "started" and phases[-1] == "done"
    assert phases.count("remuxed") == len(mp4)
    assert "segment_closed" in phases and "stopped" in phases
    assert all(p.name.startswith("测试主播_") and p.name[-7:-4].isdigit() for p in mp4)


def test_stall_restarts_from_fresh_resolve(
    synthetic: Callable[..., SyntheticLive], record: Callable[..., Recording]
) -> None:
    live = synthetic(mode=Mode.STALL, fault_after=2, hls=False)
    assert live.urls is not None
    rec = record(live.urls.flv)
    wait_for(lambda: "restarted" in rec.phases() and rec.recorder.state is RecState.RECORDING, 25, "a restart")
    assert "stalled" in rec.phases()
    time.sleep(1.5)
    rec.recorder.stop()
    assert rec.recorder.join(30)
    mp4, rest = finished_files(rec.recorder.folder)
    assert rest == []
    for path in mp4:
        assert_playable_mp4(path)


def test_drop_restarts(synthetic: Callable[..., SyntheticLive], record: Callable[..., Recording]) -> None:
    live = synthetic(mode=Mode.DROP, fault_after=2, hls=False)
    assert live.urls is not None
    rec = record(live.urls.flv)
    wait_for(lambda: "restarted" in rec.phases() and rec.recorder.state is RecState.RECORDING, 25, "a restart")
    assert "stalled" not in rec.phases()  # a closed connection is noticed by ffmpeg itself
    time.sleep(1.5)
    rec.recorder.stop()
    assert rec.recorder.join(30)
    assert rec.recorder.state is RecState.DONE
    mp4, _ = finished_files(rec.recorder.folder)
    assert sum(assert_playable_mp4(p) for p in mp4) >= 3.0


def test_kill_9_of_ffmpeg_mid_recording(
    synthetic: Callable[..., SyntheticLive], record: Callable[..., Recording]
) -> None:
    live = synthetic(mode=Mode.STEADY, hls=False)
    assert live.urls is not None
    rec = record(live.urls.flv)
    wait_for(lambda: rec.recorder.progress.bytes > 50_000, 15, "data")
    run = rec.recorder._run
    assert run is not None and run.proc is not None
    os.kill(run.proc.pid, signal.SIGKILL)
    wait_for(lambda: "restarted" in rec.phases() and rec.recorder.state is RecState.RECORDING, 20, "a restart")
    time.sleep(1.0)
    rec.recorder.stop()
    assert rec.recorder.join(30)
    mp4, rest = finished_files(rec.recorder.folder)
    assert rest == [] and mp4
    for path in mp4:
        assert_playable_mp4(path)


def test_disk_threshold_stops_cleanly(
    synthetic: Callable[..., SyntheticLive], record: Callable[..., Recording]
) -> None:
    live = synthetic(mode=Mode.STEADY, hls=False)
    assert live.urls is not None
    free = {"bytes": 10 << 30}
    guard = DiskGuard(min_free_bytes=1 << 30, free_bytes=lambda _p: free["bytes"])
    rec = record(live.urls.flv, disk=guard, remuxer=Remuxer(disk=guard))
    wait_for(lambda: rec.recorder.progress.bytes > 50_000, 15, "data")
    free["bytes"] = 100 << 20  # the disk "fills"
    assert rec.recorder.join(30)
    stopped = [e for e in rec.events if e["state"] == "stopped"]
    assert stopped and stopped[0]["reason"].startswith("disk_full")
    assert rec.recorder.state is RecState.DONE
    # Remuxing needs room too: with the disk full the TS stay (playable) and the journal says what is left.
    files = sorted(rec.recorder.folder.iterdir())
    segments = [p for p in files if p.suffix == ".ts"]
    assert segments and not [p for p in files if p.name.endswith(".part")]
    for ts in segments:
        assert media.probe(ts).ok
    assert [e["state"] for e in rec.events].count("remux_failed") == len(segments)


def test_h265_variant(synthetic: Callable[..., SyntheticLive], record: Callable[..., Recording]) -> None:
    live = synthetic(mode=Mode.H265, hls=False)
    assert live.urls is not None
    rec = record(live.urls.flv)
    wait_for(lambda: rec.recorder.progress.duration > 3.0, 20, "3 s of HEVC")
    rec.recorder.stop()
    assert rec.recorder.join(30)
    mp4, rest = finished_files(rec.recorder.folder)
    assert rest == [] and mp4
    for path in mp4:
        assert_playable_mp4(path)
        assert ("video", "hevc") in media.probe(path).streams


def test_offline_url_fails_with_reason(
    synthetic: Callable[..., SyntheticLive], record: Callable[..., Recording]
) -> None:
    live = synthetic(mode=Mode.STEADY, hls=False)
    assert live.urls is not None
    rec = record(live.urls.flv.replace("live.flv", "nobody.flv"))
    assert rec.recorder.join(20)
    assert rec.recorder.state is RecState.FAILED and rec.recorder.reason.startswith("offline")
    assert rec.phases()[-1] == "failed"
    assert not any(Path(rec.recorder.folder).glob("*.ts"))
