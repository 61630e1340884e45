"""A recorded file's subtitles from the stored events: which room, which events, written beside the file.

The recording comes from StreamCap's API (``GET /api/recordings/{id}``: platform, source, start, files). Its room's
sessions are the Douyin sessions of the same live id that overlap the file; without a live id in the source (a share
link), the overlapping Douyin sessions when they are all one room. Each file's window of wall time (its clock, see
``timebase``) selects the comments, gifts, follows and transcript lines shown in it.

Paths: a file path from StreamCap is used only when it lies inside the recordings folder and names a ``.mp4`` or
``.ts``; subtitle names are derived from it (``<stem>.danmaku.ass``, ``<stem>.speech.srt``...), never from a request.

Freshness: events keep arriving after a file is written (the persister lags, the transcription finishes later).
Each written file's source is recorded in ``<stem>.subtitles.json`` beside it: a fingerprint of the room's sessions,
the file's window and, per table, the count and highest id of the rows in that window. Rows are only ever added, so
a row stored since changes it; ``ensure_subtitle`` rewrites a file whose fingerprint no longer matches (two indexed
aggregate queries, no rows read).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, and_, func, or_, select

from services.gateway.subtitles.formats import Cue, Danmaku, DanmakuKind, write_danmaku_ass, write_srt, write_vtt
from services.gateway.subtitles.timebase import FileClock, estimate_wall_starts
from shared.db.models import AudioTranscript, CommentData, LiveEventRow, LiveSession
from shared.platforms.douyin.errors import BadRoomInput
from shared.platforms.douyin.resolve import parse_live_id
from shared.timeline import read_timeline

__all__ = [
    "FORMATS",
    "Kind",
    "RecordingFile",
    "SubtitleError",
    "ensure_subtitle",
    "files_of",
    "read_sources",
    "room_sessions",
    "source_fingerprint",
    "sources_path",
    "subtitle_path",
    "write_subtitle",
]

log = logging.getLogger(__name__)

Kind = Literal["danmaku", "speech"]
Format = Literal["ass", "srt", "vtt"]
# The formats of each kind: danmaku scroll in ASS (or plain timed lines in SRT/VTT); speech is SRT or VTT.
FORMATS: Mapping[str, tuple[str, ...]] = {"danmaku": ("ass", "srt", "vtt"), "speech": ("srt", "vtt")}
MEDIA_SUFFIXES = (".mp4", ".ts")
COMMENT_SECONDS = 4.0  # how long a comment stays as a plain SRT/VTT line
GIFT_MERGE_MS = 10_000  # a viewer's same gift within this of the last one is one combo line
NAME_CHARS = 16
SOURCES_SUFFIX = ".subtitles.json"
# Part of every fingerprint: raise it when the writer's output changes, so files written before are rewritten.
WRITER_VERSION = 1
# Held while a subtitle file and its fingerprint are written, so the fingerprint on disk never claims a newer
# source than the file beside it holds (two writers of one file: the remux-time writer and a request).
_WRITE_LOCK = threading.Lock()


class SubtitleError(Exception):
    """Why a recording's subtitles cannot be made; ``status`` is the HTTP answer (404, 409, 422)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RecordingFile:
    index: int
    path: Path
    clock: FileClock


def _ms(value: Any) -> int | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def files_of(recording: Mapping[str, Any], root: Path) -> list[RecordingFile]:
    """The recording's media files inside ``root``, each with its clock (measured, or estimated for old ones)."""
    root = root.resolve()
    raw = [f for f in recording.get("files") or [] if isinstance(f, Mapping)]
    started_ms = _ms(recording.get("started_at")) or 0
    durations = [float(f.get("duration") or 0.0) for f in raw]
    estimates = estimate_wall_starts(started_ms, durations)
    files: list[RecordingFile] = []
    for index, (entry, duration, estimate) in enumerate(zip(raw, durations, estimates, strict=True)):
        path = Path(str(entry.get("path") or ""))
        try:
            resolved = path.resolve()
        except (OSError, ValueError):
            continue
        if not path.is_absolute() or not resolved.is_relative_to(root) or resolved.suffix not in MEDIA_SUFFIXES:
            log.warning("subtitles: %s is not a recording file under %s, skipped", path, root)
            continue
        timeline = read_timeline(resolved)
        clock = (
            FileClock(timeline.wall_start_ms, duration, estimated=timeline.source != "measured")
            if timeline is not None
            else FileClock(estimate, duration, estimated=True)
        )
        files.append(RecordingFile(index, resolved, clock))
    return files


def subtitle_path(media: Path, kind: str, fmt: str) -> Path:
    return media.with_name(f"{media.stem}.{kind}.{fmt}")


def sources_path(media: Path) -> Path:
    """Beside ``x.mp4``: ``x.subtitles.json``, what each of its subtitle files was written from."""
    return media.with_name(f"{media.stem}{SOURCES_SUFFIX}")


def read_sources(media: Path) -> dict[str, str]:
    """``{"danmaku.ass": fingerprint, ...}`` of the subtitle files written beside ``media``; {} when unknown."""
    try:
        data = json.loads(sources_path(media).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    sources = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(sources, dict):
        return {}
    return {k: v for k, v in sources.items() if isinstance(k, str) and isinstance(v, str)}


def source_fingerprint(conn: Connection, kind: str, sessions: Sequence[tuple[str, int]], clock: FileClock) -> str:
    """What a ``kind`` subtitle file of a file with ``clock`` is made from, as a short digest: the sessions, the
    window and, per table read, the count and highest id of the rows in the window (the queries ``load_danmaku`` and
    ``load_speech`` make, aggregated: the session/time indexes answer them)."""
    lo, hi = clock.window_ms
    parts: list[Any] = [WRITER_VERSION, kind, lo, hi, clock.first_pts_s, sorted(sessions)]
    ids = [sid for sid, _ in sessions]
    if ids and kind == "danmaku":
        c, e = CommentData, LiveEventRow
        parts.append(list(conn.execute(
            select(func.count(), func.max(c.id)).where(c.session_id.in_(ids), c.timestamp >= lo, c.timestamp <= hi)
        ).one()))  # fmt: skip
        parts.append(list(conn.execute(
            select(func.count(), func.max(e.id))
            .where(e.session_id.in_(ids), e.type.in_(("gift", "follow")), and_(e.ts >= lo, e.ts <= hi))
        ).one()))  # fmt: skip
    elif ids:
        a = AudioTranscript
        for session_id, started_ms in sorted(sessions):
            parts.append(list(conn.execute(
                select(func.count(), func.max(a.id))
                .where(a.session_id == session_id, a.start_ms <= hi - started_ms, a.end_ms >= lo - started_ms)
            ).one()))  # fmt: skip
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:20]


def _live_id(recording: Mapping[str, Any]) -> str | None:
    if recording.get("platform") != "douyin":
        return None
    try:
        return parse_live_id(str(recording.get("source") or ""))
    except BadRoomInput:
        return None


def room_sessions(conn: Connection, recording: Mapping[str, Any], window: tuple[int, int]) -> list[tuple[str, int]]:
    """(session id, its start in ms) of the recorded room's sessions that overlap ``window`` (wall ms)."""
    if recording.get("platform") != "douyin":
        return []
    start = datetime.fromtimestamp(window[0] / 1000 - 1, UTC)
    end = datetime.fromtimestamp(window[1] / 1000 + 1, UTC)
    s = LiveSession
    query = select(s.id, s.live_id, s.started_at).where(
        s.platform == "douyin", s.started_at <= end, or_(s.ended_at.is_(None), s.ended_at >= start)
    )
    live_id = _live_id(recording)
    if live_id is not None:
        query = query.where(s.live_id == live_id)
    rows = conn.execute(query).all()
    if live_id is None and len({r.live_id for r in rows}) > 1:
        log.info("subtitles: recording of %s overlaps several rooms, none chosen", recording.get("source"))
        return []
    return [(r.id, _ms(r.started_at) or 0) for r in rows]


def _name(user_name: str | None) -> str:
    name = (user_name or "").strip() or "观众"
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


@dataclass
class _Combo:
    t: float
    who: str
    gift: str
    count: int
    last_ms: int

    def item(self) -> Danmaku:
        return Danmaku(self.t, DanmakuKind.GIFT, f"{self.who} 送出 {self.gift} ×{self.count}")


def load_danmaku(
    conn: Connection, sessions: Sequence[tuple[str, int]], clock: FileClock
) -> list[tuple[float, DanmakuKind, str]]:
    """Comments, gifts (merged per combo) and follows shown in the file, in time order, as ``Danmaku``-shaped
    tuples (plain tuples for comments: a long show has half a million)."""
    if not sessions:
        return []
    ids = [sid for sid, _ in sessions]
    lo, hi = clock.window_ms
    c, e = CommentData, LiveEventRow
    base, first_pts = clock.wall_start_ms, clock.first_pts_s
    comment = DanmakuKind.COMMENT
    names: dict[str | None, str] = {}

    def name_of(user_name: str | None) -> str:
        name = names.get(user_name)
        if name is None:
            name = names[user_name] = _name(user_name)
        return name

    rows = conn.execute(
        select(c.timestamp, c.user_name, c.content)
        .where(c.session_id.in_(ids), c.timestamp >= lo, c.timestamp <= hi)
        .order_by(c.timestamp)
    ).all()  # one fetchall: row by row costs more than the rest of the writer
    items: list[tuple[float, DanmakuKind, str]] = [
        ((ts - base) / 1000.0 + first_pts, comment, f"{name_of(user_name)}：{content}")
        for ts, user_name, content in rows
        if content
    ]
    combos: dict[tuple[str, str, str], _Combo] = {}
    for ts, type_, user_id, user_name, data in conn.execute(
        select(e.ts, e.type, e.user_id, e.user_name, e.data)
        .where(e.session_id.in_(ids), e.type.in_(("gift", "follow")), and_(e.ts >= lo, e.ts <= hi))
        .order_by(e.ts)
    ):
        name = name_of(user_name)
        if type_ == "follow":
            items.append(Danmaku(clock.at(ts), DanmakuKind.FOLLOW, f"{name} 关注了主播"))
            continue
        data = data if isinstance(data, Mapping) else {}
        delta = int(data.get("delta") or 0)
        if delta <= 0:
            continue
        gift = str(data.get("gift_name") or "礼物")
        key = (user_id or name, str(data.get("gift_id") or gift), str(data.get("group_id") or ""))
        combo = combos.get(key)
        if combo is not None and ts - combo.last_ms <= GIFT_MERGE_MS:
            combo.count += delta
            combo.last_ms = ts
            continue
        if combo is not None:
            items.append(combo.item())
        combos[key] = _Combo(clock.at(ts), name, gift, delta, ts)
    items.extend(combo.item() for combo in combos.values())
    items.sort(key=itemgetter(0))  # comments come sorted: this merges in the few others
    return items


def load_speech(conn: Connection, sessions: Sequence[tuple[str, int]], clock: FileClock) -> list[Cue]:
    """The streamer's transcript lines shown in the file (transcript times are ms on their session's clock)."""
    lo, hi = clock.window_ms
    a = AudioTranscript
    cues: list[Cue] = []
    for session_id, started_ms in sessions:
        for start_ms, end_ms, text in conn.execute(
            select(a.start_ms, a.end_ms, a.text)
            .where(a.session_id == session_id, a.start_ms <= hi - started_ms, a.end_ms >= lo - started_ms)
            .order_by(a.start_ms)
        ):
            if not text:
                continue
            start = clock.at(started_ms + start_ms)
            end = clock.at(started_ms + max(end_ms, start_ms + 500))
            cues.append(Cue(start, end, text))
    cues.sort(key=lambda cue: cue.start)
    return cues


def _atomic_write(path: Path, text: str) -> None:
    # Its own temporary name per writer: the remux-time writer and a request may write one file at once.
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _check_format(kind: str, fmt: str) -> None:
    if fmt not in FORMATS.get(kind, ()):
        raise SubtitleError(422, f"{kind} 字幕没有 {fmt} 格式 (formats of {kind}: {', '.join(FORMATS.get(kind, ()))})")


def ensure_subtitle(
    engine: Engine, recording: Mapping[str, Any], file: RecordingFile, kind: str, fmt: str
) -> tuple[Path, bool]:
    """The subtitle file, (re)written when it is missing or the stored events of its window changed since it was
    written; answers its path and whether it was written now."""
    _check_format(kind, fmt)
    path = subtitle_path(file.path, kind, fmt)
    recorded = read_sources(file.path).get(f"{kind}.{fmt}")
    if recorded is not None and path.is_file():
        with engine.connect() as conn:
            sessions = room_sessions(conn, recording, file.clock.window_ms)
            if source_fingerprint(conn, kind, sessions, file.clock) == recorded:
                return path, False
        log.info("subtitles: %s is out of date (events stored since it was written), rewriting it", path.name)
    return write_subtitle(engine, recording, file, kind, fmt)[0], True


def write_subtitle(
    engine: Engine, recording: Mapping[str, Any], file: RecordingFile, kind: str, fmt: str
) -> tuple[Path, dict[str, Any]]:
    """Write ``<stem>.<kind>.<fmt>`` beside the file (and its fingerprint in ``<stem>.subtitles.json``); answers its
    path and what went in."""
    _check_format(kind, fmt)
    began = time.perf_counter()
    with engine.connect() as conn:
        sessions = room_sessions(conn, recording, file.clock.window_ms)
        # Taken before the rows: a row stored in between is in the file but not in the fingerprint, so the next
        # check rewrites the file once more (never the other way round: a fingerprint newer than the file).
        fingerprint = source_fingerprint(conn, kind, sessions, file.clock)
        buffer = io.StringIO()
        stats: dict[str, Any] = {"sessions": len(sessions), "estimated_clock": file.clock.estimated}
        if kind == "danmaku":
            items = load_danmaku(conn, sessions, file.clock)
            if fmt == "ass":
                written, dropped = write_danmaku_ass(items, buffer, title=f"{file.path.stem} 弹幕")
                stats.update(lines=written, dropped=dropped)
            else:
                cues = [Cue(t, t + COMMENT_SECONDS, text) for t, _, text in items]
                stats["lines"] = (write_srt if fmt == "srt" else write_vtt)(cues, buffer)
        else:
            cues = load_speech(conn, sessions, file.clock)
            stats["lines"] = (write_srt if fmt == "srt" else write_vtt)(cues, buffer)
    path = subtitle_path(file.path, kind, fmt)
    with _WRITE_LOCK:
        _atomic_write(path, buffer.getvalue())
        sources = read_sources(file.path)
        sources[f"{kind}.{fmt}"] = fingerprint
        _atomic_write(sources_path(file.path), json.dumps({"version": 1, "sources": sources}, sort_keys=True) + "\n")
    log.info(
        "subtitles: wrote %s (%s lines from %d session(s), %.0f ms)",
        path.name,
        stats.get("lines"),
        len(sessions),
        (time.perf_counter() - began) * 1000,
    )
    return path, stats
