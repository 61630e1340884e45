"""The review report (self-contained, hostile text escaped) and the streamed exports (round trip)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine

from services.gateway.analytics.aggregator import Aggregator
from services.gateway.analytics.export import COLUMNS, csv_unescape, iter_export
from services.gateway.analytics.hotwords import Segmenter
from services.gateway.analytics.report import build_report, write_report_file
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.store import EventStore
from tests.unit.analytics.script import T0, ev, show

HOSTILE = ['=HYPERLINK("http://evil.example")', "'quoted", "-1+1", 'a,b\n"c"', "<img src=x onerror=alert(1)>"]


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    e = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade_to_head(e)
    extra = [ev("chat", f"h{i}", T0 + 70_000 + i, {"content": text}, ("u9", "坏人")) for i, text in enumerate(HOSTILE)]
    extra.append(ev("transcript", "t1", T0 + 2_500, {"text": "欢迎来到直播间 <b>", "start_ms": 0, "end_ms": 900}))
    EventStore(e, on_new=Aggregator().on_new).write(show() + extra)
    return e


def test_report_is_self_contained_and_escapes_user_text(engine: Engine, tmp_path: Path) -> None:
    html = build_report(engine, Segmenter(), "show")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    # Nothing to fetch: no src/href attributes, no url(), no @import; only the escaped hostile texts name hosts.
    assert not re.search(r"<[^>]*\s(?:src|href|srcset|action|poster)=", html)
    assert "url(" not in html and "@import" not in html
    assert "<svg" in html and "直播复盘报告" in html and "欢迎来到直播间 &lt;b&gt;" in html
    for heading in ("礼物榜", "发言榜", "热词", "观众提问", "录制文件", "时间线"):
        assert heading in html
    path = write_report_file(tmp_path / "reports", "../../etc/passwd", html)
    assert path.parent == tmp_path / "reports" and path.name == "etcpasswd.html"


def test_a_far_off_timestamp_gives_a_coarser_chart_never_an_error(engine: Engine) -> None:
    """One event stamped a year after the show (a skewed clock, a replay) must not break the report."""
    EventStore(engine, on_new=Aggregator().on_new).write(
        [ev("chat", "skewed", T0 + 365 * 86_400_000, {"content": "来自未来"}, ("u8", "时钟错了"))]
    )
    html = build_report(engine, Segmenter(), "show")
    assert "来自未来" in html and "每 12 小时弹幕" in html
    assert len(re.findall(r"<rect", html)) <= 3 * 1_440 + 50  # three bar charts, each within the point limit


def test_a_short_show_is_charted_per_minute(engine: Engine) -> None:
    assert "每分钟弹幕" in build_report(engine, Segmenter(), "show")


def test_jsonl_export_round_trips(engine: Engine) -> None:
    rows = [orjson.loads(line) for line in b"".join(iter_export(engine, "show", "comments", "jsonl")).splitlines()]
    assert [r["content"] for r in rows][-5:] == HOSTILE
    assert len(rows) == 10 and set(rows[0]) == set(COLUMNS["comments"])
    gifts = [orjson.loads(line) for line in b"".join(iter_export(engine, "show", "gifts", "jsonl")).splitlines()]
    assert sum(g["delta"] for g in gifts) == 69 and sum(g["diamonds"] for g in gifts) == 69
    transcripts = b"".join(iter_export(engine, "show", "transcripts", "jsonl"))
    assert orjson.loads(transcripts)["text"] == "欢迎来到直播间 <b>"


def test_csv_export_round_trips_and_defuses_formulas(engine: Engine) -> None:
    raw = b"".join(iter_export(engine, "show", "comments", "csv")).decode("utf-8")
    assert raw.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(raw[1:])))
    assert tuple(table[0]) == COLUMNS["comments"]
    contents = [row[-1] for row in table[1:]]
    assert all(not c.startswith(("=", "+", "-", "@")) for c in contents)
    assert [csv_unescape(c) for c in contents][-5:] == HOSTILE
