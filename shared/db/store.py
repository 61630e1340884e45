"""Writes batches of live events to their tables, each at most once per (session, msg_id).

The persister hands in events as parsed dicts (already validated at the bus boundary). A batch is one
transaction; duplicates — replays after a crash, re-claimed entries — hit the unique constraints and are
skipped by ``INSERT ... ON CONFLICT DO NOTHING``, so replaying the log can never double-count.

This is the hottest write path of the suite, so rows go to the driver's ``executemany`` as tuples (JSON encoded
with orjson) instead of through SQLAlchemy's per-row parameter processing; the statement text is the same on
SQLite and PostgreSQL but for the placeholder style.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine, update

from shared.db.models import LiveSession

__all__ = ["EventStore"]

_COMMENT_TYPES = frozenset({"chat", "emoji_chat"})
_SESSION_END_STATES = {"ended": "ended", "banned": "banned"}
_CLIENT_END_STATES = {"failed": "failed", "stopped": "stopped", "ended": "ended"}

_COLUMNS = {
    "comment_data": ("session_id", "msg_id", "user_name", "content", "timestamp", "metadata"),
    "audio_transcript": (
        "session_id", "msg_id", "text", "start_ms", "end_ms", "confidence", "language", "audio_file_path",
        "timestamp", "metadata",
    ),
    "live_events": ("session_id", "msg_id", "type", "ts", "user_id", "user_name", "data"),
}  # fmt: skip


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class EventStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"database {dialect!r} is not supported (use SQLite or PostgreSQL)")
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._sql = {
            table: (
                # Table and column names are this module's constants; values go as driver parameters.
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))}) "  # noqa: S608
                "ON CONFLICT (session_id, msg_id) DO NOTHING"
            )
            for table, cols in _COLUMNS.items()
        }

    def write(self, events: Sequence[dict[str, Any]]) -> int:
        """Store a batch; answers how many rows were new (duplicates are not counted)."""
        rows: dict[str, dict[tuple[str, str], tuple[Any, ...]]] = {table: {} for table in _COLUMNS}
        session_ends: list[tuple[str, str, int]] = []
        for ev in events:
            session_id, msg_id, kind, ts = ev["session_id"], ev["msg_id"], ev["type"], ev["ts"]
            user = ev.get("user") or {}
            data = ev.get("data") or {}
            key = (session_id, msg_id)
            if kind in _COMMENT_TYPES:
                meta = {"msg_id": msg_id, "user_id": user.get("id", ""), "type": kind, "user": user, "data": data}
                rows["comment_data"][key] = (
                    session_id, msg_id, user.get("nickname", ""), data.get("content", ""), ts, _json(meta),
                )  # fmt: skip
            elif kind == "transcript":
                extra = {k: v for k, v in data.items() if k not in ("text", "start_ms", "end_ms")}
                rows["audio_transcript"][key] = (
                    session_id, msg_id, data.get("text", ""), int(data.get("start_ms", 0)), int(data.get("end_ms", 0)),
                    float(data.get("confidence", 0.0)), data.get("language", ""), data.get("audio_file_path"), ts,
                    _json(extra),
                )  # fmt: skip
            else:
                rows["live_events"][key] = (
                    session_id, msg_id, kind, ts, user.get("id"), user.get("nickname"), _json(data),
                )  # fmt: skip
                if kind == "control" and data.get("status") in _SESSION_END_STATES:
                    session_ends.append((session_id, _SESSION_END_STATES[data["status"]], ts))
                elif kind == "service" and data.get("state") in _CLIENT_END_STATES and session_id != "system":
                    # A room client that gave up (unknown room, bad signature) or was stopped closes its session.
                    session_ends.append((session_id, _CLIENT_END_STATES[data["state"]], ts))
        inserted = 0
        with self.engine.begin() as conn:
            cursor = conn.connection.cursor()
            try:
                for table, table_rows in rows.items():
                    if table_rows:
                        cursor.executemany(self._sql[table], list(table_rows.values()))
                        inserted += max(cursor.rowcount, 0)  # both drivers sum executemany's row counts
            finally:
                cursor.close()
            for session_id, status, ts in session_ends:
                conn.execute(
                    update(LiveSession)
                    .where(LiveSession.id == session_id, LiveSession.ended_at.is_(None))
                    .values(status=status, ended_at=datetime.fromtimestamp(ts / 1000, UTC))
                )
        return inserted
