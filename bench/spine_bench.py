"""Benchmarks of the suite's spine, on the real suite started by ``timao up`` in a temporary home.

Prints: cold start to all healthy; time from ``kill -9`` of each worker to healthy again; idle resident memory of
the whole suite; events/s from the bus into the database; bus → /ws latency p50/p99 at a steady rate.

    .venv/bin/python bench/spine_bench.py [--events 100000] [--rate 1000] [--seconds 60] [--starts 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson
import psutil
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.bus import Bus
from shared.db.engine import make_engine
from shared.db.models import LiveEventRow
from shared.events import fast_event_json
from tests.e2e.harness import Suite

WORKERS = ("douyin_fetcher", "ast", "streamcap", "gateway")


def cold_start(root: Path, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        suite = Suite(root / f"cold{i}")
        t0 = time.perf_counter()
        suite.start()
        suite.wait_running(timeout=60)
        times.append(time.perf_counter() - t0)
        suite.stop()
    return times


def restart_after_kill(suite: Suite) -> dict[str, float]:
    out = {}
    for name in WORKERS:
        pid = suite.status()["services"][name]["pid"]
        t0 = time.perf_counter()
        os.kill(pid, signal.SIGKILL)
        suite.wait_running(timeout=60, exclude_pids={name: pid})
        out[name] = time.perf_counter() - t0
        time.sleep(1.0)
    return out


def suite_rss_mb(suite: Suite) -> float:
    total = 0
    for pid in suite.all_pids():
        with contextlib.suppress(psutil.NoSuchProcess):
            total += psutil.Process(pid).memory_info().rss
    return total / 2**20


def persist_throughput(suite: Suite, n: int) -> float:
    status = suite.status()
    engine = make_engine(status["database_url"])

    async def publish() -> None:
        bus = Bus(status["redis_url"], service="bench")
        await bus.start()
        batch: list[bytes] = []
        for i in range(n):
            batch.append(fast_event_json("like", "bench-persist", str(i), 1_000 + i, {"count": 1, "total": i}))
            if len(batch) == 1000:
                await bus.publish_many(batch)
                batch = []
        await bus.publish_many(batch)
        await bus.close()

    t0 = time.perf_counter()
    asyncio.run(publish())
    published = time.perf_counter() - t0
    while True:
        with Session(engine) as s:
            count = s.scalar(
                select(func.count()).select_from(LiveEventRow).where(LiveEventRow.session_id == "bench-persist")
            )
        if count and count >= n:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    print(f"  (publishing {n:,} events took {published:.2f}s of the {elapsed:.2f}s)")
    return n / elapsed


def persister_alone(redis_url: str, n: int, workdir: Path) -> float:
    """The persister on its own: the log pre-filled, then drained into a fresh SQLite file with the analytics hook,
    as the gateway runs it (a separate Redis database, so the suite's own persister does not compete)."""
    from services.gateway.analytics.context import AnalyticsContext
    from services.gateway.persister import Persister
    from shared.db.migrate import upgrade_to_head
    from shared.db.store import EventStore

    url = redis_url.replace("?db=0", "?db=1") if redis_url.startswith("unix://") else redis_url.rsplit("/", 1)[0] + "/1"
    engine = make_engine(f"sqlite:///{workdir / 'persist.db'}")
    upgrade_to_head(engine)
    analytics = AnalyticsContext.create(engine, workdir / "reports")

    async def run() -> float:
        bus = Bus(url, service="bench")
        await bus.start()
        await bus.redis.flushdb()
        payloads = [fast_event_json("like", "alone", str(i), 1_000 + i, {"count": 1, "total": i}) for i in range(n)]
        for i in range(0, n, 1000):
            await bus.publish_many(payloads[i : i + 1000])
        persister = Persister(bus, EventStore(engine, on_new=analytics.aggregator.on_new))
        stop = asyncio.Event()
        t0 = time.perf_counter()
        task = asyncio.create_task(persister.run(stop))
        while persister.seen < n:
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - t0
        stop.set()
        await task
        await bus.redis.flushdb()
        await bus.close()
        return n / elapsed

    rate = asyncio.run(run())
    engine.dispose()
    return rate


def ws_latency(suite: Suite, rate: int, seconds: float) -> tuple[float, float, int, int]:
    status = suite.status()
    latencies: list[float] = []
    total = int(rate * seconds)
    done = threading.Event()

    def watch() -> None:
        with connect(f"ws://127.0.0.1:{suite.gateway_port}/ws?token={suite.token}&session_id=bench-ws") as ws:
            ready.set()
            while len(latencies) < total:
                try:
                    raw = ws.recv(timeout=5)
                except TimeoutError:
                    break
                now = time.time_ns()
                event = orjson.loads(raw)
                if event["type"] != "like":  # the analytics "stats" updates share the session
                    continue
                latencies.append((now - event["data"]["sent_ns"]) / 1e6)
        done.set()

    ready = threading.Event()
    threading.Thread(target=watch, daemon=True).start()
    ready.wait(10)
    time.sleep(0.3)

    async def publish() -> None:
        bus = Bus(status["redis_url"], service="bench")
        await bus.start()
        start = time.perf_counter()
        for i in range(total):
            target = start + i / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            payload = fast_event_json("like", "bench-ws", f"w{i}", 0, {"count": 1, "sent_ns": time.time_ns()})
            await bus.publish(payload)
        await bus.close()

    asyncio.run(publish())
    done.wait(15)
    latencies.sort()
    p50 = statistics.median(latencies) if latencies else float("nan")
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    return p50, p99, len(latencies), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="timao-bench-") as tmp:
        root = Path(tmp)
        starts = cold_start(root, args.starts)
        print(f"cold start to all healthy: min {min(starts):.2f}s, median {statistics.median(starts):.2f}s "
              f"over {len(starts)} starts (aim ≤ 3 s)")  # fmt: skip
        suite = Suite(root / "main").start()
        suite.wait_running()
        time.sleep(5)
        print(f"idle resident memory of the whole suite: {suite_rss_mb(suite):.0f} MB "
              f"({len(suite.all_pids())} processes; aim ≤ 400 MB)")  # fmt: skip
        for name, seconds in restart_after_kill(suite).items():
            print(f"kill -9 {name:<15} → healthy again in {seconds:.2f}s (aim ≤ 2 s)")
        rate = persist_throughput(suite, args.events)
        print(f"bus → database through the suite: {rate:,.0f} events/s over {args.events:,} events on SQLite "
              "(bounded by this one Python producer's publishing)")  # fmt: skip
        alone = persister_alone(suite.status()["redis_url"], args.events, root)
        print(f"bus → database, the persister alone (log pre-filled, analytics hook on): {alone:,.0f} events/s "
              "(aim ≥ 20,000)")  # fmt: skip
        p50, p99, got, sent = ws_latency(suite, args.rate, args.seconds)
        print(f"bus → /ws at {args.rate}/s for {args.seconds:g}s: p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
              f"received {got:,}/{sent:,} (aim p99 ≤ 20 ms)")  # fmt: skip
        suite.stop()


if __name__ == "__main__":
    main()
