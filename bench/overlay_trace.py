"""What the overlay page's long tasks are, from a Chromium trace (``bench/overlay_bench.py --trace FILE``).

Over the flood (from the bench's ``flood`` mark): how many tasks of the page's main thread ran over 50 ms of wall time,
how many of those used over 50 ms of the thread's own CPU (the trace's ``tdur``: the page's own work) rather than
waiting for a core (the machine's load), the busiest task's CPU time, and for the heaviest long tasks when they
started, their wall and CPU time and the longest events inside (script, style, layout, paint, GC, fonts).

    .venv/bin/python bench/overlay_trace.py TRACE.json [--over 50]
"""

from __future__ import annotations

import argparse
import bisect
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

# The trace categories the bench records: the timeline DevTools shows (tasks, script, style, layout, paint, GC) and
# the thread CPU time of each event (``tdur``).
CATEGORIES = [
    "toplevel",
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "blink",
    "v8",
    "v8.execute",
    "fonts",
    "loading",
    "blink.user_timing",  # the bench's performance.mark("flood") at the flood's start
]
FLOOD_MARK = "flood"
TOPLEVEL_TASKS = {"ThreadControllerImpl::RunTask", "RunTask", "ThreadPool_RunTask"}
LONG_TASK_MS = 50.0


def _events(trace: dict[str, Any] | list[Any]) -> list[dict[str, Any]]:
    return trace["traceEvents"] if isinstance(trace, dict) else trace


def _page_main_thread(events: list[dict[str, Any]]) -> tuple[int, int]:
    """The renderer main thread (CrRendererMain) with the most events: the overlay page's."""
    mains = {
        (e["pid"], e["tid"]) for e in events if e.get("ph") == "M" and e.get("args", {}).get("name") == "CrRendererMain"
    }
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if key in mains:
            counts[key] += 1
    if not counts:
        raise SystemExit("no renderer main thread in the trace")
    return max(counts, key=lambda k: counts[k])


def _outermost(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tasks in time order without the ones nested in another (RunTask inside ThreadControllerImpl::RunTask)."""
    out: list[dict[str, Any]] = []
    for task in sorted(tasks, key=lambda e: (e["ts"], -e["dur"])):
        if out and task["ts"] < out[-1]["ts"] + out[-1]["dur"]:
            continue
        out.append(task)
    return out


def main_thread_tasks(trace: dict[str, Any] | list[Any], *, since_us: float | None = None) -> list[dict[str, Any]]:
    """Every task of the page's main thread (outermost only), from ``since_us`` on."""
    events = _events(trace)
    pid, tid = _page_main_thread(events)
    tasks = [
        e
        for e in events
        if e.get("pid") == pid and e.get("tid") == tid and e.get("ph") == "X" and e.get("name") in TOPLEVEL_TASKS
        and "dur" in e and (since_us is None or e["ts"] >= since_us)
    ]  # fmt: skip
    return _outermost(tasks)


def long_tasks(
    trace: dict[str, Any] | list[Any], *, over_ms: float = LONG_TASK_MS, since_us: float | None = None
) -> list[dict[str, Any]]:
    """The main thread's tasks over ``over_ms``: start (µs, trace clock), wall and CPU ms, and the longest inside."""
    events = _events(trace)
    pid, tid = _page_main_thread(events)
    mine = sorted(
        (e for e in events if e.get("pid") == pid and e.get("tid") == tid and e.get("ph") == "X" and "dur" in e),
        key=lambda e: e["ts"],
    )
    starts = [e["ts"] for e in mine]
    tasks = [t for t in main_thread_tasks(trace, since_us=since_us) if t["dur"] > over_ms * 1000]
    out = []
    for task in tasks:
        start, end = task["ts"], task["ts"] + task["dur"]
        inside: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        for e in mine[bisect.bisect_left(starts, start) : bisect.bisect_left(starts, end)]:
            if e is task or e["name"] in TOPLEVEL_TASKS:
                continue
            slot = inside[_label(e)]
            slot[0] = max(slot[0], e["dur"] / 1000)
            slot[1] += e.get("tdur", 0) / 1000
            slot[2] += 1
        top = sorted(inside.items(), key=lambda kv: -kv[1][0])[:4]
        out.append({
            "ts": start,
            "wall_ms": task["dur"] / 1000,
            "cpu_ms": task.get("tdur", 0) / 1000,
            "inside": [(name, longest, cpu, int(n)) for name, (longest, cpu, n) in top],
        })  # fmt: skip
    return out


def _label(e: dict[str, Any]) -> str:
    args = e.get("args", {}).get("data", {}) if isinstance(e.get("args"), dict) else {}
    where = args.get("url") or args.get("functionName") or ""
    if isinstance(where, str) and where:
        return f"{e['name']} ({where.rsplit('/', 1)[-1][:40]})"
    return str(e["name"])


def describe(trace: dict[str, Any] | list[Any], *, over_ms: float = LONG_TASK_MS, show: int = 8) -> str:
    """The long tasks of the flood, split into the page's own work (CPU over ``over_ms``) and waits for a core."""
    origin = flood_start(trace)
    every = main_thread_tasks(trace, since_us=origin)
    tasks = long_tasks(trace, over_ms=over_ms, since_us=origin)
    busiest = max(every, key=lambda t: t.get("tdur", 0), default=None)
    own = [t for t in tasks if t["cpu_ms"] > over_ms]
    lines = [
        f"trace: {len(every):,} main-thread tasks in the flood, {len(tasks)} over {over_ms:g} ms of wall time; "
        f"{len(own)} of them used over {over_ms:g} ms of the thread's own CPU (the page's work), the others waited "
        "for a core (the machine's load)"
    ]
    if busiest is not None:
        lines.append(
            f"  the busiest task: {busiest.get('tdur', 0) / 1000:.1f} ms CPU ({busiest['dur'] / 1000:.1f} ms wall) at "
            f"{(busiest['ts'] - origin) / 1000:.0f} ms"
        )
    for t in sorted(tasks, key=lambda t: -t["cpu_ms"])[:show]:
        inside = "; ".join(f"{name} {longest:.0f} ms (cpu {cpu:.0f})" for name, longest, cpu, _n in t["inside"])
        at = (t["ts"] - origin) / 1000
        lines.append(f"  at {at:6.0f} ms: {t['wall_ms']:.0f} ms wall, {t['cpu_ms']:.0f} ms cpu: {inside}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace", type=Path)
    parser.add_argument("--over", type=float, default=LONG_TASK_MS)
    args = parser.parse_args()
    trace = json.loads(args.trace.read_text())
    print(describe(trace, over_ms=args.over))


def flood_start(trace: dict[str, Any] | list[Any]) -> float:
    """The trace time (µs) of the bench's ``flood`` mark, else of the first event."""
    events = _events(trace)
    marks = [e["ts"] for e in events if e.get("name") == FLOOD_MARK and "ts" in e]
    return min(marks) if marks else min((e["ts"] for e in events if e.get("ts")), default=0.0)


if __name__ == "__main__":
    main()
