"""The post-show review: gather a session's aggregates into ``ReportData``, render one self-contained HTML file.

The HTML needs nothing from the network: inline CSS, charts as inline SVG, no scripts, and a Content-Security-
Policy that forbids every fetch. Every piece of user text goes through ``html.escape`` (comment text is hostile).
A 4-hour show stays quick to build and to open: the timeline keeps every transcript line but at most
``MAX_TIMELINE_COMMENTS`` comments (evenly spread), and hot words cover the ``MAX_HOTWORD_TEXTS`` most frequent
distinct comment texts (all of them in any ordinary show); the report says so when it had to cut.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, or_, select

from services.gateway.analytics.hotwords import Segmenter
from services.gateway.analytics.queries import AnalyticsQueries
from services.gateway.analytics.svg import bar_chart, line_chart
from shared.db.models import AudioTranscript, CommentData, LiveSession
from shared.db.tables_show import LuckyDraw
from shared.db.tables_streamcap import RecordingFileRow, RecordingRow

__all__ = ["CSP", "ReportData", "build_report", "collect_report", "render_report", "write_report_file"]

MAX_TIMELINE_COMMENTS = 10_000
MAX_CHART_POINTS = 1_440  # a day of minutes; a longer span gets coarser buckets
MAX_TIMELINE_TRANSCRIPTS = 20_000
MAX_HOTWORD_TEXTS = 15_000
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


@dataclass
class ReportData:
    session: dict[str, Any]
    totals: dict[str, Any]
    series: list[dict[str, Any]]
    resolution_s: int
    gift_ranking: list[dict[str, Any]]
    top_chatters: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    hot_words: list[tuple[str, int]]
    hot_words_coverage: float
    timeline: list[tuple[int, str, str, str]]  # (ts, kind "transcript"|"comment", who, text)
    timeline_stride: int
    recordings: list[dict[str, Any]] = field(default_factory=list)
    draws: list[dict[str, Any]] = field(default_factory=list)  # lucky draws, oldest first
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _ms(value: datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def collect_report(engine: Engine, segmenter: Segmenter, session_id: str) -> ReportData:
    queries = AnalyticsQueries(engine)
    with engine.connect() as conn:
        row = conn.execute(select(*LiveSession.__table__.c).where(LiveSession.id == session_id)).first()
    session = dict(row._mapping) if row else {"id": session_id}
    totals = queries.totals(session_id)
    # Whatever the span (a long show, or one event stamped far off by a skewed clock), the charts fit.
    resolution_s = queries.fitting_resolution(session_id, MAX_CHART_POINTS)
    series = queries.series(session_id, resolution_s)
    comments = totals["comments"] or 0
    stride = max(1, -(-comments // MAX_TIMELINE_COMMENTS))
    texts: Counter[str] = Counter()
    timeline: list[tuple[int, str, str, str]] = []
    stmt = (
        select(CommentData.timestamp, CommentData.user_name, CommentData.content, CommentData.meta.label("meta"))
        .where(CommentData.session_id == session_id)
        .order_by(CommentData.timestamp, CommentData.id)
    )
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=5000).execute(stmt)
        for i, c in enumerate(result):
            if c.content and (c.meta or {}).get("type", "chat") == "chat":
                texts[c.content] += 1
            if i % stride == 0:
                timeline.append((c.timestamp, "comment", c.user_name or "", c.content or ""))
        draws = [
            dict(d._mapping)
            for d in conn.execute(
                select(LuckyDraw.created_ms, LuckyDraw.keyword, LuckyDraw.entrants, LuckyDraw.winners, LuckyDraw.seed)
                .where(LuckyDraw.session_id == session_id)
                .order_by(LuckyDraw.created_ms)
            )
        ]
        transcripts = conn.execute(
            select(AudioTranscript.timestamp, AudioTranscript.text)
            .where(AudioTranscript.session_id == session_id)
            .order_by(AudioTranscript.timestamp, AudioTranscript.id)
            .limit(MAX_TIMELINE_TRANSCRIPTS)
        ).all()
    timeline.extend((t.timestamp, "transcript", "主播", t.text) for t in transcripts)
    timeline.sort(key=lambda item: (item[0], item[1] != "transcript"))
    hot, coverage = _hot_words(segmenter, texts)
    return ReportData(
        session=session,
        totals=totals,
        series=series,
        resolution_s=resolution_s,
        gift_ranking=queries.gift_ranking(session_id, 20),
        top_chatters=queries.top_chatters(session_id, 20),
        questions=queries.questions(session_id, 200),
        hot_words=hot,
        hot_words_coverage=coverage,
        timeline=timeline,
        timeline_stride=stride,
        recordings=_recordings(engine, session, series, resolution_s),
        draws=draws,
    )


def _hot_words(segmenter: Segmenter, texts: Counter[str]) -> tuple[list[tuple[str, int]], float]:
    total = sum(texts.values())
    counts: Counter[str] = Counter()
    covered = 0
    for text, n in texts.most_common(MAX_HOTWORD_TEXTS):
        covered += n
        for word in set(segmenter.words(text)):
            counts[word] += n
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:50]
    return top, (covered / total if total else 1.0)


def _recordings(
    engine: Engine, session: dict[str, Any], series: list[dict[str, Any]], resolution_s: int
) -> list[dict[str, Any]]:
    """Recordings whose time range overlaps the session's (recordings are not linked to sessions yet)."""
    start = session.get("started_at")
    end = session.get("ended_at")
    if start is None and series:
        start = datetime.fromtimestamp(series[0]["t"] / 1000, UTC)
    if start is None:
        return []
    if end is None and series:
        end = datetime.fromtimestamp(series[-1]["t"] / 1000 + resolution_s, UTC)
    rec = RecordingRow
    cond = or_(rec.ended_at.is_(None), rec.ended_at >= start)
    if end is not None:
        cond = and_(cond, rec.started_at <= end)
    out: list[dict[str, Any]] = []
    with engine.connect() as conn:
        rows = conn.execute(select(rec.id, rec.source, rec.state, rec.started_at, rec.ended_at).where(cond)).all()
        for r in rows:
            files = conn.execute(
                select(RecordingFileRow.path, RecordingFileRow.size, RecordingFileRow.duration, RecordingFileRow.kind)
                .where(RecordingFileRow.recording_id == r.id)
                .order_by(RecordingFileRow.path)
            ).all()
            out.append({**dict(r._mapping), "files": [dict(f._mapping) for f in files]})
    return out


# ----------------------------------------------------------------------------------------------- rendering

_CSS = "".join(
    (
        'body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;',
        "margin:0;background:#f6f7f9;color:#1f2328}",
        "main{max-width:960px;margin:0 auto;padding:24px}",
        "h1{font-size:24px;margin:0 0 4px}",
        "h2{font-size:18px;margin:28px 0 10px;border-left:4px solid #ff5a5f;padding-left:8px}",
        ".meta{color:#57606a;font-size:13px}",
        ".tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:10px}",
        ".tile{background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 2px #0001}",
        ".tile b{display:block;font-size:22px}",
        ".tile span{color:#57606a;font-size:12px}",
        ".chart{width:100%;height:auto;background:#fff;border-radius:8px}",
        ".chart .grid{stroke:#e5e7eb}",
        ".chart .axis{font-size:11px;fill:#6b7280}",
        ".chart .line{fill:none;stroke:#ff5a5f;stroke-width:2}",
        ".chart .bar{fill:#4f7cff}",
        "table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}",
        "th,td{padding:6px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top;word-break:break-all}",
        "th{background:#fafafa}",
        "td.n{text-align:right;font-variant-numeric:tabular-nums}",
        ".words{display:flex;flex-wrap:wrap;gap:6px}",
        ".words span{background:#fff;border-radius:12px;padding:3px 10px;box-shadow:0 1px 2px #0001}",
        ".tl td.t{white-space:nowrap;color:#6b7280}",
        ".tl tr.transcript td{background:#fff8e6}",
        ".note{color:#57606a;font-size:12px}",
    )
)


_EMPTY = '<p class="note">暂无数据</p>'


def _e(value: Any) -> str:
    return escape(str(value if value is not None else ""), quote=True)


def _clock(ms: int | None, fmt: str = "%H:%M:%S") -> str:
    return datetime.fromtimestamp(ms / 1000).strftime(fmt) if ms is not None else "—"


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{h}</th>" for h in headers)
    if not rows:
        return _EMPTY
    body = "".join(
        "<tr>"
        + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _per_bucket(resolution_s: int) -> str:
    minutes = resolution_s // 60
    if minutes == 1:
        return "每分钟"
    if minutes % 60 == 0:
        return "每小时" if minutes == 60 else f"每 {minutes // 60} 小时"
    return f"每 {minutes} 分钟"


def render_report(data: ReportData) -> str:
    s, t = data.session, data.totals
    started, ended = _ms(s.get("started_at")), _ms(s.get("ended_at"))
    title = s.get("title") or s.get("live_id") or s.get("id")
    duration = ""
    if started and ended and ended > started:
        minutes = (ended - started) // 60_000
        duration = f" · 时长 {minutes // 60} 小时 {minutes % 60} 分钟"
    times = [p["t"] for p in data.series]
    per = _per_bucket(data.resolution_s)
    tiles = [
        ("弹幕", t["comments"]), ("发言人数", t["chatters"]), ("点赞", t["likes"]), ("新增关注", t["follows"]),
        ("分享", t["shares"]), ("进场", t["members"]), ("礼物数", t["gifts"]), ("礼物钻石", t["diamonds"]),
        ("最高在线", t["peak_online"] if t["peak_online"] is not None else "—"),
    ]  # fmt: skip
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>直播复盘 · {_e(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>直播复盘报告 · {_e(title)}</h1>",
        f'<p class="meta">主播：{_e(s.get("anchor_name") or "—")} · 直播间：{_e(s.get("live_id") or "—")} · '
        f"开播 {_e(_clock(started, '%Y-%m-%d %H:%M'))} · 下播 {_e(_clock(ended, '%Y-%m-%d %H:%M'))}{duration} · "
        f"场次 {_e(s.get('id'))}</p>",
        '<div class="tiles">' + "".join(f'<div class="tile"><b>{_e(v)}</b><span>{k}</span></div>' for k, v in tiles),
        "</div>",
        "<h2>在线人数</h2>",
        line_chart(times, [p["online"] for p in data.series], "在线人数"),
        f"<h2>{per}弹幕</h2>",
        bar_chart(times, [p["comments"] for p in data.series], f"{per}弹幕"),
        f"<h2>{per}礼物钻石</h2>",
        bar_chart(times, [p["diamonds"] for p in data.series], f"{per}礼物钻石"),
        f"<h2>{per}点赞</h2>",
        bar_chart(times, [p["likes"] for p in data.series], f"{per}点赞"),
        "<h2>礼物榜</h2>",
        _table(
            ["#", "观众", "礼物数", "钻石"],
            [
                [str(i), _e(r["nickname"] or r["user_id"] or "匿名用户"), _e(r["gifts"]), _e(r["diamonds"])]
                for i, r in enumerate(data.gift_ranking, 1)
            ],
            {2, 3},
        ),
        "<h2>发言榜</h2>",
        _table(
            ["#", "观众", "弹幕数"],
            [
                [str(i), _e(r["nickname"] or r["user_id"] or "匿名用户"), _e(r["count"])]
                for i, r in enumerate(data.top_chatters, 1)
            ],
            {2},
        ),
        "<h2>热词</h2>",
        '<div class="words">' + "".join(f"<span>{_e(w)} <b>{n}</b></span>" for w, n in data.hot_words) + "</div>"
        if data.hot_words
        else '<p class="note">暂无数据</p>',
    ]
    if data.hot_words_coverage < 1.0:
        parts.append(f'<p class="note">热词统计覆盖了 {data.hot_words_coverage:.0%} 的弹幕（出现最多的文本）。</p>')
    parts += [
        "<h2>观众提问</h2>",
        _table(
            ["时间", "观众", "问题"],
            [[_e(_clock(q["ts"])), _e(q["user_name"]), _e(q["content"])] for q in data.questions],
        ),
        "<h2>抽奖</h2>",
        _table(
            ["时间", "关键词", "参与人数", "中奖者", "随机种子"],
            [
                [
                    _e(_clock(d["created_ms"])),
                    _e(d["keyword"]),
                    str(d["entrants"]),
                    _e("、".join(w["nickname"] for w in d["winners"]) or "（无人中奖）"),
                    str(d["seed"]),
                ]
                for d in data.draws
            ],
            {2},
        ),
        "<h2>录制文件</h2>",
        _table(
            ["录制", "状态", "文件", "大小 (MB)", "时长 (秒)"],
            [
                [_e(r["id"]), _e(r["state"]), _e(f["path"]), f"{f['size'] / 1_048_576:.1f}", f"{f['duration']:.0f}"]
                for r in data.recordings
                for f in r["files"]
            ]
            + [[_e(r["id"]), _e(r["state"]), "（暂无文件）", "", ""] for r in data.recordings if not r["files"]],
            {3, 4},
        ),
        "<h2>时间线（主播语音与弹幕）</h2>",
    ]
    if data.timeline_stride > 1:
        parts.append(
            f'<p class="note">弹幕较多，时间线中每 {data.timeline_stride} 条弹幕显示 1 条；完整弹幕请导出 '
            "（/api/sessions/&lt;场次&gt;/export?format=csv）。</p>"
        )
    rows = "".join(
        f'<tr class="{kind}"><td class="t">{_e(_clock(ts))}</td>'
        f"<td>{'🎙 ' if kind == 'transcript' else ''}{_e(who)}</td><td>{_e(text)}</td></tr>"
        for ts, kind, who, text in data.timeline
    )
    parts.append(f'<table class="tl"><tbody>{rows}</tbody></table>' if rows else '<p class="note">暂无数据</p>')
    parts.append(
        f'<p class="note">由提猫直播助手生成于 {_e(data.generated_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"))}。'
        "本文件可离线打开。</p></main></body></html>"
    )
    return "".join(parts)


def build_report(engine: Engine, segmenter: Segmenter, session_id: str) -> str:
    return render_report(collect_report(engine, segmenter, session_id))


def write_report_file(directory: Path, session_id: str, html_text: str) -> Path:
    """Atomically write ``<directory>/<session_id>.html``; the id is reduced to safe characters."""
    safe = "".join(ch for ch in session_id if ch.isascii() and (ch.isalnum() or ch in "-_"))[:64] or "session"
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{safe}.html"
    tmp = target.with_suffix(f".html.{os.getpid()}.tmp")
    tmp.write_text(html_text, encoding="utf-8")
    tmp.replace(target)
    return target
