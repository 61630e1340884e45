"""Assertions on recorded files, shared by the e2e tests."""

from __future__ import annotations

from pathlib import Path

from services.streamcap import media


def assert_playable_mp4(path: Path) -> float:
    info = media.probe(path)
    assert info.ok, f"{path.name}: {info.error}"
    assert {"video", "audio"} <= info.kinds, info.streams
    boxes = media.mp4_top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat"), f"{path.name} not faststart: {boxes}"
    assert media.decode_check(path) == "", path.name
    return info.duration


# Files that belong beside a recording: its clock (shared/timeline.py) and its subtitles (docs/contracts.md,
# Recording timelines).
COMPANION_SUFFIXES = (".timeline.json", ".danmaku.ass", ".danmaku.srt", ".danmaku.vtt", ".speech.srt", ".speech.vtt",
                      ".subtitles.json")  # fmt: skip


def is_companion(path: Path) -> bool:
    return path.name.endswith(COMPANION_SUFFIXES)


def finished_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """(mp4 files, leftovers: TS, .part, journals) in ``folder``; the recording's companion files are neither."""
    files = sorted(p for p in folder.iterdir() if not is_companion(p))
    mp4 = [p for p in files if p.suffix == ".mp4"]
    rest = [p for p in files if p.suffix != ".mp4"]
    return mp4, rest
