"""Gift delta rules (docs/protocol/douyin.md §5) as a table of cases, and the dedupe cache with a fake clock."""

from __future__ import annotations

import pytest

from shared.platforms.douyin.dedupe import Deduper
from shared.platforms.douyin.gifts import GiftTracker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# Each message: (user, gift, group, repeat_count, group_count, repeat_end); expected: total delta.
CASES = [
    pytest.param(
        [("u", 1, 9, 1, 1, 0), ("u", 1, 9, 2, 1, 0), ("u", 1, 9, 3, 1, 0), ("u", 1, 9, 3, 1, 1)],
        3,
        id="combo-stream-then-summary",
    ),
    pytest.param(
        [
            ("u", 1, 9, 1, 1, 0),
            ("u", 1, 9, 2, 1, 0),
            ("u", 1, 9, 3, 1, 0),
            ("u", 1, 9, 5, 1, 0),
            ("u", 1, 9, 6, 1, 0),
            ("u", 1, 9, 6, 1, 1),
        ],
        6,
        id="gap-in-counts",
    ),
    pytest.param([("u", 1, 9, 5, 1, 0), ("u", 1, 9, 3, 1, 0), ("u", 1, 9, 6, 1, 0)], 6, id="out-of-order"),
    pytest.param(
        [("u", 1, 9, 4, 1, 0), ("u", 1, 9, 4, 1, 0), ("u", 1, 9, 4, 1, 1), ("u", 1, 9, 4, 1, 1)],
        4,
        id="duplicates-and-duplicate-summary",
    ),
    pytest.param([("u", 1, 9, 2, 1, 0), ("u", 1, 9, 7, 1, 1)], 7, id="summary-fills-missed-tail"),
    pytest.param([("u", 1, 9, 3, 1, 1)], 3, id="summary-only"),
    pytest.param([("u", 1, 9, 1, 66, 0), ("u", 1, 9, 2, 66, 0), ("u", 1, 9, 2, 66, 1)], 132, id="bundle-of-66"),
    pytest.param([("u", 1, 0, 1, 1, 0), ("u", 1, 0, 1, 1, 1)], 1, id="non-combo-with-copy"),
    pytest.param(
        [("u", 1, 0, 1, 1, 0), ("u", 1, 0, 1, 1, 1), ("u", 1, 0, 1, 1, 0), ("u", 1, 0, 1, 1, 1)],
        2,
        id="two-separate-non-combo-sends",
    ),
    pytest.param([("u", 1, 9, 3, 1, 0), ("v", 1, 9, 3, 1, 0), ("u", 2, 9, 3, 1, 0)], 9, id="keys-independent"),
    pytest.param([("u", 1, 9, 0, 1, 0)], 1, id="no-count-means-one"),
]


@pytest.mark.parametrize(("messages", "total"), CASES)
def test_gift_deltas_count_each_gift_once(messages: list[tuple], total: int) -> None:
    tracker = GiftTracker(clock=FakeClock())
    deltas = [
        tracker.update(u, g, grp, repeat_count=c, combo_count=0, group_count=n, repeat_end=bool(end)).delta
        for u, g, grp, c, n, end in messages
    ]
    assert all(d >= 0 for d in deltas)
    assert sum(deltas) == total


def test_gift_diamonds_and_expiry() -> None:
    clock = FakeClock()
    tracker = GiftTracker(ttl=30, clock=clock)
    first = tracker.update("u", 1, 9, repeat_count=2, combo_count=2, group_count=1, repeat_end=False, diamond_count=10)
    assert (first.delta, first.diamonds) == (2, 20)
    clock.now += 31  # the group is forgotten after its TTL: a late copy counts again (bounded memory wins)
    assert tracker.update("u", 1, 9, repeat_count=2, combo_count=2, group_count=1, repeat_end=True).delta == 2
    assert len(tracker) == 1


def test_dedupe_ttl_and_bound() -> None:
    clock = FakeClock()
    seen = Deduper(ttl=10, max_size=3, clock=clock)
    assert not seen.is_duplicate(("chat", "1"))
    assert seen.is_duplicate(("chat", "1"))
    assert not seen.is_duplicate(("gift", "1"))  # keyed by method too
    clock.now += 11
    assert not seen.is_duplicate(("chat", "1"))  # expired, so new again
    for i in range(10):
        seen.is_duplicate(("chat", str(100 + i)))
    assert len(seen) == 3
    assert seen.is_duplicate(("chat", "109"))
    assert not seen.is_duplicate(("chat", "100"))  # evicted by the bound
    with pytest.raises(ValueError):
        Deduper(ttl=0)
