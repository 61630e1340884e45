"""Gift accounting (docs/protocol/douyin.md §5): how many gifts each gift message newly adds.

Douyin sends a combo as a stream of messages with a *cumulative* count (``repeat_count``, else ``combo_count``)
that may skip values and arrive out of order, all with one ``group_id``, then a ``repeat_end=1`` summary with the
final count; non-combo gifts are often followed by a ``repeat_end=1`` copy, and any message may arrive twice.
Per key (user, gift, group) we remember the highest count seen and report only the positive difference, times
the bundle size (``group_count``). Summing ``delta`` over a session therefore counts every gift exactly once
whatever mix of stream messages, summaries and duplicates arrives; a summary only fills a gap the stream left.
Counts come from the wire as uint64: ``delta`` and ``diamonds`` are capped at ``MAX_INT`` so that a forged count never
makes an event that cannot be serialised or stored.

The tracker's state travels with the room's progress: ``snapshot()`` lists the live groups (JSON-ready, the most recent
``SNAPSHOT_LIMIT``), saved with the cursor after each batch of events; the process that adopts the room ``restore()``s
it, so a combo cut by a crash goes on counting from where the events up to that cursor left it.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from shared.events import MAX_INT

__all__ = ["SNAPSHOT_LIMIT", "GiftDelta", "GiftTracker"]

# Groups a snapshot keeps: the most recently updated, which are the ones further messages (combo steps, summaries,
# copies) can still come for. 500 groups with 19-digit ids are about 30 KB of JSON.
SNAPSHOT_LIMIT = 500


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
        delta = min(new * bundle, MAX_INT)
        return GiftDelta(delta=delta, count=count, diamonds=min(delta * diamond_count, MAX_INT))

    def snapshot(self, limit: int = SNAPSHOT_LIMIT) -> list[list[Any]]:
        """The unexpired groups, at most ``limit`` (the most recently updated), oldest first, each as
        ``[user_id, gift_id, group_id, seen, closed (0/1), seconds left (rounded up)]``: JSON-ready for ``restore``."""
        now = self._clock()
        out: list[list[Any]] = []
        # Ordered by expiry (every update moves its group to the end with the same TTL): stop at the first expired.
        for (user_id, gift_id, group_id), group in reversed(self._groups.items()):
            left = group.expiry - now
            if left <= 0 or len(out) >= limit:
                break
            out.append([user_id, gift_id, group_id, group.seen, int(group.closed), math.ceil(left)])
        out.reverse()
        return out

    def restore(self, snapshot: Iterable[Any]) -> int:
        """Take back the groups of a ``snapshot()`` (another process's, when a room is adopted): each expires after
        the seconds it had left. A group already known keeps the higher count. Malformed entries are skipped.
        Answers how many groups were restored."""
        now = self._clock()
        groups = self._groups
        restored = 0
        for entry in snapshot:
            if not isinstance(entry, list | tuple) or len(entry) != 6:
                continue
            user_id, gift_id, group_id, seen, closed, left = entry
            ints = (gift_id, group_id, seen)
            if not isinstance(user_id, str) or not all(type(v) is int and v >= 0 for v in ints):
                continue
            if not isinstance(left, int | float) or not left > 0:
                continue
            key = (user_id, gift_id, group_id)
            expiry = now + min(float(left), self._ttl)
            known = groups.get(key)
            if known is not None and known.expiry > now:
                known.seen = max(known.seen, seen)
                known.closed = known.closed or bool(closed)
                known.expiry = max(known.expiry, expiry)
            else:
                groups[key] = _Group(seen=seen, closed=bool(closed), expiry=expiry)
            restored += 1
        # Back in expiry order, which eviction and snapshot rely on.
        self._groups = OrderedDict(sorted(groups.items(), key=lambda item: item[1].expiry))
        self._evict(now)
        return restored

    def _evict(self, now: float) -> None:
        groups = self._groups
        while groups:
            _key, group = next(iter(groups.items()))
            if group.expiry > now and len(groups) <= self._max:
                break
            groups.popitem(last=False)
