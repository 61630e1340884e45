"""The cost of a room per transport (#11): CPU and memory per room, and time from "start room" to its first event.

    .venv/bin/python bench/douyin_transports.py [--rooms 10] [--rate 50] [--seconds 20] [--transports direct,browser]
                                                [--browser /usr/bin/chromium]

How it measures:
  * The fake Douyin server runs in a child process (its CPU is not ours), logged-in rooms each fed ``--rate`` chats
    a second (frames of five); the rooms run in this process through the fetcher's RoomManager, as in the service.
  * First event: from ``RoomManager.start`` to the first chat of that room handed to emit (the durable log's door).
  * CPU: process CPU time (user + system) over a steady window of ``--seconds`` after every room delivered, as % of
    one core, for this process plus, for the browser transport, the browser's whole process group (the DevTools
    client runs in this process: shared/cdp.py). Divided by the number of rooms.
  * Memory: for the direct transport, this process's RSS growth from before the first room to the end of the
    window. For the browser transport the same, plus the browser's processes, counted as PSS
    (proportional set size: shared pages divided among the processes sharing them; RSS would count Chromium's
    shared libraries once per process). Divided by the number of rooms.
Aims (issue 11): browser ≤ 150 MB and ≤ 5 % of a core per room; direct ≤ 5 MB and ≤ 1 %; first event ≤ 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.douyin_fetcher.client import ClientOptions
from services.douyin_fetcher.rooms import RoomManager
from shared.browser import BrowserOwner
from shared.config import Settings
from shared.platforms.douyin.account import DouyinAccount, load_account, parse_cookie_string, save_account

FIRST_ROOM = 148108118000

FAKE = """
import asyncio, sys
from services.douyin_fetcher.fake_server import FakeDouyinServer
from services.douyin_fetcher.fake_server.scenario import Scenario

async def main(rooms, rate, seconds, first):
    fake = FakeDouyinServer(strict=False, idle_timeout=30.0)
    port = await fake.start()
    frames = int(rate * seconds / 5)
    for r in range(rooms):
        steps = []
        for i in range(frames):
            events = [
                {"kind": "chat", "user": {"id": 40000 + k, "nickname": f"观众{k}"}, "content": f"{r}-{i}-{k}"}
                for k in range(5)
            ]
            steps += [{"op": "frame", "events": events}, {"op": "sleep", "s": 5 / rate}]
        room = {"web_rid": str(first + r), "title": "压测", "anchor_name": "猫老师"}
        fake.load_scenario(Scenario(room=room, steps=steps))
    print(port, fake.issue_login("压测账号"), sep="\\t", flush=True)
    await asyncio.Event().wait()

asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])))
"""


def group_processes(leader: int | None) -> list[psutil.Process]:
    if leader is None:
        return []
    out = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == leader:
                out.append(proc)
        except (psutil.Error, ProcessLookupError):
            continue
    return out


def helpers(owner: BrowserOwner | None) -> list[psutil.Process]:
    """The browser's processes (its own process group)."""
    if owner is None:
        return []
    return group_processes(owner.pid)


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            continue
    return total


def pss_mb(procs: list[psutil.Process]) -> float:
    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss
        except (psutil.Error, AttributeError):
            continue
    return total / 2**20


async def run(transport: str, args: argparse.Namespace) -> dict[str, Any]:
    seconds_total = args.seconds + 90  # long enough to outlast start-up
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE, str(args.rooms), str(args.rate), str(seconds_total), str(FIRST_ROOM)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert fake.stdout is not None
    port_text, cookie = fake.stdout.readline().decode().strip().split("\t")
    base = f"http://127.0.0.1:{port_text}"
    home = Path(tempfile.mkdtemp(prefix="timao-bench-"))
    save_account(home, DouyinAccount(parse_cookie_string(cookie), "压测账号", "cookie"))
    urls = {
        "douyin_live_url": base,
        "douyin_www_url": f"{base}/www",
        "douyin_ws_url": f"ws://127.0.0.1:{port_text}/webcast/im/push/v2/",
    }
    settings = Settings(home=home, **urls, douyin_signer="none", douyin_transport=transport)
    owner = BrowserOwner(home / "browser", choice=args.browser, headless=True) if transport == "browser" else None
    first: dict[str, float] = {}
    started: dict[str, float] = {}
    events = 0

    async def emit_batch(batch: list[dict[str, Any]]) -> None:
        nonlocal events
        now = time.monotonic()
        for event in batch:
            if event["type"] == "chat":
                events += 1
                first.setdefault(event["live_id"], now)

    async def emit(event: dict[str, Any]) -> None:
        await emit_batch([event])

    me = psutil.Process()
    rss_before = me.memory_info().rss
    rooms = RoomManager.from_settings(
        settings,
        emit,
        emit_batch=emit_batch,
        browser=owner,
        account=lambda: load_account(home),
        options=ClientOptions(stall_timeout=30.0),
    )
    live_ids = [str(FIRST_ROOM + r) for r in range(args.rooms)]
    try:

        async def start(live_id: str) -> None:
            started[live_id] = time.monotonic()
            await rooms.start(live_id)

        await asyncio.gather(*(start(live_id) for live_id in live_ids))
        deadline = time.monotonic() + 120
        while len(first) < len(live_ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(3.0)  # settle: pages finish loading, caches fill
        procs = [me, *helpers(owner)]
        cpu0, t0, events0 = cpu_seconds(procs), time.monotonic(), events
        await asyncio.sleep(args.seconds)
        procs = [me, *helpers(owner)]
        cpu1, t1, events1 = cpu_seconds(procs), time.monotonic(), events
        own_mb = (me.memory_info().rss - rss_before) / 2**20
        browser_mb = pss_mb(helpers(owner))
        firsts = [first[i] - started[i] for i in live_ids if i in first]
        return {
            "transport": transport,
            "rooms": args.rooms,
            "rooms_delivering": len(firsts),
            "events_per_s": (events1 - events0) / (t1 - t0),
            "cpu_pct_core_per_room": 100 * (cpu1 - cpu0) / (t1 - t0) / args.rooms,
            "mem_mb_per_room": (own_mb + browser_mb) / args.rooms,
            "own_rss_growth_mb": own_mb,
            "browser_pss_mb": browser_mb,
            "first_event_s_median": statistics.median(firsts) if firsts else float("nan"),
            "first_event_s_max": max(firsts) if firsts else float("nan"),
        }
    finally:
        await rooms.stop_all()
        if owner is not None:
            await owner.close()
        fake.kill()
        fake.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--rate", type=float, default=50.0, help="chats per second per room")
    parser.add_argument("--seconds", type=float, default=20.0, help="the measured window")
    parser.add_argument("--transports", default="direct,browser")
    parser.add_argument("--browser", default=os.environ.get("TIMAO_BROWSER") or None)
    args = parser.parse_args()
    for transport in args.transports.split(","):
        result = asyncio.run(run(transport.strip(), args))
        print(
            f"{result['transport']:8} rooms={result['rooms']} delivering={result['rooms_delivering']} "
            f"events/s={result['events_per_s']:.0f}  per room: cpu={result['cpu_pct_core_per_room']:.2f}% of a core "
            f"mem={result['mem_mb_per_room']:.1f} MB  (own RSS +{result['own_rss_growth_mb']:.1f} MB, "
            f"browser PSS {result['browser_pss_mb']:.0f} MB)  first event: median "
            f"{result['first_event_s_median']:.2f}s max {result['first_event_s_max']:.2f}s",
            flush=True,
        )


if __name__ == "__main__":
    main()
