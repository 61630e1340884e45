"""The suite's bus over Redis: a durable event log, live fan-out, commands with replies, and heartbeats.

- Durable log: one Redis Stream (``timao:events``). Producers ``XADD``; the persister reads it as a consumer group
  member, acknowledges after the rows are committed, and re-claims what a dead consumer left pending. What every
  group has read and acknowledged is trimmed away (``trim_acknowledged``), so the log holds what is still needed.
- Live fan-out: every published event also goes to a pub/sub channel (``timao:live``) for the ``/ws`` views.
- Commands: a request (id, command, params, deadline) is pushed onto the worker's list; the worker pushes the reply
  onto a list named after the request id; the caller waits on it with a timeout. The typed layer over it, one
  params and result model per command, is ``shared/commands`` (docs/commands.md).
- Heartbeats: a key per service with a TTL, which the launcher and the gateway read.

When Redis goes away, ``publish`` keeps events in an in-memory backlog, in order, and flushes it once Redis answers
again, so nothing reaches the log out of order or not at all while the process lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.errors import BusError, CommandError, CommandTimeout
from shared.events import LiveEvent
from shared.retry import exponential

__all__ = [
    "EVENTS_STREAM",
    "LIVE_CHANNEL",
    "Bus",
    "CommandHandler",
    "Fence",
    "FencedOut",
    "StreamEntry",
    "heartbeat_key",
]

log = logging.getLogger(__name__)

EVENTS_STREAM = "timao:events"
LIVE_CHANNEL = "timao:live"
LAUNCHER_STATE_KEY = "timao:launcher"
# Cap on the durable log, a backstop for when nobody consumes it (acknowledged entries are trimmed much earlier):
# far beyond what the persister lags by, so this cap never drops unread entries in practice.
EVENTS_MAXLEN = 2_000_000
BACKLOG_LIMIT = 200_000
BACKLOG_FLUSH_MAX = 5_000  # events a backlog flush writes in one round trip
# Connections one process may open: each room of a worker appends on its own, at once. redis-py's default pool holds
# 100, and the 101st concurrent command fails with "Too many connections" (taken for Redis being away: every event
# then went through the backlog) — a fetcher with 100 rooms hit it (bench/rooms_per_worker_bench.py).
MAX_CONNECTIONS = 4_096
REPLY_TTL_S = 60
REPLY_SLICE_S = 2.0  # a command's reply is waited for in BLPOPs this long (below the socket timeout)
# Waits between tries while Redis is away: the backlog flush spreads its tries (many writers flush at once when
# Redis returns); a resubscribe or the command queue's next pop waits plainly.
BACKLOG_RETRY = exponential(0.2, 5.0, jitter=0.5, jitter_down=True)
RECONNECT_RETRY = exponential(0.4, 5.0, jitter=0.0)

TRANSIENT = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)

CommandHandler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


def heartbeat_key(service: str, worker_id: str = "") -> str:
    """The service's heartbeat (any of its workers), or with ``worker_id`` that worker's own."""
    return f"timao:hb:{service}@{worker_id}" if worker_id else f"timao:hb:{service}"


def command_key(service: str, worker_id: str = "") -> str:
    """The service's command queue (any worker takes a command), or with ``worker_id`` that worker's own."""
    return f"timao:cmd:{service}@{worker_id}" if worker_id else f"timao:cmd:{service}"


# Fenced append (shared/leases.py): KEYS[1] the lease, KEYS[2] the stream; ARGV[1] the writer's token, ARGV[2] the
# stream's cap, ARGV[3] the producer (worker id), ARGV[4] the live channel, ARGV[5..] payloads. Appends and fans out
# every payload when the lease's current token is the writer's, else nothing: → the count, or -1 refused.
_FENCED_APPEND = """
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then
    return -1
end
for i = 5, #ARGV do
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[i], 'w', ARGV[3])
    redis.call('PUBLISH', ARGV[4], ARGV[i])
end
return #ARGV - 4
"""


@dataclass(frozen=True, slots=True)
class Fence:
    """A write condition: the lease at ``lease_key`` still has fencing token ``token`` (shared/leases.py)."""

    lease_key: str
    token: int


class FencedOut(BusError):
    """A fenced write was refused: the writer's lease has another token now (another worker owns the work)."""

    def __init__(self, fence: Fence) -> None:
        super().__init__(f"lease {fence.lease_key} token {fence.token} is no longer current; write refused")
        self.fence = fence


def reply_key(request_id: str) -> str:
    return f"timao:reply:{request_id}"


@dataclass(frozen=True, slots=True)
class StreamEntry:
    entry_id: str
    payload: bytes


class Bus:
    """One process's connection to the bus. ``start``/``close`` bracket its life; it reconnects by itself."""

    def __init__(
        self, url: str, *, service: str, worker_id: str = "", on_fenced_out: Callable[[Fence], None] | None = None
    ) -> None:
        self.url = url
        self.service = service
        # On several machines (docs/contracts.md, Workers on several machines): this worker's own command queue and
        # heartbeat besides the service's, and its id on every entry it appends to the durable log (field ``w``).
        self.worker_id = worker_id
        self.on_fenced_out = on_fenced_out  # told of each fenced write refused (also one from the backlog)
        self.fenced_out = 0  # events refused by their fence, counted
        self._redis: aioredis.Redis | None = None
        self._fenced_append: Any = None
        # Waiting events, each with the fence it must be written under (None: unconditional).
        self._backlog: deque[tuple[bytes, Fence | None]] = deque()
        self._backlog_dropped = 0
        self._flusher: asyncio.Task[None] | None = None
        # Writes asked for and not sent yet, each with its fence and the future its caller waits on (see _send).
        self._outgoing: list[tuple[Fence | None, list[bytes], asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._closing = False

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        # TCP keepalive means nothing on a unix socket (the embedded Redis's), and redis-py refuses it there.
        tcp_only: dict[str, Any] = {} if self.url.startswith("unix://") else {"socket_keepalive": True}
        self._redis = aioredis.from_url(
            self.url,
            socket_connect_timeout=2,
            health_check_interval=15,
            max_connections=MAX_CONNECTIONS,
            **tcp_only,
            # A connection that died with a Redis restart is replaced on the next command. A retried XADD may land
            # twice; the persister stores a msg_id once, so that costs nothing.
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
        self._fenced_append = self._redis.register_script(_FENCED_APPEND)

    async def close(self) -> None:
        self._closing = True
        if self._writer is not None and not self._writer.done():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError, *TRANSIENT):  # a write in flight ends
                await asyncio.wait_for(asyncio.shield(self._writer), 2.0)
            self._writer.cancel()
        for _, _, done in self._outgoing:  # asked for after the last write began: not written, and said so
            if not done.done():
                done.set_exception(BusError("bus closing: event not written"))
        self._outgoing = []
        if self._flusher:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if self._backlog:
            log.warning("bus closing with %d unpublished events in memory", len(self._backlog))
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
        # A connection redis-py dropped without waiting (a cancelled command) closes its socket in a callback: let it
        # run, or a loop that ends now leaves the socket to the garbage collector (a ResourceWarning).
        await asyncio.sleep(0)

    @property
    def redis(self) -> aioredis.Redis:
        if self._redis is None:
            raise BusError("bus not started")
        return self._redis

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except TRANSIENT:
            return False

    # -- events ----------------------------------------------------------------------------------------

    async def publish(self, event: LiveEvent | bytes, *, fence: Fence | None = None) -> None:
        """Append to the durable log and fan out live. Never raises for a Redis outage: the event waits in memory.
        With ``fence``, written only while that lease's token is current; refused → ``FencedOut``."""
        payload = event.to_json() if isinstance(event, LiveEvent) else event
        await self.publish_many([payload], fence=fence)

    async def publish_many(self, payloads: list[bytes], *, fence: Fence | None = None) -> None:
        if not payloads:
            return
        if self._backlog:
            for p in payloads:
                self._queue(p, fence)
            return
        try:
            written = await self._send(payloads, fence)
        except TRANSIENT as exc:
            log.warning("redis unreachable, keeping events in memory until it returns: %s", exc)
            for p in payloads:
                self._queue(p, fence)
            return
        if not written:
            assert fence is not None
            self._refused(fence, len(payloads))
            raise FencedOut(fence)

    @property
    def backlog_size(self) -> int:
        return len(self._backlog)

    async def _send(self, payloads: list[bytes], fence: Fence | None = None) -> bool:
        """Write the payloads; False when their fence refused them (nothing written).

        Writes from every caller of this process go out together: what is asked while one round trip is in flight
        leaves in the next, one pipeline for all (each group still under its own fence). A worker with hundreds of
        rooms made a round trip per room and frame before (1,500 a second at 300 rooms: a third of the fetcher's CPU in
        redis-py's per-command path)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._outgoing.append((fence, payloads, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_outgoing(), name="bus-writer")
        return await done

    async def _write_outgoing(self) -> None:
        while self._outgoing:
            batch, self._outgoing = self._outgoing, []
            groups = [(fence, payloads) for fence, payloads, _ in batch]
            try:
                written = await self._send_batch(groups)
            except BaseException as exc:  # each caller handles it as before: an outage → its backlog
                error = exc if isinstance(exc, Exception) else BusError("bus closing: event not written")
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, _, done), ok in zip(batch, written, strict=True):
                if not done.done():  # a caller that was cancelled meanwhile is not told
                    done.set_result(ok)

    async def _send_batch(self, groups: list[tuple[Fence | None, list[bytes]]]) -> list[bool]:
        """Write each group under its fence (None: unconditional) in one pipeline; answers, per group, whether it
        was written (False: its fence refused it).

        A fenced group can come back NOSCRIPT: Redis restarted while the pipeline was on its way, and redis-py's retry
        sent it again to the new Redis without loading the script (it loads scripts only before the first try). Those
        groups are written again once the script is loaded; an error handed to a room would drop its events."""
        written = await self._pipeline(groups)
        forgot = [i for i, answer in enumerate(written) if isinstance(answer, NoScriptError)]
        if forgot:
            log.info(
                "redis forgot the append script (restarted?); loading it and writing %d group(s) again", len(forgot)
            )
            await self.redis.script_load(_FENCED_APPEND)
            for i, answer in zip(forgot, await self._pipeline([groups[i] for i in forgot]), strict=True):
                written[i] = answer
        for answer in written:
            if isinstance(answer, Exception):
                raise answer
        return [bool(answer) for answer in written]

    async def _pipeline(self, groups: list[tuple[Fence | None, list[bytes]]]) -> list[bool | Exception]:
        """One pipeline for the groups: per group True (written), False (fence refused) or the error Redis answered."""
        fenced: list[int | None] = []  # where each fenced group's answer is among the pipeline's replies
        firsts: list[int] = []  # where each group's replies begin
        replies = 0
        # As a context: a write cut short (a cancel at close) gives its connection back, not to the garbage collector.
        async with self.redis.pipeline(transaction=False) as pipe:
            for fence, payloads in groups:
                firsts.append(replies)
                if fence is None:
                    producer: dict[Any, Any] = {"w": self.worker_id} if self.worker_id else {}
                    for payload in payloads:
                        pipe.xadd(EVENTS_STREAM, {"e": payload, **producer}, maxlen=EVENTS_MAXLEN, approximate=True)
                        pipe.publish(LIVE_CHANNEL, payload)
                    fenced.append(None)
                    replies += 2 * len(payloads)
                else:
                    args = [str(fence.token), EVENTS_MAXLEN, self.worker_id, LIVE_CHANNEL, *payloads]
                    await self._fenced_append(keys=[fence.lease_key, EVENTS_STREAM], args=args, client=pipe)
                    fenced.append(replies)
                    replies += 1
            results = await pipe.execute(raise_on_error=False)
        answers: list[bool | Exception] = []
        for first, at, end in zip(firsts, fenced, [*firsts[1:], replies], strict=True):
            error = next((r for r in results[first:end] if isinstance(r, Exception)), None)
            if error is not None:
                answers.append(error)
            else:
                answers.append(at is None or int(results[at]) >= 0)  # -1: the lease has another token now
        return answers

    def _refused(self, fence: Fence, count: int) -> None:
        self.fenced_out += count
        log.warning("%d event(s) refused: lease %s token %d is no longer current", count, fence.lease_key, fence.token)
        if self.on_fenced_out is not None:
            self.on_fenced_out(fence)

    def _queue(self, payload: bytes, fence: Fence | None = None) -> None:
        if len(self._backlog) >= BACKLOG_LIMIT:
            # Memory is bounded; the oldest waiting event goes, and the loss is counted and logged.
            self._backlog.popleft()
            self._backlog_dropped += 1
            if self._backlog_dropped % 1000 == 1:
                log.error("event backlog full (%d); dropped %d events so far", BACKLOG_LIMIT, self._backlog_dropped)
        self._backlog.append((payload, fence))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_backlog(), name="bus-backlog-flusher")

    async def _flush_backlog(self) -> None:
        attempt = 0
        while self._backlog and not self._closing:
            # The oldest events, grouped by fence: one room's events stay in order, rooms do not wait on each other,
            # and every group goes in one round trip. Taking them one fence at a time in arrival order made a batch
            # per event when many rooms' events interleave: a worker with hundreds of rooms never caught up again.
            groups: dict[Fence | None, list[bytes]] = {}
            for payload, fence in itertools.islice(self._backlog, BACKLOG_FLUSH_MAX):
                groups.setdefault(fence, []).append(payload)
            try:
                refused = await self._send_groups(groups)
            except TRANSIENT:
                attempt += 1
                await asyncio.sleep(BACKLOG_RETRY(attempt, attempt))
                continue
            for _ in range(sum(map(len, groups.values()))):
                self._backlog.popleft()
            for fence in refused:
                self._refused(fence, len(groups[fence]))
            if attempt:
                log.info("redis back; flushed backlog, %d events left", len(self._backlog))
                attempt = 0

    async def _send_groups(self, groups: dict[Fence | None, list[bytes]]) -> list[Fence]:
        """Write each group under its fence in one pipeline; answers the fences refused."""
        written = await self._send_batch(list(groups.items()))
        return [fence for fence, ok in zip(groups, written, strict=True) if fence is not None and not ok]

    async def subscribe_live(self, on_state: Callable[[bool], None] | None = None) -> AsyncIterator[bytes]:
        """Yield live events as they are published; resubscribes after a Redis outage. Events published while the
        subscription is down are missed by this view only (the durable log still has them): ``on_state(True)`` is
        called once Redis has confirmed the subscription (every event published from then on comes through), and
        ``on_state(False)`` when it is lost, so a caller can tell its own viewers that they missed some."""
        attempt = 0
        while not self._closing:
            pubsub = self.redis.pubsub()
            subscribed = False
            try:
                await pubsub.subscribe(LIVE_CHANNEL)
                while True:
                    msg = await pubsub.get_message(timeout=1.0)
                    if msg is None:
                        continue
                    if msg["type"] == "message":
                        yield msg["data"]
                    elif msg["type"] == "subscribe":
                        if subscribed:
                            # Confirmed again: redis-py reconnected and resubscribed by itself (its retry policy)
                            # after Redis went away, and what was published meanwhile went by unseen.
                            log.warning("live subscription was interrupted and is back")
                            if on_state is not None:
                                on_state(False)
                        subscribed, attempt = True, 0
                        if on_state is not None:
                            on_state(True)
            except TRANSIENT as exc:
                attempt += 1
                log.warning("live subscription lost (%s); retrying", exc)
                if subscribed and on_state is not None:
                    subscribed = False
                    on_state(False)
                await asyncio.sleep(RECONNECT_RETRY(attempt, attempt))
            finally:
                if subscribed and on_state is not None:
                    on_state(False)
                with contextlib.suppress(*TRANSIENT, RedisError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    # -- durable log consumption -----------------------------------------------------------------------

    async def ensure_group(self, group: str) -> None:
        try:
            await self.redis.xgroup_create(EVENTS_STREAM, group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read_group(
        self, group: str, consumer: str, *, count: int = 1000, block_ms: int = 1000, pending: bool = False
    ) -> list[StreamEntry]:
        """New entries (or, with ``pending``, this consumer's own unacknowledged ones, e.g. after a crash)."""
        try:
            reply = await self.redis.xreadgroup(
                group,
                consumer,
                {EVENTS_STREAM: "0" if pending else ">"},
                count=count,
                block=None if pending else block_ms,
            )
        except ResponseError as exc:
            if "NOGROUP" in str(exc):
                # Redis lost the group (restarted without persistence): recreate it and read from the start.
                await self.ensure_group(group)
                return []
            raise
        return _entries(reply)

    async def claim_stale(self, group: str, consumer: str, *, min_idle_ms: int, count: int = 1000) -> list[StreamEntry]:
        """Take over entries other consumers read but never acknowledged for ``min_idle_ms``."""
        _next, claimed, *_ = await self.redis.xautoclaim(
            EVENTS_STREAM, group, consumer, min_idle_time=min_idle_ms, start_id="0-0", count=count
        )
        # An entry without a payload comes back too (empty): the caller acknowledges it instead of claiming it forever.
        return [StreamEntry(_s(eid), (fields or {}).get(b"e", b"")) for eid, fields in claimed]

    async def ack(self, group: str, entry_ids: list[str]) -> None:
        if entry_ids:
            await self.redis.xack(EVENTS_STREAM, group, *entry_ids)

    async def trim_acknowledged(self) -> int:
        """Drop the entries every consumer group has read and acknowledged; keep anything a group has not read yet
        or holds pending. Without it the log grows in Redis's memory (and its append-only file) up to
        ``EVENTS_MAXLEN``. Approximate (whole internal nodes), so a few acknowledged entries may stay. Answers how
        many entries went; with no group at all nothing goes."""
        try:
            groups = await self.redis.xinfo_groups(EVENTS_STREAM)
        except ResponseError:
            return 0  # no stream yet
        keep_from: tuple[int, int] | None = None
        for group in groups:
            oldest = _stream_id(group["last-delivered-id"])
            if group["pending"]:
                summary = await self.redis.xpending(EVENTS_STREAM, group["name"])
                if summary["min"] is not None:
                    oldest = min(oldest, _stream_id(summary["min"]))
            keep_from = oldest if keep_from is None else min(keep_from, oldest)
        if keep_from is None or keep_from == (0, 0):
            return 0
        # limit=0: no cap on one call (Redis's default stops an approximate trim after 10,000 entries, which a
        # thousand events a second outgrow, and a backlog left by an outage would never be caught up).
        minid = f"{keep_from[0]}-{keep_from[1]}"
        return int(await self.redis.xtrim(EVENTS_STREAM, minid=minid, approximate=True, limit=0))

    # -- commands --------------------------------------------------------------------------------------

    async def call(
        self,
        service: str,
        command: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float = 10.0,
        worker_id: str = "",
    ) -> dict[str, Any]:
        """Send a command to a worker (any of the service's, or the one named) and wait for its reply. Raises
        CommandTimeout or CommandError."""
        request_id = uuid.uuid4().hex
        request = {
            "id": request_id,
            "command": command,
            "params": params or {},
            "deadline": time.time() + timeout,
            "from": self.service,
        }
        try:
            await self.redis.lpush(command_key(service, worker_id), orjson.dumps(request))
            reply = await self._wait_reply(reply_key(request_id), timeout)
        except TRANSIENT as exc:
            raise BusError(f"redis unreachable while calling {service}.{command}: {exc}") from exc
        if reply is None:
            raise CommandTimeout(service, command, timeout)
        answer = orjson.loads(reply[1])
        if answer.get("status") != "ok":
            details = answer.get("details")
            raise CommandError(
                answer.get("code", "failed"),
                answer.get("reason", "unknown error"),
                details=details if isinstance(details, list) else None,
            )
        result: dict[str, Any] = answer.get("result") or {}
        return result

    async def _wait_reply(self, key: str, timeout: float) -> Any:
        """BLPOP the reply in slices shorter than the client's socket timeout (redis-py's default is 5 s): one long
        BLOCK would be cut by it and retried, so a worker that never answers cost 4x the timeout and a BusError."""
        deadline = time.monotonic() + timeout
        # Not below 10 ms: Redis reads a BLPOP timeout that rounds to 0 ms as "block for ever".
        while (left := deadline - time.monotonic()) >= 0.01:
            reply = await self.redis.blpop([key], timeout=min(left, REPLY_SLICE_S))
            if reply is not None:
                return reply
        return None

    async def serve_commands(self, handler: CommandHandler, *, stop: asyncio.Event) -> None:
        """Run ``handler`` for each command sent to this service until ``stop`` is set. Commands run concurrently;
        a command whose caller has already given up (deadline passed) is dropped."""
        tasks: set[asyncio.Task[None]] = set()
        attempt = 0
        while not stop.is_set():
            try:
                queues = [command_key(self.service, self.worker_id)] if self.worker_id else []
                item = await self.redis.brpop([*queues, command_key(self.service)], timeout=1)
                attempt = 0
            except TRANSIENT as exc:
                attempt += 1
                log.warning("command queue unreachable (%s); retrying", exc)
                await asyncio.sleep(RECONNECT_RETRY(attempt, attempt))
                continue
            if item is None:
                continue
            try:
                request = orjson.loads(item[1])
                request_id, command = str(request["id"]), str(request["command"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                log.warning("dropping malformed command %r", item[1][:200])
                continue
            if float(request.get("deadline", 0)) < time.time():
                log.info("dropping expired command %s (%s)", command, request_id)
                continue
            task = asyncio.create_task(self._run_command(handler, request_id, command, request.get("params") or {}))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        for task in tasks:
            task.cancel()

    async def _run_command(
        self, handler: CommandHandler, request_id: str, command: str, params: dict[str, Any]
    ) -> None:
        try:
            result = await handler(command, params)
            answer: dict[str, Any] = {"status": "ok", "result": result}
        except CommandError as exc:
            answer = {"status": "error", "code": exc.code, "reason": exc.message}
            if exc.details is not None:
                answer["details"] = exc.details
        except Exception as exc:
            log.exception("command %s failed", command)
            answer = {"status": "error", "code": "failed", "reason": f"{type(exc).__name__}: {exc}"}
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.lpush(reply_key(request_id), orjson.dumps(answer, default=str))
            pipe.expire(reply_key(request_id), REPLY_TTL_S)
            await pipe.execute()
        except TRANSIENT as exc:
            log.warning("could not reply to %s (%s): %s", command, request_id, exc)

    # -- heartbeats and shared state -------------------------------------------------------------------

    async def heartbeat(self, info: dict[str, Any], *, ttl_s: float = 5.0) -> None:
        payload = orjson.dumps(
            {"service": self.service, "ts": time.time(), **({"worker_id": self.worker_id} if self.worker_id else {}),
             **info}, default=str)  # fmt: skip
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(heartbeat_key(self.service), payload, px=int(ttl_s * 1000))
        if self.worker_id:
            pipe.set(heartbeat_key(self.service, self.worker_id), payload, px=int(ttl_s * 1000))
        await pipe.execute()

    async def read_heartbeat(self, service: str) -> dict[str, Any] | None:
        raw = await self.redis.get(heartbeat_key(service))
        return orjson.loads(raw) if raw else None

    async def read_launcher_state(self) -> dict[str, Any] | None:
        raw = await self.redis.get(LAUNCHER_STATE_KEY)
        return orjson.loads(raw) if raw else None


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _stream_id(value: bytes | str) -> tuple[int, int]:
    ms, _, seq = _s(value).partition("-")
    return int(ms), int(seq or 0)


def _entries(reply: Any) -> list[StreamEntry]:
    out: list[StreamEntry] = []
    for _stream, items in reply or []:
        for eid, fields in items:
            # A pending entry trimmed from the stream comes back with no fields; it can only be acknowledged.
            out.append(StreamEntry(_s(eid), fields.get(b"e", b"") if fields else b""))
    return out
