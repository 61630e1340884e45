"""The OBS overlay under a flood, in headless Chromium: the real suite (``timao up`` in a temporary home), an overlay
key, the overlay page open in Chromium, and live events published on the bus at a steady rate (default 1,000 a
second for 60 s: comments, gift combos, likes, joins, follows, viewer counts).

Prints the page's frame rate (mean, and the worst one-second window), frame intervals (p99, longest), its long
tasks (count over 50 ms, longest; PerformanceObserver ``longtask``) and how many events the page took in.
Aim: ≥ 50 fps, no task over 50 ms.

    .venv/bin/python bench/overlay_bench.py [--rate 1000] [--seconds 60] [--kind chat] [--rows 8] [--trace FILE]

With ``--trace FILE`` it also records a Chromium trace of the flood into FILE (open it in chrome://tracing or
DevTools' Performance panel) and prints what each long task of the page was (bench/overlay_trace.py); tracing
itself costs some CPU, so take the frame figures from a run without it.

Needs the built UI (scripts/build-ui.sh) and Chromium (/usr/bin/chromium, or TIMAO_TEST_CHROMIUM).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import overlay_trace
from shared.bus import Bus
from shared.events import fast_event_json
from tests.e2e.harness import PROJECT_ROOT, Suite

CHROMIUM = os.environ.get("TIMAO_TEST_CHROMIUM", "/usr/bin/chromium")
SESSION = "bench-overlay"
GIFTS = [("小心心", 1), ("玫瑰", 1), ("棒棒糖", 9), ("人气票", 1), ("嘉年华", 30000)]
WORDS = ["主播好", "这首歌好听 🎵", "扣1", "哈哈哈哈哈哈", "[比心][比心]", "今天几点下播？", "来了来了", "666"]

# Installed in the page: every animation frame's time, and every long task (the browser's own measure).
PROBE = """() => {
  window.__bench = { frames: [], tasks: [] };
  const loop = (t) => { window.__bench.frames.push(t); requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
  performance.mark('flood');
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.tasks.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  return performance.now();
}"""


def events(rate: int, seconds: float) -> list[tuple[float, bytes]]:
    """The flood, built up front so publishing costs only the send: (when, payload)."""
    rnd = random.Random(13)
    out: list[tuple[float, bytes]] = []
    combos: dict[int, list[Any]] = {}
    likes = 0
    for i in range(int(rate * seconds)):
        at = i / rate
        viewer = rnd.randrange(5000)
        user = {
            "id": str(10_000 + viewer),
            "nickname": f"观众{viewer}" + ("🌟" * (viewer % 3)) + ("长" * (viewer % 40)),
        }
        roll = rnd.random()
        ts = int(time.time() * 1000)
        if roll < 0.70:
            data: dict[str, Any] = {"content": rnd.choice(WORDS) * rnd.randint(1, 4)}
            kind = "chat"
        elif roll < 0.85:
            kind = "gift"
            combo = combos.get(viewer)
            if combo is None or combo[3] or rnd.random() < 0.1:
                name, price = rnd.choice(GIFTS)
                combo = combos[viewer] = [name, price, f"g{i}", False, 0]
            step = rnd.randint(1, 5)
            combo[4] += step
            combo[3] = rnd.random() < 0.2
            data = {"gift_id": combo[0], "gift_name": combo[0], "diamond_count": combo[1], "group_count": 1,
                    "combo_count": combo[4], "repeat_count": combo[4], "repeat_end": int(combo[3]),
                    "group_id": combo[2], "delta": step, "diamond_delta": step * combo[1]}  # fmt: skip
        elif roll < 0.90:
            kind, likes = "like", likes + 10
            data = {"count": 10, "total": likes}
        elif roll < 0.95:
            kind, data = "member", {"member_count": 1000 + i}
        elif roll < 0.98:
            kind, data = "follow", {}
        else:
            kind, data = "room_stats", {"online": 1000 + rnd.randrange(50_000)}
        out.append((at, fast_event_json(kind, SESSION, f"o{i}", ts, data, user=user)))
    return out


def publish(redis_url: str, flood: list[tuple[float, bytes]]) -> float:
    async def run() -> float:
        bus = Bus(redis_url, service="bench")
        await bus.start()
        start = time.perf_counter()
        # In 10 ms ticks, each tick's events in one pipelined batch (as the fetcher publishes a frame's messages).
        i = 0
        while i < len(flood):
            delay = start + flood[i][0] - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            due = time.perf_counter() - start
            j = i
            while j < len(flood) and flood[j][0] <= due:
                j += 1
            await bus.publish_many([payload for _, payload in flood[i : max(j, i + 1)]])
            i = max(j, i + 1)
        took = time.perf_counter() - start
        await bus.close()
        return took

    return asyncio.run(run())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=1000, help="events a second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--kind", choices=("chat", "gifts", "stats", "thanks"), default="chat")
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--trace", type=Path, help="record a Chromium trace of the flood into this file")
    args = parser.parse_args()
    if not (PROJECT_ROOT / "frontend" / "dist" / "overlay.html").is_file():
        sys.exit("the UI is not built: run scripts/build-ui.sh")
    flood = events(args.rate, args.seconds)
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="timao-overlay-bench-") as tmp:
        suite = Suite(Path(tmp) / "home").start()
        try:
            status = suite.wait_running(timeout=120)
            made = httpx.post(f"{suite.base_url}/api/overlay/keys", headers=suite.auth, json={"name": "bench"})
            made.raise_for_status()
            key = made.json()["key"]
            httpx.put(
                f"{suite.base_url}/api/overlay/keys/{key}/style",
                headers=suite.auth,
                json={"rows": args.rows, "events": ["chat", "gift", "follow", "fansclub", "member", "like"]},
            ).raise_for_status()
            url = f"{suite.base_url}/overlay/{args.kind}?key={key}"
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 720})
                    page.goto(url)
                    wait_open(page)
                    cdp = page.context.new_cdp_session(page)
                    cdp.send("Performance.enable")
                    before = metrics(cdp.send("Performance.getMetrics"))
                    cpu_before = chromium_cpu()
                    if args.trace:
                        browser.start_tracing(page=page, categories=overlay_trace.CATEGORIES)
                    t0 = float(page.evaluate(PROBE))
                    sender = threading.Thread(target=lambda: took.append(publish(status["redis_url"], flood)))
                    took: list[float] = []
                    sender.start()
                    sender.join()
                    time.sleep(1.0)  # the last events reach the page
                    after = metrics(cdp.send("Performance.getMetrics"))
                    cpu = cpu_delta(cpu_before, chromium_cpu())
                    result = page.evaluate(
                        "() => ({ frames: window.__bench.frames, tasks: window.__bench.tasks, now: performance.now(),"
                        " received: Number(document.getElementById('overlay').dataset.received || 0),"
                        " rows: document.querySelectorAll('.ov-row:not(.ov-leave)').length })"
                    )
                    if args.trace:  # last: writing a large trace takes Chromium seconds, which are not the page's
                        args.trace.write_bytes(browser.stop_tracing())
                finally:
                    browser.close()
        finally:
            suite.stop()
    busy = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    report(args, result, t0, took[0] if took else float("nan"), len(flood), busy, cpu, load_at_start)
    if args.trace:
        print(overlay_trace.describe(json.loads(args.trace.read_bytes())))


def wait_open(page: Any, timeout: float = 20.0) -> None:
    """Poll from here: Playwright's wait_for_function evaluates a string with eval once the first look fails, which
    the overlay's Content-Security-Policy (no 'unsafe-eval') refuses; the bench failed whenever the page was slow."""
    deadline = time.monotonic() + timeout
    while page.evaluate("document.documentElement.dataset.state") != "open":
        if time.monotonic() > deadline:
            raise SystemExit(f"the overlay page did not connect in {timeout:g}s")
        time.sleep(0.1)


def chromium_cpu() -> dict[int, tuple[str, float]]:
    """CPU seconds used so far by each Chromium process of this bench (our descendants), by pid: a cost that,
    unlike frame times, does not grow when other work on the machine takes the cores."""
    out: dict[int, tuple[str, float]] = {}
    for proc in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(proc.cmdline())
            if "chrom" not in proc.name().lower() and "chrom" not in cmd.split(" ", 1)[0].lower():
                continue
            kind = next((a.split("=", 1)[1] for a in proc.cmdline() if a.startswith("--type=")), "browser")
            times = proc.cpu_times()
            out[proc.pid] = (kind, times.user + times.system)
        except psutil.Error:
            continue
    return out


def cpu_delta(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    used: dict[str, float] = {}
    for pid, (kind, seconds) in after.items():
        used[kind] = used.get(kind, 0.0) + seconds - before.get(pid, (kind, 0.0))[1]
    return used


def metrics(answer: dict[str, Any]) -> dict[str, float]:
    return {m["name"]: float(m["value"]) for m in answer.get("metrics", [])}


def report(
    args: argparse.Namespace,
    result: dict[str, Any],
    t0: float,
    took: float,
    sent: int,
    busy: dict[str, float],
    cpu: dict[str, float],
    load_at_start: float,
) -> None:
    frames = [f for f in result["frames"] if f >= t0]
    span_ms = (frames[-1] - frames[0]) if len(frames) > 1 else float("nan")
    fps = (len(frames) - 1) / span_ms * 1000
    intervals = [b - a for a, b in itertools.pairwise(frames)]
    windows: dict[int, int] = {}
    for f in frames:
        windows[int((f - frames[0]) // 1000)] = windows.get(int((f - frames[0]) // 1000), 0) + 1
    full = [n for second, n in windows.items() if second < max(windows)]  # the last window is partial
    tasks = [d for start, d in result["tasks"] if start >= t0]
    print(f"overlay /overlay/{args.kind} (rows {args.rows}) in headless Chromium, {sent:,} events in {took:.1f}s "
          f"({sent / took:,.0f}/s) from the bus through the gateway's /overlay/ws")  # fmt: skip
    print(f"frame rate: mean {fps:.1f} fps, worst one-second window {min(full) if full else float('nan')} fps, "
          f"median window {statistics.median(full) if full else float('nan'):.0f} fps (aim ≥ 50)")  # fmt: skip
    print(f"frame interval: p50 {percentile(intervals, 0.5):.1f} ms, p99 {percentile(intervals, 0.99):.1f} ms, "
          f"longest {max(intervals) if intervals else float('nan'):.1f} ms")  # fmt: skip
    print(f"long tasks (> 50 ms, the browser's longtask entries): {len(tasks)}, longest "
          f"{max(tasks) if tasks else 0:.0f} ms (aim: none)")  # fmt: skip
    wall = busy.get("Timestamp", float("nan"))
    print(f"renderer main thread busy {busy.get('TaskDuration', 0) / wall:.0%} of {wall:.0f}s: script "
          f"{busy.get('ScriptDuration', 0):.1f}s, style {busy.get('RecalcStyleDuration', 0):.1f}s, layout "
          f"{busy.get('LayoutDuration', 0):.1f}s (the rest: paint, compositing, parsing messages)")  # fmt: skip
    total = sum(cpu.values())
    parts = ", ".join(f"{kind} {seconds:.1f}s" for kind, seconds in sorted(cpu.items(), key=lambda kv: -kv[1]))
    print(f"Chromium CPU: {total:.1f}s over {wall:.0f}s ({total / wall:.0%} of one core; {parts}); machine load "
          f"average {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cores"
          " (above the core count, the page waits for a core: see --trace)")  # fmt: skip
    print(f"events taken in by the page: {result['received']:,} ({sent:,} sent, plus the gateway's once-a-second "
          f"stats); rows on screen at the end: {result['rows']}")  # fmt: skip


if __name__ == "__main__":
    main()
