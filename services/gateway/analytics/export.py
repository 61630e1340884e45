"""Exports of a session's raw data (comments, gifts, transcripts) as JSON Lines or CSV, produced as a stream.

Rows are read from the database in chunks and encoded chunk by chunk, so an export of any size needs only one
chunk in memory. CSV is UTF-8 with a BOM (Excel opens it as Chinese text); a cell that would start a spreadsheet
formula (``= + - @``, tab, CR) — comment text is hostile input — or that starts with the escape itself gets a
leading ``'``. ``csv_unescape`` undoes exactly that, so a CSV export round-trips; JSONL carries the raw values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, Literal

import orjson
from sqlalchemy import Engine, Select, Text, cast, select

from services.gateway.analytics.aggregator import diamonds_of
from shared.db.models import AudioTranscript, CommentData, LiveEventRow

__all__ = ["COLUMNS", "ExportFormat", "ExportKind", "csv_unescape", "iter_export"]

ExportKind = Literal["comments", "gifts", "transcripts"]
ExportFormat = Literal["jsonl", "csv"]

CHUNK_ROWS = 2000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")

COLUMNS: dict[str, tuple[str, ...]] = {
    "comments": ("msg_id", "ts", "type", "user_id", "user_name", "content"),
    "gifts": (
        "msg_id", "ts", "user_id", "user_name", "gift_id", "gift_name", "delta", "diamonds", "diamond_count",
        "group_count", "repeat_count", "repeat_end", "group_id",
    ),
    "transcripts": ("msg_id", "ts", "start_ms", "end_ms", "text", "confidence", "language"),
}  # fmt: skip


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def _raw(column: Any) -> Any:
    # The JSON text as stored, decoded below with orjson: SQLAlchemy's JSON type would json.loads every row. A CAST
    # in the SQL, not only a Python-side type: psycopg decodes a json column itself, and hands back a dict.
    return cast(column, Text)


def _query(kind: ExportKind, session_id: str) -> Select[*tuple[Any, ...]]:
    if kind == "comments":
        c = CommentData
        return (
            select(c.msg_id, c.timestamp, c.user_name, c.content, _raw(c.meta).label("meta"))
            .where(c.session_id == session_id)
            .order_by(c.timestamp, c.id)
        )
    if kind == "gifts":
        return (
            select(
                LiveEventRow.msg_id,
                LiveEventRow.ts,
                LiveEventRow.user_id,
                LiveEventRow.user_name,
                _raw(LiveEventRow.data).label("data"),
            )
            .where(LiveEventRow.session_id == session_id, LiveEventRow.type == "gift")
            .order_by(LiveEventRow.ts, LiveEventRow.id)
        )
    t = AudioTranscript
    stmt: Select[*tuple[Any, ...]] = (
        select(t.msg_id, t.timestamp, t.start_ms, t.end_ms, t.text, t.confidence, t.language)
        .where(t.session_id == session_id)
        .order_by(t.start_ms, t.id)
    )
    return stmt


def _row(kind: ExportKind, r: Any) -> tuple[Any, ...]:
    if kind == "comments":
        msg_id, ts, user_name, content, raw = r
        meta = orjson.loads(raw) if raw else {}
        return (msg_id, ts, meta.get("type", "chat"), str(meta.get("user_id", "")), user_name, content)
    if kind == "gifts":
        msg_id, ts, user_id, user_name, raw = r
        d = orjson.loads(raw) if raw else {}
        delta = int(d.get("delta") or 0)
        return (
            msg_id, ts, user_id or "", user_name or "", str(d.get("gift_id", "")), d.get("gift_name", ""),
            delta, diamonds_of(d, delta), d.get("diamond_count", 0), d.get("group_count", 1),
            d.get("repeat_count", 0), d.get("repeat_end", 0), str(d.get("group_id", "")),
        )  # fmt: skip
    return tuple(r)


def iter_export(engine: Engine, session_id: str, kind: ExportKind, fmt: ExportFormat) -> Iterator[bytes]:
    columns = COLUMNS[kind]
    if fmt == "csv":
        yield ("\ufeff" + ",".join(columns) + "\r\n").encode()
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(_query(kind, session_id))
        # Rows are unpacked as tuples in _row: attribute access by name costs more than the row itself.
        for part in result.partitions(CHUNK_ROWS):
            rows = [_row(kind, r) for r in part]
            if fmt == "jsonl":
                yield b"".join([orjson.dumps(dict(zip(columns, row, strict=True))) + b"\n" for row in rows])
            else:
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                writer.writerows([_csv_cell(v) for v in row] for row in rows)
                yield buffer.getvalue().encode()
