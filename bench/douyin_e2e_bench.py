"""End to end, on the real suite (``timao up`` in a temporary home): fake Douyin server → fetcher → bus → /ws client.

Prints p50/p99 latency from "the fake server put the frame on the wire" to "the /ws client received the event" at a
steady chat rate, then the chats lost and duplicated, on /ws and in the database, over a long run with forced
disconnects.

    .venv/bin/python bench/douyin_e2e_bench.py [--rate 1000] [--seconds 60] [--events 100000] [--drops 3]
                                               [--batch 10] [--retry-base 1.0]

``--seconds 0`` or ``--events 0`` skips that part. Each part is its own live room and session.

How it measures:
  * The fake server (strict signature checking, the JS test signer) runs in this process on its own event loop,
    and so does the /ws client, so both clocks are the same and neither waits for the GIL on the other. The room
    is fed by a generator of scenario steps: chats "lat 000123" / "bench 000123" (unique, numbered), ``--batch``
    chats a frame, paced against absolute targets (``rate``). The generator runs again the moment a frame step has
    returned, i.e. right after the frame went to the socket: that instant is the frame's send time.
  * Latency = time the /ws client got the chat − send time of the frame that carried it. The chat's own ``ts``
    cannot serve: real chats carry eventTime in whole seconds only.
  * Disconnects are ``{"op": "drop", "wait_acks": false}``: the TCP connection is aborted (no close frame, the
    client sees 1006) right after a frame was sent, while frames are still unacked, spread evenly over the run.
    The fetcher reconnects with its retry policy (``--retry-base``, production default 1 s) and the last cursor.
  * What the fake server sends meanwhile, as Douyin's cursor resume does: every frame not acked on the lost
    connection is replayed first on the next one (so chats the client already had come again: the fetcher must
    drop them), and chats due while nobody is connected wait for the reconnect, then go out back to back until the
    schedule has caught up. Nothing scripted is ever thrown away by the server, so any chat missing at the end
    was lost by the suite, and any chat seen twice was duplicated by it.
  * Database: the comment rows of the session, read from the suite's SQLite file.
  * A second subscriber on the bus's live channel (same loop, same clock) splits the latency into the fetcher's
    share (wire → bus: receive, ack, decode, publish) and the gateway's (bus → /ws).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.douyin_fetcher.fake_server import FakeDouyinServer, FakeRoom
from shared.bus import Bus
from shared.db.engine import make_engine
from shared.db.models import CommentData
from tests.e2e.harness import TEST_SIGNER_JS, Suite

SETTLE_S = 20.0  # how long /ws or the database may go without progress before the count is final


@dataclass
class Feed:
    """One room's script: ``total`` numbered chats at ``rate``/s, ``batch`` a frame, drops before chosen frames."""

    prefix: str
    total: int
    rate: float
    batch: int
    drops: int = 0
    sent_ns: list[int] = field(default_factory=list)  # per frame: right after it went to the socket
    drop_frames: list[int] = field(default_factory=list)
    elapsed: float = 0.0

    def __post_init__(self) -> None:
        frames = math.ceil(self.total / self.batch)
        self.drop_frames = [frames * (k + 1) // (self.drops + 1) for k in range(self.drops)]

    def content(self, i: int) -> str:
        return f"{self.prefix} {i:06d}"

    def steps(self) -> Iterator[dict[str, Any]]:
        yield {"op": "wait_acks", "timeout": 0}  # returns once the fetcher is connected: the schedule starts there
        start = time.perf_counter()
        drops = set(self.drop_frames)
        for frame, first in enumerate(range(0, self.total, self.batch)):
            if frame in drops:
                yield {"op": "drop", "wait_acks": False}
            delay = start + first / self.rate - time.perf_counter()
            if delay > 0:
                yield {"op": "sleep", "s": delay}
            events = [
                {"kind": "chat", "user": {"id": 10_000_000_000 + i % 97, "nickname": f"观众{i % 97}"},
                 "content": self.content(i)}
                for i in range(first, min(first + self.batch, self.total))
            ]  # fmt: skip
            yield {"op": "frame", "events": events}
            self.sent_ns.append(time.time_ns())
        self.elapsed = time.perf_counter() - start
        yield {"op": "wait_acks", "timeout": 30}


class Harness:
    """The fake server, the /ws client and the bus tap on one event loop in a thread, driven from the main thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = FakeDouyinServer(strict=True, idle_timeout=25.0, enter_needs_a_bogus=False)
        self.received: list[tuple[int, str, str]] = []  # (receive ns, session_id, chat content)
        self.tapped: list[tuple[int, str, str]] = []  # the same, seen on the bus's live channel
        self._bus: Bus | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.other_events = 0
        self.states: list[tuple[str, str]] = []  # (session_id, "state (reason)") from the fetcher's service events
        self.ws_closed = ""

    def run(self, coro: Any, timeout: float = 30) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def start(self) -> None:
        self.thread.start()
        self.run(self.server.start())

    def stop(self) -> None:
        async def halt() -> None:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if self._bus is not None:
                await self._bus.close()
            await self.server.stop()

        self.run(halt())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def watch(self, url: str) -> None:
        ready = threading.Event()

        async def read() -> None:
            try:
                async with connect(url, max_size=None, open_timeout=10) as ws:
                    ready.set()
                    async for raw in ws:
                        now = time.time_ns()
                        event = orjson.loads(raw)
                        if event.get("type") == "chat":
                            self.received.append((now, event["session_id"], event["data"]["content"]))
                        elif event.get("type") == "service":
                            data = event["data"]
                            reason = f" ({data['reason']})" if data.get("reason") else ""
                            self.states.append((event["session_id"], f"{data.get('state')}{reason}"))
                        else:
                            self.other_events += 1
            except ConnectionClosed as exc:
                self.ws_closed = f"/ws closed: {exc}"
            finally:
                ready.set()

        async def begin() -> None:
            self._tasks.append(asyncio.get_running_loop().create_task(read()))

        self.run(begin())
        if not ready.wait(15) or self.ws_closed:
            raise RuntimeError(f"could not open /ws: {self.ws_closed}")

    def tap(self, redis_url: str) -> None:
        async def read(bus: Bus) -> None:
            async for raw in bus.subscribe_live():
                now = time.time_ns()
                event = orjson.loads(raw)
                if event.get("type") == "chat":
                    self.tapped.append((now, event["session_id"], event["data"]["content"]))

        async def begin() -> None:
            self._bus = Bus(redis_url, service="bench")
            await self._bus.start()
            self._tasks.append(asyncio.get_running_loop().create_task(read(self._bus)))

        self.run(begin())

    def add_room(self, web_rid: str, feed: Feed) -> FakeRoom:
        async def add() -> FakeRoom:
            room = self.server.add_room(web_rid)
            room.start_script(feed.steps())
            return room

        return self.run(add())  # type: ignore[no-any-return]


def first_seen(records: list[tuple[int, str, str]], session_id: str, expected: set[str]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for t, sid, content in records:
        if sid == session_id and content in expected and content not in seen:
            seen[content] = t
    return seen


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def wait_progress(count: Any, target: int, settle: float = SETTLE_S) -> int:
    """Poll ``count()`` until it reaches ``target`` or stops moving for ``settle`` seconds."""
    last, since = -1, time.monotonic()
    while True:
        value = count()
        if value >= target:
            return int(value)
        if value != last:
            last, since = value, time.monotonic()
        elif time.monotonic() - since > settle:
            return int(value)
        time.sleep(0.2)


def tally(expected: set[str], got: list[str]) -> tuple[int, int, int]:
    """(lost, duplicated, unexpected) for a list of received contents."""
    counts = Counter(got)
    lost = len(expected - counts.keys())
    duplicated = sum(n - 1 for c, n in counts.items() if n > 1)
    unexpected = sum(n for c, n in counts.items() if c not in expected)
    return lost, duplicated, unexpected


def run_part(h: Harness, suite: Suite, feed: Feed, web_rid: str, config: dict[str, Any]) -> dict[str, Any]:
    room = h.add_room(web_rid, feed)
    first_conn = len(h.server.observed.connections)
    unacked_before = len(h.server.observed.unacked())
    started = httpx.post(
        suite.base_url + "/api/douyin/start", json={"live_id": web_rid, "config": config}, headers=suite.auth,
        timeout=30,
    )  # fmt: skip
    started.raise_for_status()
    session_id = started.json()["session_id"]
    load_before = os.getloadavg()
    h.run(room.wait_done(feed.total / feed.rate + 120), timeout=feed.total / feed.rate + 150)

    def ws_count() -> int:
        return sum(1 for _, sid, _c in h.received if sid == session_id)

    wait_progress(ws_count, feed.total)
    engine = make_engine(suite.status()["database_url"])

    def db_count() -> int:
        with Session(engine) as s:
            query = select(func.count()).select_from(CommentData).where(CommentData.session_id == session_id)
            return int(s.scalar(query) or 0)

    wait_progress(db_count, feed.total)
    with Session(engine) as s:
        stored = list(s.scalars(select(CommentData.content).where(CommentData.session_id == session_id)))
    engine.dispose()
    load_after = os.getloadavg()
    rooms = httpx.get(suite.base_url + "/api/douyin/status", headers=suite.auth, timeout=10).json()["sessions"]
    stats: dict[str, Any] = next((r["stats"] for r in rooms if r["session_id"] == session_id), {})
    httpx.post(suite.base_url + "/api/douyin/stop", json={"session_id": session_id}, headers=suite.auth, timeout=30)

    expected = {feed.content(i) for i in range(feed.total)}
    mine = [(t, c) for t, sid, c in h.received if sid == session_id]
    at_ws = first_seen(h.received, session_id, expected)
    on_bus = first_seen(h.tapped, session_id, expected)

    def sent(content: str) -> int:
        return feed.sent_ns[int(content.split()[1]) // feed.batch]

    latencies = {
        "wire → /ws": sorted((t - sent(c)) / 1e6 for c, t in at_ws.items()),
        "  wire → bus (fetcher)": sorted((t - sent(c)) / 1e6 for c, t in on_bus.items()),
        "  bus → /ws (gateway)": sorted((t - on_bus[c]) / 1e6 for c, t in at_ws.items() if c in on_bus),
    }
    conns = [c for c in h.server.observed.connections[first_conn:] if c.web_rid == web_rid and c.accepted]
    return {
        "session_id": session_id,
        "ws": tally(expected, [c for _, c in mine]),
        "db": tally(expected, stored),
        "ws_count": len(mine),
        "db_count": len(stored),
        "latencies": latencies,
        "connections": len(conns),
        "replayed_frames": len(h.server.observed.unacked()) - unacked_before,
        "backoffs": [state for sid, state in h.states if sid == session_id and state.startswith("backoff")],
        "stats": stats,
        "load": (load_before, load_after),
    }


def report(title: str, feed: Feed, r: dict[str, Any]) -> None:
    frames = len(feed.sent_ns)
    print(f"\n== {title}")
    print(f"sent {feed.total:,} chats in {frames:,} frames of {feed.batch} over {feed.elapsed:.1f}s "
          f"({feed.total / max(feed.elapsed, 1e-9):,.0f}/s, target {feed.rate:,.0f}/s); "
          f"forced disconnects {len(feed.drop_frames)}; fetcher connections {r['connections']}; "
          f"frames unacked at a drop, replayed on the next connection {r['replayed_frames']}")  # fmt: skip
    for name, lat in r["latencies"].items():
        if not lat:
            continue
        over = sum(1 for x in lat if x > 50)
        aim = " (aim p99 ≤ 50 ms)" if name == "wire → /ws" else ""
        print(f"latency {name:<22}: p50 {statistics.median(lat):8.2f} ms, p90 {percentile(lat, 0.90):8.2f} ms, "
              f"p99 {percentile(lat, 0.99):8.2f} ms, p99.9 {percentile(lat, 0.999):8.2f} ms, max {lat[-1]:8.1f} ms; "
              f"{over:,} of {len(lat):,} over 50 ms{aim}")  # fmt: skip
    for where, key, count in (("/ws", "ws", r["ws_count"]), ("database", "db", r["db_count"])):
        lost, dup, unexpected = r[key]
        print(f"{where:<8}: received {count:,}; lost {lost:,}, duplicated {dup:,}, unexpected {unexpected:,} "
              "(aim 0 / 0)")  # fmt: skip
    stats = r["stats"]
    if stats:
        print(f"fetcher: frames {stats.get('frames', 0):,}, reconnects {stats.get('reconnects', 0)}, "
              f"duplicates dropped by the decoder {stats.get('duplicates', 0):,}, "
              f"bad frames {stats.get('bad_frames', 0)}")  # fmt: skip
    for state in r["backoffs"]:
        print(f"fetcher reconnect: {state}")
    (b1, b5, b15), (a1, a5, a15) = r["load"]
    print(f"load average during the part: {b1:.2f}/{b5:.2f}/{b15:.2f} at start, {a1:.2f}/{a5:.2f}/{a15:.2f} at end "
          f"({os.cpu_count()} CPUs)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1000.0, help="chats per second (both parts)")
    parser.add_argument("--seconds", type=float, default=60.0, help="latency part length (0 = skip)")
    parser.add_argument("--events", type=int, default=100_000, help="chats in the loss part (0 = skip)")
    parser.add_argument("--drops", type=int, default=3, help="forced disconnects in the loss part")
    parser.add_argument("--batch", type=int, default=10, help="chats per frame")
    parser.add_argument("--retry-base", type=float, default=1.0, help="fetcher reconnect backoff base (s)")
    args = parser.parse_args()
    config = {"retry_base": args.retry_base}
    print(f"load average at start: {'/'.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    h = Harness()
    h.start()
    env = {f"TIMAO_{k.upper()}": v for k, v in h.server.urls.items()}
    env["TIMAO_DOUYIN_SIGNER"] = f"js:{TEST_SIGNER_JS}"
    with tempfile.TemporaryDirectory(prefix="timao-bench-") as tmp:
        suite = Suite(Path(tmp) / "home", extra_env=env).start()
        try:
            suite.wait_running(timeout=90)
            h.watch(f"ws://127.0.0.1:{suite.gateway_port}/ws?token={suite.token}")
            h.tap(suite.status()["redis_url"])
            if args.seconds > 0:
                feed = Feed("lat", int(args.rate * args.seconds), args.rate, args.batch)
                result = run_part(h, suite, feed, "710000000001", config)
                report(f"latency: {args.rate:,.0f} chats/s for {args.seconds:g}s, no faults", feed, result)
            if args.events > 0:
                feed = Feed("bench", args.events, args.rate, args.batch, drops=args.drops)
                result = run_part(h, suite, feed, "710000000002", config)
                report(f"loss/duplicates: {args.events:,} chats, {args.drops} forced disconnects", feed, result)
            if h.ws_closed:
                print(h.ws_closed)
        finally:
            h.stop()  # the /ws client and the bus tap first, so they do not outlive the suite
            suite.stop()


if __name__ == "__main__":
    main()
