"""Live fan-out to ``/ws`` clients: one Redis subscription, one bounded queue per client.

A client that cannot keep up fills its queue and is dropped with close code 1013 (try again later), so one slow
browser never delays the others. A client is told the same way when the hub's subscription is lost (Redis went
away): what is published until it is back reaches nobody, so every client is closed at once, and ``/ws`` takes new
clients only while the subscription is up. A client that reconnects after a 1013 knows it may have missed events
(they are in the database); one that stays connected has missed none.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass, field

import orjson

from shared.bus import Bus

__all__ = [
    "CLIENT_QUEUE_SIZE",
    "FEED_INTERRUPTED",
    "TOO_SLOW",
    "WS_CLOSE_TOO_SLOW",
    "LiveClient",
    "LiveHub",
    "RecentMessages",
]

log = logging.getLogger(__name__)

CLIENT_QUEUE_SIZE = 2000
WS_CLOSE_TOO_SLOW = 1013
TOO_SLOW = "client too slow"
FEED_INTERRUPTED = "live feed interrupted"
# A takeover's replay comes within a failover (≤ 15 s) of the original; this many ids cover over a minute at the
# 1,500 events/s of 300 busy rooms, in about 12 MB.
RECENT_MESSAGES = 100_000


class RecentMessages:
    """The message ids the feed delivered last (session, msg_id), oldest forgotten first."""

    def __init__(self, size: int = RECENT_MESSAGES) -> None:
        self.size = size
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()

    def first_time(self, session_id: str, msg_id: str) -> bool:
        key = (session_id, msg_id)
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


@dataclass(eq=False)
class LiveClient:
    session_id: str | None = None
    queue: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(CLIENT_QUEUE_SIZE))
    too_slow: asyncio.Event = field(default_factory=asyncio.Event)  # set when dropped: closed with 1013 and why
    reason: str = TOO_SLOW


class LiveHub:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.clients: set[LiveClient] = set()
        self.delivered = 0
        self.repeats = 0  # replayed messages not shown again
        self.recent = RecentMessages()
        self.dropped_clients = 0
        self.interruptions = 0
        # Set while the subscription is up: a client registered meanwhile gets every event published after it.
        self.live = asyncio.Event()

    def register(self, session_id: str | None) -> LiveClient:
        client = LiveClient(session_id=session_id or None)
        self.clients.add(client)
        return client

    def unregister(self, client: LiveClient) -> None:
        self.clients.discard(client)

    def dispatch(self, payload: bytes) -> None:
        if not self.clients:
            return
        try:
            event = orjson.loads(payload)
            session_id = event.get("session_id")
            msg_id = event.get("msg_id")
        except (orjson.JSONDecodeError, AttributeError):
            return
        if isinstance(session_id, str) and isinstance(msg_id, str) and not self.recent.first_time(session_id, msg_id):
            self.repeats += 1
            return
        for client in list(self.clients):
            if client.session_id and client.session_id != session_id:
                continue
            try:
                client.queue.put_nowait(payload)
                self.delivered += 1
            except asyncio.QueueFull:
                self.clients.discard(client)
                self.dropped_clients += 1
                client.too_slow.set()
                log.warning("dropping a /ws client that fell %d events behind", CLIENT_QUEUE_SIZE)

    def on_subscription(self, up: bool) -> None:
        if up:
            self.live.set()
            return
        self.live.clear()
        self.interruptions += 1
        if self.clients:
            log.warning("live subscription lost: closing %d /ws client(s) so they know they miss events",
                        len(self.clients))  # fmt: skip
        for client in list(self.clients):
            self.clients.discard(client)
            client.reason = FEED_INTERRUPTED
            client.too_slow.set()

    async def run(self) -> None:
        try:
            async for payload in self.bus.subscribe_live(self.on_subscription):
                self.dispatch(payload)
        finally:
            self.on_subscription(False)
