"""The one writer of event tables: a consumer-group member of the durable log.

Reads batches, writes them in one transaction (duplicates skipped by the unique constraints), and only then
acknowledges. A crash between write and ack replays the batch on restart — harmless, since a replayed event is
stored once. Entries another consumer left pending for long are claimed. Every ``trim_interval_s`` what has been
acknowledged is trimmed from the log, so Redis holds only what is not stored yet.

One bad entry must never stop storage: when a batch fails for a reason that is not the database's (a value the
database refuses, a hook that trips over an odd event), the batch is written again event by event, and each event
that still fails goes to the dead-letter stream with its error and is acknowledged. Entries that are not events at
all go there too. Database outages (lost connection, lock, full disk) are different: nothing is acknowledged, and
the batch is retried after a pause. Should the loop itself fail, it restarts itself; ``stats()`` says so, and
``/health`` turns ``degraded`` with the reason while the persister is down or dead letters wait.

Writes run in a thread of the persister's own: in the default pool they queued behind other work (the reports of
hundreds of lives ending at once), and a read batch waited unstored and unacknowledged for tens of seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson

from shared.bus import TRANSIENT, Bus, StreamEntry
from shared.db.engine import is_transient_db_error
from shared.db.store import LOGGED_AT, EventStore
from shared.events import MAX_ID_LENGTH, WS_ONLY_TYPES, EventType, sanitize_event
from shared.retry import RetryPolicy, exponential

__all__ = ["DEAD_LETTER_STREAM", "Persister", "parse_entry"]

log = logging.getLogger(__name__)

GROUP = "persister"
DEAD_LETTER_STREAM = "timao:events:dead"
DEAD_LETTER_MAXLEN = 10_000
_TYPES = frozenset(t.value for t in EventType if t not in WS_ONLY_TYPES)
# How a NUL inside any JSON string looks on the wire: a cheap test on the bytes before walking the event.
_ESCAPED_NUL = b"\\u0000"


class _Poison(Exception):
    """An entry that cannot be stored; its message is the reason kept with it in the dead-letter stream."""


def parse_entry(payload: bytes) -> dict[str, Any]:
    """A light shape check (producers validated the full schema), and the event fitted for storage: NULs removed,
    ids bounded. Raises ``_Poison`` with the reason for anything that is not a live event."""
    try:
        ev: Any = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise _Poison(f"not JSON: {exc}") from exc
    if not isinstance(ev, dict) or ev.get("type") not in _TYPES:
        raise _Poison("not a live event: no known type")
    if not isinstance(ev.get("session_id"), str) or not ev["session_id"]:
        raise _Poison("session_id missing or not a string")
    if not isinstance(ev.get("msg_id"), str) or not ev["msg_id"]:
        raise _Poison("msg_id missing or not a string")
    if not isinstance(ev.get("ts"), int) or not isinstance(ev.get("data", {}), dict):
        raise _Poison("ts is not an integer or data is not an object")
    user = ev.get("user")
    if user is not None and not isinstance(user, dict):
        raise _Poison("user is not an object")
    if (
        _ESCAPED_NUL in payload
        or len(ev["session_id"]) > MAX_ID_LENGTH
        or len(ev["msg_id"]) > MAX_ID_LENGTH
        or (user and len(str(user.get("id", ""))) > MAX_ID_LENGTH)
    ):
        ev = sanitize_event(ev)
    return dict(ev)


class Persister:
    def __init__(
        self,
        bus: Bus,
        store: EventStore,
        *,
        consumer: str = "gateway",
        batch_size: int = 2000,
        claim_idle_ms: int = 30_000,
        trim_interval_s: float = 10.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.bus = bus
        self.store = store
        self.consumer = consumer
        self.batch_size = batch_size
        self.claim_idle_ms = claim_idle_ms
        self.trim_interval_s = trim_interval_s
        self.retry = retry or exponential(base=0.2, cap=5.0)
        self.stored = 0
        self.seen = 0
        self.dead = 0
        self.restarts = 0
        self.trimmed = 0
        self._writer: ThreadPoolExecutor | None = None  # the write thread, while running
        self.state = "starting"  # running | waiting (database or Redis unreachable) | restarting (crashed)
        self.last_error: str | None = None

    def stats(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "seen": self.seen,
            "stored": self.stored,
            "dead": self.dead,
            "restarts": self.restarts,
            "trimmed": self.trimmed,
            "last_error": self.last_error,
        }

    async def run(self, stop: asyncio.Event) -> None:
        """Runs until ``stop``; an unexpected failure restarts the loop after a pause instead of ending it."""
        attempt = 0
        try:
            while not stop.is_set():
                try:
                    await self._loop(stop)
                except Exception as exc:
                    attempt += 1
                    self.restarts += 1
                    self.state = "restarting"
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.exception("persister crashed (restart %d): %s", self.restarts, self.last_error)
                    await _pause(stop, self.retry(attempt, self.restarts))
        finally:
            if self._writer is not None:
                self._writer.shutdown(wait=False)
                self._writer = None

    async def _write(self, events: list[dict[str, Any]]) -> int:
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="persister-write")
        return await asyncio.get_running_loop().run_in_executor(self._writer, self.store.write, events)

    async def _loop(self, stop: asyncio.Event) -> None:
        attempt = 0
        pending_done = False
        last_claim = last_trim = 0.0
        while not stop.is_set():
            try:
                if not pending_done:
                    # The group once, and again after an outage, not a round trip per batch (a Redis that lost it
                    # later: read_group makes it again). Our own unacknowledged entries from before a crash come
                    # first, in order.
                    await self.bus.ensure_group(GROUP)
                    entries = await self.bus.read_group(GROUP, self.consumer, count=self.batch_size, pending=True)
                    if not entries:
                        pending_done = True
                        self.state = "running"
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
                if time.monotonic() - last_trim > self.trim_interval_s:
                    last_trim = time.monotonic()
                    self.trimmed += await self.bus.trim_acknowledged()
                attempt = 0
                self.state = "running"
            except Exception as exc:
                if not isinstance(exc, TRANSIENT) and not is_transient_db_error(exc):
                    raise
                attempt += 1
                self.state = "waiting"
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("persister: %s; retrying (attempt %d)", self.last_error, attempt)
                pending_done = False  # re-read what we hold after an outage
                await _pause(stop, self.retry(attempt, attempt))

    async def _handle(self, entries: list[StreamEntry]) -> None:
        parsed: list[tuple[StreamEntry, dict[str, Any]]] = []
        dead: list[tuple[StreamEntry, str]] = []
        for entry in entries:
            if not entry.payload:
                continue  # trimmed from the stream: nothing left to store, only to acknowledge
            try:
                ev = parse_entry(entry.payload)
            except _Poison as exc:
                dead.append((entry, str(exc)))
                continue
            ev[LOGGED_AT] = _logged_ms(entry.entry_id)
            parsed.append((entry, ev))
        if parsed:
            try:
                self.stored += await self._write([ev for _entry, ev in parsed])
            except Exception as exc:
                if is_transient_db_error(exc):
                    raise
                dead += await self._write_one_by_one(parsed, exc)
        self.seen += len(parsed)
        if dead:
            await self._bury(dead)
        await self.bus.ack(GROUP, [e.entry_id for e in entries])

    async def _write_one_by_one(
        self, parsed: list[tuple[StreamEntry, dict[str, Any]]], batch_error: Exception
    ) -> list[tuple[StreamEntry, str]]:
        """The batch failed on its data: find the events at fault, store every other one."""
        log.warning("persister: batch of %d failed (%s); writing event by event", len(parsed), batch_error)
        dead: list[tuple[StreamEntry, str]] = []
        for entry, ev in parsed:
            try:
                self.stored += await self._write([ev])
            except Exception as exc:
                if is_transient_db_error(exc):
                    raise  # the database went away meanwhile: keep the whole batch for later
                dead.append((entry, f"{type(exc).__name__}: {exc}"))
        return dead

    async def _bury(self, dead: list[tuple[StreamEntry, str]]) -> None:
        self.dead += len(dead)
        for entry, reason in dead[:5]:
            log.warning("persister: entry %s cannot be stored (%s); moved to %s", entry.entry_id, reason[:300],
                        DEAD_LETTER_STREAM)  # fmt: skip
        pipe = self.bus.redis.pipeline(transaction=False)
        for entry, reason in dead:
            fields = {"e": entry.payload[:65536], "id": entry.entry_id, "error": reason[:2000], "at": str(time.time())}
            pipe.xadd(DEAD_LETTER_STREAM, fields, maxlen=DEAD_LETTER_MAXLEN)  # type: ignore[arg-type]
        await pipe.execute()


def _logged_ms(entry_id: str) -> int:
    # A stream entry id is "<ms the log received it>-<seq>".
    return int(entry_id.split("-", 1)[0])


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
