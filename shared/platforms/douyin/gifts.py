"""Gift accounting (docs/protocol/douyin.md §5): how many gifts each gift message newly adds.

Douyin sends a combo as a stream of messages with a *cumulative* count (``repeat_count``, else ``combo_count``)
that may skip values and arrive out of order, all with one ``group_id``, then a ``repeat_end=1`` summary with the
final count; non-combo gifts are often followed by a ``repeat_end=1`` copy, and any message may arrive twice.
Per key (user, gift, group) we remember the highest count seen and report only the positive difference, times
the bundle size (``group_count``). Summing ``delta`` over a session therefore counts every gift exactly once
whatever mix of stream messages, summaries and duplicates arrives; a summary only fills a gap the stream left.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["GiftDelta", "GiftTracker"]


@dataclass(slots=True, frozen=True)
class GiftDelta:
    delta: int  # gifts newly sent (already multiplied by group_count)
    count: int  # the cumulative count this message carried (combo units)
    diamonds: int  # delta × price


@dataclass(slots=True)
class _Group:
    seen: int
    closed: bool
    expiry: float


class GiftTracker:
    def __init__(
        self, ttl: float = 600.0, max_groups: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._max = max_groups
        self._clock = clock
        self._groups: OrderedDict[tuple[str, int, int], _Group] = OrderedDict()

    def __len__(self) -> int:
        return len(self._groups)

    def update(
        self,
        user_id: str,
        gift_id: int,
        group_id: int,
        *,
        repeat_count: int,
        combo_count: int,
        group_count: int,
        repeat_end: bool,
        diamond_count: int = 0,
    ) -> GiftDelta:
        count = repeat_count or combo_count or 1
        bundle = group_count or 1
        now = self._clock()
        key = (user_id, gift_id, group_id)
        group = self._groups.get(key)
        if group is not None and group.expiry <= now:
            group = None
        if group is None:
            new = count
            group = _Group(seen=count, closed=repeat_end, expiry=now + self._ttl)
        elif group.closed and group_id == 0 and not repeat_end:
            # Without a group id a finished combo's key is reused by the user's next, separate send.
            new = count
            group.seen, group.closed = count, False
        else:
            new = max(0, count - group.seen)
            group.seen = max(group.seen, count)
            group.closed = group.closed or repeat_end
        group.expiry = now + self._ttl
        self._groups[key] = group
        self._groups.move_to_end(key)
        self._evict(now)
        delta = new * bundle
        return GiftDelta(delta=delta, count=count, diamonds=delta * diamond_count)

    def _evict(self, now: float) -> None:
        groups = self._groups
        while groups:
            _key, group = next(iter(groups.items()))
            if group.expiry > now and len(groups) <= self._max:
                break
            groups.popitem(last=False)
