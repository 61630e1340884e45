"""Writes batches of live events to their tables, each at most once per (session, msg_id).

The persister hands in events as parsed dicts (already validated at the bus boundary). A batch is one
transaction; duplicates — replays after a crash, re-claimed entries — hit the unique constraints and are
skipped by ``ON CONFLICT DO NOTHING``, so replaying the log can never double-count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Insert, Table, update
from sqlalchemy.dialects import postgresql, sqlite

from shared.db.models import AudioTranscript, CommentData, LiveEvent, LiveSession

__all__ = ["EventStore"]

_COMMENT_TYPES = frozenset({"chat", "emoji_chat"})
_SESSION_END_STATES = {"ended": "ended", "banned": "banned"}
_CLIENT_END_STATES = {"failed": "failed", "stopped": "stopped", "ended": "ended"}


class EventStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name

    def _insert_ignore(self, table: Table) -> Insert:
        if self._dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing(index_elements=["session_id", "msg_id"])
        if self._dialect == "sqlite":
            return sqlite.insert(table).on_conflict_do_nothing(index_elements=["session_id", "msg_id"])
        raise NotImplementedError(f"database {self._dialect!r} is not supported (use SQLite or PostgreSQL)")

    def write(self, events: Sequence[dict[str, Any]]) -> int:
        """Store a batch; answers how many rows were new (duplicates are not counted)."""
        comments: dict[tuple[str, str], dict[str, Any]] = {}
        transcripts: dict[tuple[str, str], dict[str, Any]] = {}
        others: dict[tuple[str, str], dict[str, Any]] = {}
        session_ends: list[tuple[str, str, int]] = []
        for ev in events:
            key = (ev["session_id"], ev["msg_id"])
            kind = ev["type"]
            user = ev.get("user") or {}
            data = ev.get("data") or {}
            if kind in _COMMENT_TYPES:
                comments[key] = {
                    "session_id": key[0],
                    "msg_id": key[1],
                    "user_name": user.get("nickname", ""),
                    "content": data.get("content", ""),
                    "timestamp": ev["ts"],
                    "meta": {"msg_id": key[1], "user_id": user.get("id", ""), "type": kind, "user": user, "data": data},
                }
            elif kind == "transcript":
                transcripts[key] = {
                    "session_id": key[0],
                    "msg_id": key[1],
                    "text": data.get("text", ""),
                    "start_ms": int(data.get("start_ms", 0)),
                    "end_ms": int(data.get("end_ms", 0)),
                    "confidence": float(data.get("confidence", 0.0)),
                    "language": data.get("language", ""),
                    "audio_file_path": data.get("audio_file_path"),
                    "timestamp": ev["ts"],
                    "meta": {k: v for k, v in data.items() if k not in {"text", "start_ms", "end_ms"}},
                }
            else:
                others[key] = {
                    "session_id": key[0],
                    "msg_id": key[1],
                    "type": kind,
                    "ts": ev["ts"],
                    "user_id": user.get("id"),
                    "user_name": user.get("nickname"),
                    "data": data,
                }
                if kind == "control" and data.get("status") in _SESSION_END_STATES:
                    session_ends.append((key[0], _SESSION_END_STATES[data["status"]], ev["ts"]))
                elif kind == "service" and data.get("state") in _CLIENT_END_STATES and key[0] != "system":
                    # A room client that gave up (unknown room, bad signature) or was stopped closes its session.
                    session_ends.append((key[0], _CLIENT_END_STATES[data["state"]], ev["ts"]))
        inserted = 0
        with self.engine.begin() as conn:
            for table, rows in (
                (_table(CommentData), comments),
                (_table(AudioTranscript), transcripts),
                (_table(LiveEvent), others),
            ):
                if rows:
                    # RETURNING counts what was really new (rowcount is unreliable for batched multi-row inserts).
                    stmt = self._insert_ignore(table).returning(table.c.id)
                    inserted += len(conn.execute(stmt, _column_rows(rows.values())).all())
            for session_id, status, ts in session_ends:
                conn.execute(
                    update(LiveSession)
                    .where(LiveSession.id == session_id, LiveSession.ended_at.is_(None))
                    .values(status=status, ended_at=datetime.fromtimestamp(ts / 1000, UTC))
                )
        return inserted


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _column_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    # The ORM attribute ``meta`` maps to the column named ``metadata``; core inserts want column names.
    out = []
    for row in rows:
        if "meta" in row:
            row = dict(row)
            row["metadata"] = row.pop("meta")
        out.append(row)
    return out
