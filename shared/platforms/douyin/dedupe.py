"""A bounded, time-limited set of message keys: drop what was already delivered (replays after reconnects,
duplicate gift copies), forget keys after ``ttl`` seconds and never hold more than ``max_size``.

It holds a key per event for ``ttl`` (15 minutes in the decoder), so its cost per key is its memory: a plain dict
(insertion order is expiry order, the ttl being constant) and one shared expiry object per batch cost about a third
of an OrderedDict with a float per key."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

__all__ = ["Deduper"]


class Deduper:
    def __init__(
        self, ttl: float = 900.0, max_size: int = 200_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if ttl <= 0 or max_size <= 0:
            raise ValueError("ttl and max_size must be positive")
        self._ttl = ttl
        self._max = max_size
        self._clock = clock
        # key -> expiry; insertion order is expiry order because ttl is constant.
        self._seen: dict[Hashable, float] = {}
        self._next_sweep = 0.0
        # The expiry of the keys of one ``now`` (callers pass one per batch), shared rather than a float per key.
        self._now = -1.0
        self._expiry = 0.0

    def __len__(self) -> int:
        return len(self._seen)

    def is_duplicate(self, key: Hashable, now: float | None = None) -> bool:
        """True when ``key`` was seen within ``ttl``; otherwise remember it and return False.

        ``now`` lets a caller read the clock once for a whole batch of keys.
        """
        if now is None:
            now = self._clock()
        seen = self._seen
        expiry = seen.get(key)
        if expiry is not None:
            if expiry > now:
                return True
            del seen[key]
        if now != self._now:
            self._now, self._expiry = now, now + self._ttl
        seen[key] = self._expiry
        if len(seen) > self._max or now >= self._next_sweep:
            self._evict(now)
        return False

    def _evict(self, now: float) -> None:
        # One pass from the oldest key, deleting after it: expired keys (swept at most every ttl/16), and over the
        # size bound the oldest down to 90 % of it, so a full cache does not pay a pass per insert.
        seen = self._seen
        excess = len(seen) - self._max
        if excess > 0:
            excess += self._max // 10
        stale: list[Hashable] = []
        for key, expiry in seen.items():
            if expiry > now and len(stale) >= excess:
                break
            stale.append(key)
        for key in stale:
            del seen[key]
        self._next_sweep = now + self._ttl / 16
