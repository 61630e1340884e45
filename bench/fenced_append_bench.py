"""What fencing costs on the event path (docs/contracts.md, Workers on several machines).

A room's events go to the durable log in batches; with several workers each batch is appended by a Lua script that
first checks the room's lease token (``Bus.publish_many(fence=...)``), instead of a plain pipeline of XADD + PUBLISH.
This bench appends the same events both ways to a Redis of its own (a private redis-server on a free port) and prints
events/s and the per-batch latency, for a few batch sizes (a busy room's client sends up to 200 events a batch).

    .venv/bin/python bench/fenced_append_bench.py [--events 50000] [--batches 1,10,50]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from launcher.redis_embedded import find_redis_server, free_port  # noqa: E402
from shared.bus import EVENTS_STREAM, Bus, Fence  # noqa: E402
from shared.leases import Leases, owner_id  # noqa: E402


def payload(i: int) -> bytes:
    return orjson.dumps({"type": "chat", "session_id": "bench", "live_id": "1", "msg_id": str(i), "ts": 0,
                         "data": {"user": {"id": "1", "nickname": "观众"}, "content": f"第{i}条弹幕"}})  # fmt: skip


async def run(url: str, events: int, batch: int) -> dict[str, float]:
    bus = Bus(url, service="bench", worker_id="bench-worker")
    await bus.start()
    leases = Leases(bus.redis, "bench")
    room = f"room-{batch}"
    token = await leases.acquire(room, owner_id("bench-worker"), 3600)
    assert token is not None
    fence = Fence(leases.key(room), token)
    figures: dict[str, float] = {}
    for label, fenced in (("plain", None), ("fenced", fence)):
        await bus.redis.delete(EVENTS_STREAM)
        data = [payload(i) for i in range(events)]
        latencies = []
        start = time.perf_counter()
        for i in range(0, events, batch):
            t0 = time.perf_counter()
            await bus.publish_many(data[i : i + batch], fence=fenced)
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
        assert await bus.redis.xlen(EVENTS_STREAM) == events
        latencies.sort()
        figures[f"{label}_eps"] = events / elapsed
        figures[f"{label}_p99_ms"] = latencies[int(len(latencies) * 0.99) - 1] * 1000
    await bus.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batches", default="1,10,50")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="fenced-bench-"))
    port = free_port()
    server = subprocess.Popen(
        [find_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir), "--save", "",
         "--appendonly", "no"], stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(0.3)
        url = f"redis://127.0.0.1:{port}/0"
        print(f"{'batch':>6} {'plain ev/s':>12} {'fenced ev/s':>12} {'ratio':>7} {'plain p99':>10} {'fenced p99':>11}")
        for batch in (int(b) for b in args.batches.split(",")):
            f = asyncio.run(run(url, args.events, batch))
            ratio = f["fenced_eps"] / f["plain_eps"]
            print(f"{batch:>6} {f['plain_eps']:>12,.0f} {f['fenced_eps']:>12,.0f} {ratio:>7.2f}"
                  f" {f['plain_p99_ms']:>8.2f}ms {f['fenced_p99_ms']:>9.2f}ms")  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
