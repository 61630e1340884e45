"""Comments and speech land at their moment in the recording (docs/contracts.md, Recording timelines).

A synthetic live stream paints the wall clock into every frame (machine-readable blocks, ``read_clock``). StreamCap
records it in 2-second segments; the stream drops once, so the recording restarts in the middle (a gap, a new run).
Comments, a gift, a follow and a transcript line are stored at known wall times through the real EventStore. Then,
for every event the recording holds, the cue's time in its file is looked up in the written ASS/SRT, the frame at that
time is decoded with real ffmpeg, and the wall clock painted in it must be the event's time within 0.5 s.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from services.gateway.subtitles.writer import files_of, write_subtitle
from services.streamcap.recorder import RecorderConfig, RecState
from services.streamcap.synthetic import PROFILES, Mode, SyntheticLive, read_clock
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.models import LiveSession
from shared.db.store import EventStore
from shared.ffmpeg import find_ffmpeg
from shared.timeline import read_timeline

from .conftest import Recording

LIVE_ID = "100000000001"
TOLERANCE_MS = 500
CONFIG = RecorderConfig(segment_seconds=2, stall_timeout=2, start_timeout=8, rw_timeout=3, tick=0.2,
                        stop_waits=(3.0, 2.0, 2.0), max_failed_starts=3)  # fmt: skip
_DIALOGUE = re.compile(r"^Dialogue: \d+,(\d+):(\d\d):(\d\d)\.(\d\d),[^,]*,(\w+),.*\}(.*)$")
_SRT_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d),(\d\d\d) --> ")


def frame_clock(media: Path, at: float) -> int | None:
    """The wall time (ms) painted in the frame shown at ``at`` seconds of ``media``."""
    profile = PROFILES["test"]
    cmd = [find_ffmpeg(), "-v", "error", "-ss", f"{at:.3f}", "-i", str(media), "-frames:v", "1", "-f", "rawvideo",
           "-pix_fmt", "gray", "pipe:1"]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, check=True, timeout=30).stdout
    return read_clock(out, profile.width, profile.height)


def ass_cues(path: Path) -> dict[str, float]:
    """Text → start (s) of each Dialogue line."""
    cues: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _DIALOGUE.match(line)
        if m:
            h, mi, s, cs = (int(g) for g in m.groups()[:4])
            cues[m.group(6)] = h * 3600 + mi * 60 + s + cs / 100
    return cues


def test_cues_match_the_painted_clock_across_segments_and_a_restart(
    tmp_path: Path, synthetic: Callable[..., SyntheticLive], record: Callable[..., Recording]
) -> None:
    live = synthetic(mode=Mode.DROP, fault_after=5, hls=False, clock=True)
    assert live.urls is not None
    engine = make_engine(f"sqlite:///{tmp_path / 'timao.db'}")
    upgrade_to_head(engine)
    session_start = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(LiveSession).values(id="s1", platform="douyin", live_id=LIVE_ID, status="active",
                                                started_at=session_start))  # fmt: skip
    store = EventStore(engine)
    rec = record(live.urls.flv, config=CONFIG)
    events: dict[str, int] = {}  # the text each event shows → its wall time (ms)
    deadline = time.monotonic() + 40
    while rec.recorder.state is not RecState.RECORDING:
        assert time.monotonic() < deadline, "the recording did not start"
        time.sleep(0.1)
    n = 0
    ended = time.monotonic() + 12
    while time.monotonic() < ended:
        now = int(time.time() * 1000)
        n += 1
        batch: list[dict[str, Any]] = [{"type": "chat", "session_id": "s1", "msg_id": f"c{n}", "ts": now,
                  "user": {"id": f"{1000 + n}", "nickname": f"观众{n}"}, "data": {"content": f"第{n}条"}}]  # fmt: skip
        events[f"观众{n}：第{n}条"] = now
        if n % 5 == 0:
            batch.append({"type": "gift", "session_id": "s1", "msg_id": f"g{n}", "ts": now,
                          "user": {"id": f"{2000 + n}", "nickname": f"送礼{n}"},
                          "data": {"gift_id": "1", "gift_name": "小心心", "delta": 3, "group_id": f"{n}"}})  # fmt: skip
            events[f"送礼{n} 送出 小心心 ×3"] = now
        store.write(batch)
        time.sleep(0.45)
    rec.recorder.stop()
    assert rec.recorder.join(60)
    assert "restarted" in rec.phases(), rec.phases()
    mp4 = sorted(r.mp4 for r in rec.recorder.mp4_files if r.mp4 is not None)
    assert len(mp4) >= 4, mp4
    assert all(read_timeline(p) is not None for p in mp4)
    # A transcript line said during the second half (ms on the session's clock).
    said_ms = events[f"观众{n - 3}：第{n - 3}条"]
    on_session_clock = said_ms - int(session_start.timestamp() * 1000)
    transcript = {"text": "欢迎来到直播间", "start_ms": on_session_clock, "end_ms": on_session_clock + 1500,
                  "confidence": 0.9, "language": "zh"}  # fmt: skip
    store.write([{"type": "transcript", "session_id": "s1", "msg_id": "t1", "ts": said_ms, "data": transcript}])

    recording = {"recording_id": "rec1", "platform": "douyin", "source": LIVE_ID,
                 "started_at": session_start.isoformat(),
                 "files": [{"path": str(p), "duration": r.duration, "kind": "mp4"}
                           for r in rec.recorder.mp4_files if (p := r.mp4) is not None]}  # fmt: skip
    files = files_of(recording, rec.recorder.folder)
    assert [f.path for f in files] == [p.resolve() for p in sorted(mp4)] or len(files) == len(mp4)
    checked: list[tuple[str, int]] = []
    speech_checked = False
    for file in files:
        assert not file.clock.estimated
        ass, stats = write_subtitle(engine, recording, file, "danmaku", "ass")
        assert ass.name == f"{file.path.stem}.danmaku.ass" and stats["dropped"] == 0
        for text, start in ass_cues(ass).items():
            assert text in events, text
            if start > file.clock.duration_s - 0.1:
                continue  # past the last frame
            painted = frame_clock(file.path, start)
            assert painted is not None, f"unreadable frame at {start:.2f}s of {file.path.name}"
            error = painted - events[text]
            assert abs(error) <= TOLERANCE_MS, f"{text!r} at {start:.2f}s of {file.path.name}: off by {error} ms"
            checked.append((text, error))
        srt, _ = write_subtitle(engine, recording, file, "speech", "srt")
        lines = srt.read_text(encoding="utf-8").splitlines()
        if "欢迎来到直播间" in lines:
            m = _SRT_TIME.match(lines[lines.index("欢迎来到直播间") - 1])
            assert m is not None
            h, mi, s, ms = (int(g) for g in m.groups())
            start = h * 3600 + mi * 60 + s + ms / 1000
            painted = frame_clock(file.path, start)
            # A line begun before the file's first frame shows from that frame on.
            expected = max(said_ms, file.clock.wall_start_ms)
            assert painted is not None and abs(painted - expected) <= TOLERANCE_MS, (painted, expected)
            speech_checked = True
    # Events during the restart's gap are in no file; nearly all the others are checked.
    assert len(checked) >= len(events) * 0.6, (len(checked), len(events))
    assert any(" 送出 " in text for text, _ in checked)
    assert speech_checked
    engine.dispose()
