"""The live feed across a Redis restart: the bus says when its subscription is up, and the gateway's hub closes its
/ws clients (1013) when it is lost, so no client stays connected while events it will never get are published."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from services.gateway.live import FEED_INTERRUPTED, LiveHub, RecentMessages
from shared.bus import Bus
from shared.events import LiveEvent


def chat(i: int) -> LiveEvent:
    return LiveEvent.build("chat", "s1", {"content": f"msg {i}"}, msg_id=str(i), ts=1000 + i)


async def until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_the_bus_says_when_its_live_subscription_is_up_and_when_it_is_lost(private_redis: Any) -> None:
    viewer, producer = Bus(private_redis.url, service="v"), Bus(private_redis.url, service="p")
    await viewer.start()
    await producer.start()
    states: list[bool] = []
    received: list[str] = []

    async def watch() -> None:
        async for payload in viewer.subscribe_live(states.append):
            received.append(LiveEvent.from_json(payload).msg_id)

    task = asyncio.create_task(watch())
    await until(lambda: states == [True])  # confirmed by Redis: what is published from now on comes through
    await producer.publish(chat(1))
    await until(lambda: received == ["1"])

    # A crash and a quick restart: redis-py reconnects and resubscribes by itself, the gap must still be reported.
    private_redis.stop(kill=True)
    private_redis.start()
    await until(lambda: states == [True, False, True])
    # A longer outage: the subscription fails for good and is made again.
    private_redis.stop(kill=True)
    await until(lambda: states == [True, False, True, False])
    private_redis.start()
    await until(lambda: states == [True, False, True, False, True])
    await until(lambda: producer.backlog_size == 0)
    await producer.publish(chat(2))
    await until(lambda: received[-1:] == ["2"])
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await viewer.close()
    await producer.close()


async def test_the_hub_closes_its_clients_when_redis_goes_and_takes_new_ones_once_it_is_back(
    private_redis: Any,
) -> None:
    bus, producer = Bus(private_redis.url, service="gateway"), Bus(private_redis.url, service="p")
    await bus.start()
    await producer.start()
    hub = LiveHub(bus)
    task = asyncio.create_task(hub.run())
    await asyncio.wait_for(hub.live.wait(), 10)
    before = hub.register(None)
    await producer.publish(chat(1))
    assert LiveEvent.from_json(await asyncio.wait_for(before.queue.get(), 5)).msg_id == "1"

    private_redis.stop(kill=True)
    private_redis.start()
    # Told, not left connected as if nothing had happened while the events of the outage went to nobody.
    await asyncio.wait_for(before.too_slow.wait(), 15)
    assert before.reason == FEED_INTERRUPTED and before not in hub.clients
    assert hub.interruptions == 1
    await asyncio.wait_for(hub.live.wait(), 15)
    after = hub.register(None)
    await until(lambda: producer.backlog_size == 0)
    await producer.publish(chat(2))
    assert LiveEvent.from_json(await asyncio.wait_for(after.queue.get(), 5)).msg_id == "2"
    assert not after.too_slow.is_set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await bus.close()
    await producer.close()


def test_a_message_replayed_after_a_takeover_reaches_the_feed_once() -> None:
    """A room resumed on another worker replays what reached the log after its last cursor; /ws and the overlays get
    each message once, as the database stores it once (the per-session message-id key)."""
    hub = LiveHub(Bus("redis://127.0.0.1:1/0", service="gateway"))  # never connected: dispatch alone
    watcher, other_room = hub.register(None), hub.register("s2")
    first = chat(1).to_json()
    hub.dispatch(first)
    hub.dispatch(chat(2).to_json())
    hub.dispatch(first)  # the replay
    hub.dispatch(LiveEvent.build("chat", "s2", {"content": "msg 1"}, msg_id="1", ts=1001).to_json())
    hub.dispatch(b'{"type": "stats", "data": {}}')  # the gateway's own messages carry no id: always delivered
    hub.dispatch(b'{"type": "stats", "data": {}}')
    got = [watcher.queue.get_nowait() for _ in range(watcher.queue.qsize())]
    assert got == [first, chat(2).to_json(), got[2], got[3], got[4]]
    assert [(ev["session_id"], ev["msg_id"]) for ev in map(orjson.loads, got[:3])] == [
        ("s1", "1"),
        ("s1", "2"),
        ("s2", "1"),
    ]
    assert other_room.queue.qsize() == 1
    assert hub.repeats == 1


def test_the_feed_remembers_a_bounded_number_of_messages() -> None:
    recent = RecentMessages(size=3)
    assert all(recent.first_time("s1", str(i)) for i in range(4))
    assert not recent.first_time("s1", "3")
    assert recent.first_time("s1", "0")  # the oldest was forgotten
