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
from dataclasses import dataclass, field

import orjson

from shared.bus import Bus

__all__ = ["CLIENT_QUEUE_SIZE", "FEED_INTERRUPTED", "TOO_SLOW", "WS_CLOSE_TOO_SLOW", "LiveClient", "LiveHub"]

log = logging.getLogger(__name__)

CLIENT_QUEUE_SIZE = 2000
WS_CLOSE_TOO_SLOW = 1013
TOO_SLOW = "client too slow"
FEED_INTERRUPTED = "live feed interrupted"


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
        session_id: str | None = None
        if any(c.session_id for c in self.clients):
            try:
                session_id = orjson.loads(payload).get("session_id")
            except (orjson.JSONDecodeError, AttributeError):
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
