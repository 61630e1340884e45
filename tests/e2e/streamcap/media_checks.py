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


def finished_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """(mp4 files, leftovers: TS, .part, journals) in ``folder``."""
    files = sorted(p for p in folder.iterdir())
    mp4 = [p for p in files if p.suffix == ".mp4"]
    rest = [p for p in files if p.suffix != ".mp4"]
    return mp4, rest
