"""Gift delta rules (docs/protocol/douyin.md §5) as a table of cases, the tracker's snapshot, and the dedupe cache
with a fake clock."""

from __future__ import annotations

import orjson
import pytest

from shared.platforms.douyin.dedupe import Deduper
from shared.platforms.douyin.gifts import SNAPSHOT_LIMIT, GiftTracker


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


def gift(tracker: GiftTracker, user: str, group: int, count: int, *, end: bool = False, gift_id: int = 1) -> int:
    return tracker.update(user, gift_id, group, repeat_count=count, combo_count=0, group_count=1, repeat_end=end).delta


def test_gift_snapshot_round_trip_goes_on_counting_where_it_was() -> None:
    clock = FakeClock()
    before = GiftTracker(clock=clock)
    assert gift(before, "u", 9, 3) == 3  # a combo under way
    assert gift(before, "v", 7, 4) + gift(before, "v", 7, 4, end=True) == 4  # a combo and its summary
    assert gift(before, "w", 0, 1) + gift(before, "w", 0, 1, end=True) == 1  # a single gift and its copy
    saved = orjson.loads(orjson.dumps(before.snapshot()))  # as it travels: JSON in the room's progress
    assert saved == [["u", 1, 9, 3, 0, 600], ["v", 1, 7, 4, 1, 600], ["w", 1, 0, 1, 1, 600]]

    after = GiftTracker(clock=FakeClock())  # the next process: another clock
    assert after.restore(saved) == 3 and len(after) == 3
    assert gift(after, "u", 9, 3) == 0  # a replayed step the old process counted adds nothing
    assert gift(after, "u", 9, 5) == 2  # the combo goes on from 3, not from 0
    assert gift(after, "u", 9, 5, end=True) == 0
    assert gift(after, "v", 7, 4, end=True) == 0  # a replayed summary
    assert gift(after, "w", 0, 1, end=True) == 0  # a replayed copy
    assert gift(after, "w", 0, 1) == 1  # the closed flag came along: with group id 0 this is a new send
    assert after.snapshot()[-1] == ["w", 1, 0, 1, 0, 600]


def test_gift_snapshot_respects_expiry() -> None:
    clock = FakeClock()
    before = GiftTracker(ttl=30, clock=clock)
    gift(before, "old", 1, 2)
    clock.now += 20
    gift(before, "new", 2, 5)
    clock.now += 0.5
    assert before.snapshot() == [["old", 1, 1, 2, 0, 10], ["new", 1, 2, 5, 0, 30]]  # seconds left, rounded up
    clock.now += 10
    assert before.snapshot() == [["new", 1, 2, 5, 0, 20]]  # an expired group is not saved

    later = FakeClock()
    after = GiftTracker(ttl=30, clock=later)
    after.restore([["old", 1, 1, 2, 0, 10], ["new", 1, 2, 5, 0, 45]])  # a group keeps only the time it had left
    later.now += 11
    assert after.snapshot() == [["new", 1, 2, 5, 0, 19]]  # never longer than the tracker's TTL
    assert gift(after, "old", 1, 2) == 2  # expired after its 10 s: a late copy counts again, as it would have
    later.now += 20
    assert after.snapshot() == [["old", 1, 1, 2, 0, 10]]


def test_gift_snapshot_is_bounded_to_the_most_recent_groups() -> None:
    clock = FakeClock()
    tracker = GiftTracker(clock=clock)
    for group in range(SNAPSHOT_LIMIT + 300):
        gift(tracker, f"user{group % 7}", group, 1 + group % 10)
        clock.now += 0.01
    gift(tracker, "user0", 0, 10)  # an old group updated again is recent again
    saved = tracker.snapshot()
    assert len(saved) == SNAPSHOT_LIMIT
    assert saved[-1][2] == 0 and [e[2] for e in saved[:-1]] == list(range(301, SNAPSHOT_LIMIT + 300))
    assert len(tracker.snapshot(limit=10)) == 10 and tracker.snapshot(limit=10) == saved[-10:]


def test_gift_restore_skips_what_it_cannot_read_and_keeps_higher_counts() -> None:
    tracker = GiftTracker(clock=FakeClock())
    gift(tracker, "u", 9, 6)
    restored = tracker.restore(
        [
            ["u", 1, 9, 4, 0, 100],  # known with a higher count: stays at 6
            ["x", 1, 9, 2, 0, 0],  # no time left
            ["x", 1, 9, -2, 0, 50],
            ["x", "1", 9, 2, 0, 50],
            [1, 1, 9, 2, 0, 50],
            ["x", 1, 9, 2, 0],
            "garbage",
            None,
            ["ok", 1, 9, 2, 1, 50],
        ]
    )
    assert restored == 2 and len(tracker) == 2
    assert gift(tracker, "u", 9, 7) == 1
    assert gift(tracker, "ok", 9, 2, end=True) == 0
