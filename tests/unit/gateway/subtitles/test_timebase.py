from __future__ import annotations

import pytest

from services.gateway.subtitles.timebase import FileClock, estimate_wall_starts


def test_wall_time_maps_onto_the_files_own_time() -> None:
    clock = FileClock(wall_start_ms=1_800_000_000_000, duration_s=30.0)
    assert clock.at(1_800_000_000_000) == 0
    assert clock.at(1_800_000_012_345) == pytest.approx(12.345)
    assert clock.window_ms == (1_800_000_000_000, 1_800_000_030_000)
    shifted = FileClock(1_800_000_000_000, 30.0, first_pts_s=1.4)
    assert shifted.at(1_800_000_001_000) == pytest.approx(2.4)


def test_old_recordings_are_estimated_back_to_back() -> None:
    assert estimate_wall_starts(1000, [2.0, 3.5, 0.0, 1.0]) == [1000, 3000, 6500, 6500]
    assert estimate_wall_starts(1000, []) == []
