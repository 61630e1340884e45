"""A bounded, time-limited set of message keys: drop what was already delivered (replays after reconnects,
duplicate gift copies), forget keys after ``ttl`` seconds and never hold more than ``max_size``."""

from __future__ import annotations

import time
from collections import OrderedDict
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
        self._seen: OrderedDict[Hashable, float] = OrderedDict()
        self._next_sweep = 0.0

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
        seen[key] = now + self._ttl
        if len(seen) > self._max or now >= self._next_sweep:
            self._evict(now)
        return False

    def _evict(self, now: float) -> None:
        # Amortised: expired keys are swept at most every ttl/16, the size bound is kept on every insert.
        seen = self._seen
        while seen:
            _key, expiry = next(iter(seen.items()))
            if expiry > now and len(seen) <= self._max:
                break
            seen.popitem(last=False)
        self._next_sweep = now + self._ttl / 16
