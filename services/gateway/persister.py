"""The one writer of event tables: a consumer-group member of the durable log.

Reads batches, writes them in one transaction (duplicates skipped by the unique constraints), and only then
acknowledges. A crash between write and ack replays the batch on restart — harmless, since a replayed event is
stored once. Entries another consumer left pending for long are claimed; entries that are not events are set
aside in a dead-letter stream instead of blocking the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import orjson
from sqlalchemy.exc import OperationalError

from shared.bus import TRANSIENT, Bus, StreamEntry
from shared.db.store import EventStore
from shared.events import EventType

__all__ = ["Persister"]

log = logging.getLogger(__name__)

GROUP = "persister"
DEAD_LETTER_STREAM = "timao:events:dead"
_TYPES = frozenset(t.value for t in EventType)


def parse_entry(payload: bytes) -> dict[str, Any] | None:
    """A light shape check (producers validated the full schema before publishing)."""
    try:
        ev = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(ev, dict) or ev.get("type") not in _TYPES:
        return None
    if not isinstance(ev.get("session_id"), str) or not isinstance(ev.get("msg_id"), str) or not ev["msg_id"]:
        return None
    if not isinstance(ev.get("ts"), int) or not isinstance(ev.get("data", {}), dict):
        return None
    return ev


class Persister:
    def __init__(
        self,
        bus: Bus,
        store: EventStore,
        *,
        consumer: str = "gateway",
        batch_size: int = 2000,
        claim_idle_ms: int = 30_000,
    ) -> None:
        self.bus = bus
        self.store = store
        self.consumer = consumer
        self.batch_size = batch_size
        self.claim_idle_ms = claim_idle_ms
        self.stored = 0
        self.seen = 0
        self.dead = 0
        self.last_error: str | None = None

    def stats(self) -> dict[str, Any]:
        return {"seen": self.seen, "stored": self.stored, "dead": self.dead, "last_error": self.last_error}

    async def run(self, stop: asyncio.Event) -> None:
        attempt = 0
        pending_done = False
        last_claim = 0.0
        while not stop.is_set():
            try:
                await self.bus.ensure_group(GROUP)
                if not pending_done:
                    # Our own unacknowledged entries from before a crash come first, in order.
                    entries = await self.bus.read_group(GROUP, self.consumer, count=self.batch_size, pending=True)
                    if not entries:
                        pending_done = True
                        continue
                elif time.monotonic() - last_claim > self.claim_idle_ms / 1000:
                    last_claim = time.monotonic()
                    entries = await self.bus.claim_stale(GROUP, self.consumer, min_idle_ms=self.claim_idle_ms)
                    if not entries:
                        continue
                else:
                    entries = await self.bus.read_group(GROUP, self.consumer, count=self.batch_size, block_ms=500)
                if entries:
                    await self._handle(entries)
                attempt = 0
            except (*TRANSIENT, OperationalError) as exc:
                attempt += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("persister: %s; retrying (attempt %d)", self.last_error, attempt)
                pending_done = False  # re-read what we hold after an outage
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), min(5.0, 0.2 * 2**attempt))

    async def _handle(self, entries: list[StreamEntry]) -> None:
        events: list[dict[str, Any]] = []
        dead: list[StreamEntry] = []
        for entry in entries:
            ev = parse_entry(entry.payload) if entry.payload else None
            if ev is None:
                if entry.payload:
                    dead.append(entry)
                continue
            events.append(ev)
        if events:
            inserted = await asyncio.to_thread(self.store.write, events)
            self.stored += inserted
        self.seen += len(events)
        if dead:
            self.dead += len(dead)
            log.warning("persister: %d entries are not live events; moved to %s", len(dead), DEAD_LETTER_STREAM)
            pipe = self.bus.redis.pipeline(transaction=False)
            for entry in dead:
                pipe.xadd(DEAD_LETTER_STREAM, {"e": entry.payload[:65536], "id": entry.entry_id}, maxlen=10_000)
            await pipe.execute()
        await self.bus.ack(GROUP, [e.entry_id for e in entries])
