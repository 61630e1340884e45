"""Danmaku lanes: no two comments in a lane ever overlap on screen, and lanes fill top first."""

from __future__ import annotations

import itertools
import random

import pytest

from services.gateway.subtitles.lanes import FixedLanes, ScrollLanes, text_width

W, D = 1920.0, 8.0


def _x(t: float, start: float, width: float) -> float:
    """Left edge of a comment entering at ``start`` at time ``t`` (it moves from x=W to x=-width in D)."""
    return W - (W + width) * (t - start) / D


def test_width_counts_wide_characters_as_a_font_size() -> None:
    assert text_width("你好", 40) == 80
    assert text_width("ab", 40) == pytest.approx(48)
    assert text_width("a你", 40) == pytest.approx(64)
    assert text_width("", 40) == 0


def test_a_free_lane_is_the_top_one_and_a_busy_screen_drops() -> None:
    lanes = ScrollLanes(W, 2, D)
    assert lanes.place(0.0, 300) == 0
    assert lanes.place(0.0, 300) == 1  # the first has not entered yet
    assert lanes.place(0.1, 300) is None  # both lanes busy
    assert lanes.place(2.0, 300) == 0  # the first has fully entered and moves as fast


def test_a_long_fast_comment_waits_until_it_cannot_catch_the_one_ahead() -> None:
    lanes = ScrollLanes(W, 1, D)
    assert lanes.place(0.0, 100) == 0  # short, slow
    # A much longer (faster) one right after would catch it before it leaves.
    assert lanes.place(1.0, 1500) is None
    # Late enough that its head reaches the left edge only after the short one's tail: t + W*D/(W+w) >= 0 + D.
    t_ok = D - W * D / (W + 1500)
    assert lanes.place(t_ok + 0.01, 1500) == 0


def test_random_traffic_never_overlaps_in_a_lane() -> None:
    rng = random.Random(7)
    lanes = ScrollLanes(W, 12, D)
    placed: dict[int, list[tuple[float, float]]] = {}
    t = 0.0
    for _ in range(5000):
        t += rng.expovariate(20)
        width = rng.uniform(40, 900)
        lane = lanes.place(t, width)
        if lane is not None:
            placed.setdefault(lane, []).append((t, width))
    assert sum(len(v) for v in placed.values()) > 1000
    for items in placed.values():
        for (t1, w1), (t2, w2) in itertools.pairwise(items):
            # Sample the time both are on screen: the follower's head stays right of the leader's tail.
            for k in range(21):
                at = t2 + (min(t1 + D, t2 + D) - t2) * k / 20
                assert _x(at, t2, w2) >= _x(at, t1, w1) + w1 - 1e-6, (t1, w1, t2, w2, at)


def test_fixed_lanes_hold_a_line_for_its_duration() -> None:
    fixed = FixedLanes(2, 5.0)
    assert fixed.place(0.0) == 0
    assert fixed.place(1.0) == 1
    assert fixed.place(2.0) is None
    assert fixed.place(5.0) == 0


def test_bad_geometry_is_refused() -> None:
    with pytest.raises(ValueError):
        ScrollLanes(W, 0, D)
    with pytest.raises(ValueError):
        FixedLanes(1, 0)
