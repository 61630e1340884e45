"""The decoder's duplicate cache holds a key per event for 15 minutes: what one costs, and the size bound."""

from __future__ import annotations

import gc
import tracemalloc

from services.douyin_fetcher.fake_server.builders import MessageFactory
from shared.platforms.douyin.dedupe import Deduper
from shared.platforms.douyin.messages import MessageDecoder


def test_a_remembered_event_costs_little_memory() -> None:
    # At a thousand events a second the cache holds 900,000 keys; at 355 bytes an event (the key as a tuple of two
    # fresh strings in an OrderedDict, a float each) that was 300 MB in the fetcher.
    factory = MessageFactory(7_690_000_000_000_000_001, seed=1)
    user = {"id": 30_000, "nickname": "观众"}
    messages = [
        factory.build({"kind": "chat", "user": user, "content": f"弹幕 {i}", "msg_id": 7_100_000_000_000_000_000 + i})
        for i in range(20_000)
    ]
    decoder = MessageDecoder("s", "x")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for k in range(0, len(messages), 50):
            decoder.decode(messages[k : k + 50])
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert decoder.stats.events == 20_000
    assert kept / 20_000 < 150, f"{kept / 20_000:.0f} bytes kept per event"
    assert decoder.decode(messages[:50]) == []  # and they are all remembered


def test_a_full_cache_drops_its_oldest_keys_a_tenth_at_a_time() -> None:
    seen = Deduper(ttl=900, max_size=100, clock=lambda: 0.0)
    for i in range(1000):
        assert not seen.is_duplicate(i)
        assert len(seen) <= 100
    assert len(seen) >= 90
    assert all(seen.is_duplicate(i) for i in range(910, 1000))  # the newest stay
    assert not seen.is_duplicate(0)
