"""A recorder process killed with SIGKILL mid-recording (ffmpeg first, then the service): after recovery every file
is a verified MP4 and nothing half-written remains."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from services.streamcap.journal import Journal
from services.streamcap.remux import Remuxer
from services.streamcap.synthetic import Mode, SyntheticLive

from .media_checks import assert_playable_mp4, finished_files

CHILD = """
import sys, time
from pathlib import Path
from services.streamcap.recorder import Recorder, RecorderConfig
from services.streamcap.sources import DirectSource
rec = Recorder("crashy", DirectSource(sys.argv[1]), Path(sys.argv[2]), name="crash",
               config=RecorderConfig(segment_seconds=1, tick=0.1))
rec.start()
while True:
    run = rec._run
    if run is not None and run.proc is not None and rec.progress.segments >= 3:
        print(run.proc.pid, flush=True)
        break
    time.sleep(0.1)
time.sleep(600)
"""


def test_kill_9_then_recover(synthetic: Callable[..., SyntheticLive], tmp_path: Path) -> None:
    live = synthetic(mode=Mode.STEADY, hls=False)
    assert live.urls is not None
    folder = tmp_path / "rec"
    child = subprocess.Popen([sys.executable, "-c", CHILD, live.urls.flv, str(folder)], stdout=subprocess.PIPE,
                             cwd=Path(__file__).resolve().parents[3])  # fmt: skip
    try:
        assert child.stdout is not None
        ffmpeg_pid = int(child.stdout.readline())
        time.sleep(0.5)
        os.kill(ffmpeg_pid, signal.SIGKILL)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    journals = Journal.find(folder)
    assert len(journals) == 1
    ts_before = sorted(folder.glob("*.ts"))
    assert len(ts_before) >= 3
    # A crash during an earlier remux leaves a half-written MP4 behind.
    (folder / (ts_before[0].stem + ".mp4.part")).write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(4000))

    reports = Remuxer().recover(tmp_path)

    assert len(reports) == 1 and not reports[0].failed
    mp4, rest = finished_files(folder)
    assert rest == [], [p.name for p in rest]
    assert mp4
    total = sum(assert_playable_mp4(p) for p in mp4)
    assert total > 2.0
    assert Journal.find(folder) == []
    assert Remuxer().recover(tmp_path) == []  # nothing left: idempotent
