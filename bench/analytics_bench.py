"""Analytics benchmark: the aggregate hook's cost per event, the report of a 4-hour show, export throughput.

A synthetic 4-hour show of 500,000 events (comments, gifts with combos, likes, joins, viewer counts ...) from
30,000 viewers is written through the real EventStore on SQLite in persister-sized batches (2,000) with the
aggregator as its ``on_new`` hook. Printed figures:

- aggregate path: time inside the hook per event (fold + upserts of minute rows, viewers, questions);
- report: building the whole HTML review of that show (queries, hot words, charts, timeline, rendering);
- export: rows per second of the streamed comment export, JSONL and CSV.

    .venv/bin/python bench/analytics_bench.py [--events 500000]
Aims: ≤ 10 µs per event in the aggregate path, report ≤ 5 s, exports ≥ 100,000 rows/s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Connection

from services.gateway.analytics.aggregator import Aggregator
from services.gateway.analytics.export import iter_export
from services.gateway.analytics.hotwords import HotWords, Segmenter
from services.gateway.analytics.report import build_report
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.store import EventStore

HOURS = 4
BATCH = 2000
T0 = 1_800_000_000_000
PHRASES = [
    "主播好",
    "666",
    "[赞][赞]",
    "这个多少钱",
    "有货吗",
    "上车上车",
    "想要1号链接",
    "口红颜色好看",
    "哈哈哈哈",
    "什么时候发货",
    "主播哪里人",
    "面膜怎么用",
    "已拍",
    "支持主播",
    "优惠券在哪里领",
    "包邮吗",
    "尺码偏大吗",
]
NOUNS = ["口红", "面膜", "粉底", "眼影", "香水", "卫衣", "裙子", "零食", "茶叶", "耳机", "福袋", "秒杀", "链接",
         "颜色"]  # fmt: skip


def make_events(n: int, rng: random.Random) -> list[dict[str, Any]]:
    span = HOURS * 3_600_000
    users = [{"id": str(10_000 + i), "nickname": f"观众{i}"} for i in range(30_000)]
    events: list[dict[str, Any]] = []
    combo: dict[str, int] = {}
    for i in range(n):
        ts = T0 + span * i // n
        r = rng.random()
        user = users[min(int(rng.paretovariate(1.2)) - 1, len(users) - 1) if r < 0.6 else rng.randrange(len(users))]
        base = {"session_id": "bench", "live_id": "1", "msg_id": str(i), "ts": ts}
        if r < 0.55:
            text = rng.choice(PHRASES) if rng.random() < 0.5 else rng.choice(NOUNS) + rng.choice(PHRASES)
            events.append({**base, "type": "chat", "user": user, "data": {"content": text}})
        elif r < 0.60:
            events.append({**base, "type": "emoji_chat", "user": user, "data": {"emoji_id": "1", "content": "[赞]"}})
        elif r < 0.65:
            key = user["id"]
            count = combo.get(key, 0) + 1
            combo[key] = count if rng.random() < 0.8 else 0
            events.append({**base, "type": "gift", "user": user, "data": {
                "gift_id": "463", "gift_name": "小心心", "diamond_count": 1, "repeat_count": count, "delta": 1,
                "diamond_delta": 1, "group_id": key}})  # fmt: skip
        elif r < 0.80:
            events.append({**base, "type": "like", "user": user, "data": {"count": rng.randint(1, 20), "total": i}})
        elif r < 0.92:
            events.append({**base, "type": "member", "user": user, "data": {"member_count": 2000 + i % 500}})
        elif r < 0.98:
            events.append({**base, "type": "room_stats", "data": {"online": 1500 + i % 700, "total_pv": i}})
        elif r < 0.99:
            events.append({**base, "type": "follow", "user": user, "data": {}})
        else:
            events.append({**base, "type": "share", "user": user, "data": {}})
    return events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500_000)
    args = parser.parse_args()
    events = make_events(args.events, random.Random(7))
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade_to_head(engine)
        segmenter = Segmenter()
        aggregator = Aggregator(HotWords(segmenter))
        hook_time = 0.0

        def timed(conn: Connection, new: list[dict[str, Any]]) -> None:
            nonlocal hook_time
            start = time.perf_counter()
            aggregator.on_new(conn, new)
            hook_time += time.perf_counter() - start

        store = EventStore(engine, on_new=timed)
        start = time.perf_counter()
        for i in range(0, len(events), BATCH):
            store.write(events[i : i + BATCH])
        total = time.perf_counter() - start
        per_event = hook_time / len(events) * 1e6
        print(f"events                 {len(events):>10,}  ({HOURS} h show, batches of {BATCH})")
        print(f"store.write total      {total:>10.2f} s   ({len(events) / total:,.0f} events/s incl. the hook)")
        print(f"aggregate path         {per_event:>10.2f} µs/event   (aim ≤ 10)")

        segmenter.words("预热")  # jieba's dictionary load is start-up work, not the report's
        start = time.perf_counter()
        html = build_report(engine, segmenter, "bench")
        report_s = time.perf_counter() - start
        print(f"report build           {report_s:>10.2f} s   ({len(html) / 1e6:.1f} MB HTML; aim ≤ 5 s)")

        comments = sum(1 for e in events if e["type"] in ("chat", "emoji_chat"))
        for fmt in ("jsonl", "csv"):
            start = time.perf_counter()
            size = sum(len(chunk) for chunk in iter_export(engine, "bench", "comments", fmt))  # type: ignore[arg-type]
            elapsed = time.perf_counter() - start
            print(f"export comments {fmt:<5}  {comments / elapsed:>10,.0f} rows/s  ({comments:,} rows, "
                  f"{size / 1e6:.1f} MB; aim ≥ 100,000)")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
