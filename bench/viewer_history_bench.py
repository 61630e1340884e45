"""Viewer-history benchmark: GET /api/viewers/{user_id}'s query over 1,000,000 stored events on SQLite.

100 sessions of 10,000 events each (comments, gifts, likes, joins, follows; 5 % from masked viewers) from 50,000
viewers with a skewed activity (a few regulars appear in every session) are written through the real EventStore
(as the persister writes them). Printed figures: fill time, then the history's latency (median / max of repeated
calls) for the busiest regular, a typical viewer, a one-time viewer and an unknown id; and a lucky draw's entrant
query over one whole session.

    .venv/bin/python bench/viewer_history_bench.py [--events 1000000] [--db /tmp/x.db]
Aim: ≤ 100 ms per history over 1,000,000 events.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.gateway.draws import DrawStore
from services.gateway.viewers import ViewerHistory
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.store import EventStore

T0 = 1_800_000_000_000
SESSIONS = 100
VIEWERS = 50_000
BATCH = 5_000
KINDS = ["chat"] * 60 + ["gift"] * 10 + ["like"] * 15 + ["member"] * 12 + ["follow"] * 3


def events(total: int, rng: random.Random) -> Any:
    per_session = total // SESSIONS
    for s in range(SESSIONS):
        start = T0 + s * 86_400_000
        for i in range(per_session):
            kind = rng.choice(KINDS)
            # Skewed: low ids are regulars who show up in every session (the busiest has ~3 % of all events).
            n = int(VIEWERS * rng.random() ** 3)
            user: dict[str, Any] = {"id": f"{10_000_000 + n}", "nickname": f"观众{n}"}
            if rng.random() < 0.05:
                user = {"id": "", "nickname": "匿名", "masked": True}
            data: dict[str, Any] = {}
            if kind == "chat":
                data = {"content": "扣1" if rng.random() < 0.2 else f"主播好 {i}"}
            elif kind == "gift":
                data = {"gift_name": "小心心", "delta": rng.randint(1, 10), "diamond_count": 1}
            yield {
                "type": kind,
                "session_id": f"show{s:03d}",
                "msg_id": f"{s}-{i}",
                "ts": start + i * 1000,
                "user": user,
                "data": data,
            }


def timed(fn: Any, runs: int = 20) -> tuple[float, float]:
    fn()  # warm the page cache once, as a running gateway would be
    laps = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        laps.append((time.perf_counter() - t) * 1000)
    return statistics.median(laps), max(laps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: a temporary one)")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    db = args.db or Path(tmp.name) / "bench.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade_to_head(engine)
    store = EventStore(engine)
    rng = random.Random(13)
    activity: Counter[str] = Counter()
    batch: list[dict[str, Any]] = []
    t = time.perf_counter()
    for ev in events(args.events, rng):
        if ev["user"]["id"]:
            activity[ev["user"]["id"]] += 1
        batch.append(ev)
        if len(batch) == BATCH:
            store.write(batch)
            batch = []
    if batch:
        store.write(batch)
    print(f"filled {args.events:,} events ({len(activity):,} viewers) in {time.perf_counter() - t:.1f} s")

    history = ViewerHistory(engine)
    ranked = activity.most_common()
    cases = {
        "busiest regular": ranked[0],
        "typical viewer": ranked[len(ranked) // 10],
        "one-time viewer": ranked[-1],
        "unknown id": ("99999999999", 0),
    }
    for label, (user_id, count) in cases.items():
        median, worst = timed(lambda uid=user_id: history.get(uid))
        h = history.get(user_id)
        sessions = len(h["sessions"]) if h else 0
        print(
            f"history of {label:16} ({count:6,} events, {sessions:3} sessions): "
            f"median {median:6.1f} ms, max {worst:6.1f} ms"
        )
    draws = DrawStore(engine)
    median, worst = timed(lambda: draws.entrants("show050", "扣1", T0, T0 + 200 * 86_400_000), runs=5)
    per_session = args.events // SESSIONS
    print(f"draw entrants over one session ({per_session:,} events): median {median:.1f} ms, max {worst:.1f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
