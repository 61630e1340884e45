"""Wall time → a recorded file's own time (docs/contracts.md, Recording timelines).

A file's clock is the wall time of its first PTS (``shared/timeline.py``, written by StreamCap while it records).
A player showing time ``t`` of the file shows what was live at ``wall_start_ms + (t - first_pts) * 1000``, so an
event at wall time ``w`` belongs at ``t = (w - wall_start_ms) / 1000 + first_pts``. Each segment has its own clock,
so a restart's gap or a segment cut never shifts the next file, and remuxing (stream copy) keeps the PTS.

Older recordings, made before the recorder wrote clocks, get an estimate: the recording's start plus the durations
of the files before (gaps of restarts are then unknown); ``FileClock.estimated`` says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["FileClock", "estimate_wall_starts"]


@dataclass(frozen=True, slots=True)
class FileClock:
    wall_start_ms: int
    duration_s: float
    first_pts_s: float = 0.0
    estimated: bool = False

    def at(self, wall_ms: int | float) -> float:
        """The file's time (s) at which the event at ``wall_ms`` was live."""
        return (wall_ms - self.wall_start_ms) / 1000.0 + self.first_pts_s

    @property
    def window_ms(self) -> tuple[int, int]:
        """The wall-time span [start, end] (ms) this file shows."""
        return self.wall_start_ms, self.wall_start_ms + round(self.duration_s * 1000)


def estimate_wall_starts(recording_started_ms: int, durations_s: Sequence[float]) -> list[int]:
    """Wall starts of files recorded one after another from ``recording_started_ms``, without gaps."""
    starts: list[int] = []
    at = float(recording_started_ms)
    for duration in durations_s:
        starts.append(round(at))
        at += max(0.0, duration) * 1000.0
    return starts
