"""A recording file's clock file (shared/timeline.py): beside the file, shared by the TS and its MP4."""

from __future__ import annotations

from pathlib import Path

from shared.timeline import Timeline, read_timeline, timeline_path, write_timeline


def test_the_ts_and_its_mp4_share_one_clock(tmp_path: Path) -> None:
    ts = tmp_path / "主播_20270115-080000_003.ts"
    written = write_timeline(ts, Timeline(1_800_000_123_456))
    assert written == tmp_path / "主播_20270115-080000_003.timeline.json" == timeline_path(ts)
    assert read_timeline(ts.with_suffix(".mp4")) == Timeline(1_800_000_123_456, "measured")
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_or_foreign_clock_files_read_as_none(tmp_path: Path) -> None:
    media = tmp_path / "x_000.mp4"
    assert read_timeline(media) is None
    for text in ("not json", '{"wall_start_ms": "soon"}', '{"wall_start_ms": 12}', "[]"):
        timeline_path(media).write_text(text, encoding="utf-8")
        assert read_timeline(media) is None, text
