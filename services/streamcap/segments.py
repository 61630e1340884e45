"""A recording's segment files on disk: their names (``<stem>_NNN.ts``), the segment list ffmpeg writes for a run,
and where each segment starts on the wall clock (shared/timeline.py). Pure functions; the recorder keeps the state."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

from services.streamcap.lifecycle import SegmentFile

__all__ = ["find_segments", "glob_escape", "read_segment_times", "segment_pattern", "wall_starts"]


def segment_pattern(stem: str) -> re.Pattern[str]:
    """``<stem>_NNN.ts``, the index in group 1."""
    return re.compile(rf"^{re.escape(stem)}_(\d{{3,}})\.ts$")


def glob_escape(text: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", text)


def find_segments(folder: Path, stem: str, first_index: int) -> dict[int, Path]:
    """The segment files of ``stem`` in ``folder`` numbered ``first_index`` and up, by index."""
    pattern = segment_pattern(stem)
    try:
        entries = list(folder.iterdir())
    except OSError:
        entries = []
    found: dict[int, Path] = {}
    for path in entries:
        match = pattern.match(path.name)
        if match and int(match.group(1)) >= first_index:
            found[int(match.group(1))] = path
    return found


def read_segment_times(path: Path) -> dict[str, tuple[float, float]]:
    """The segment muxer's CSV list (name,start,end per closed segment) as name → (start, end) on the run's time
    (the same time ``-progress`` reports as ``out_time``)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    times: dict[str, tuple[float, float]] = {}
    for row in csv.reader(text.splitlines()):
        if len(row) >= 3:
            try:
                times[Path(row[0]).name] = (float(row[1]), float(row[2]))
            except ValueError:
                continue
    return times


def wall_starts(
    segments: Iterable[SegmentFile], first_index: int, times: dict[str, tuple[float, float]], offset: float
) -> list[tuple[SegmentFile, int]]:
    """Each segment of a run (numbered from ``first_index``, in order) with the wall time (ms) of its first frame:
    its start in the segment list, or where the one before it ended, or (the run's first) the run's time 0; the
    run's clock ``offset`` turns run time into wall time. A segment whose start cannot be known yet is left out."""
    starts: list[tuple[SegmentFile, int]] = []
    previous_end: float | None = None
    for seg in segments:
        start_end = times.get(seg.path.name)
        if start_end is not None:
            start = start_end[0]
        elif previous_end is not None:
            start = previous_end
        elif seg.index == first_index:
            start = 0.0
        else:
            continue
        previous_end = start_end[1] if start_end is not None else None
        starts.append((seg, round((offset + start) * 1000)))
    return starts
