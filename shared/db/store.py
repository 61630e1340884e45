"""Writes batches of live events to their tables, each at most once per (session, msg_id).

The persister hands in events as parsed dicts (already validated at the bus boundary). A batch is one
transaction; duplicates — replays after a crash, re-claimed entries — hit the unique constraints and are
skipped by ``INSERT ... ON CONFLICT DO NOTHING``, so replaying the log can never double-count.

The store knows exactly which events of a batch are new (one indexed look-up of the batch's ids per table), and
hands those to ``on_new`` inside the same transaction: whatever is derived from events (the live aggregates) is
committed together with them, so a replay can neither double-count nor lose an event's effect.

This is the hottest write path of the suite, so rows go to the driver's ``executemany`` as tuples (JSON encoded
with orjson) instead of through SQLAlchemy's per-row parameter processing; the statement text is the same on
SQLite and PostgreSQL but for the placeholder style.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, update

from shared.db.models import LiveSession
from shared.events import bound_id, clean_text, is_masked

__all__ = ["LOGGED_AT", "EventStore", "NewEventsHook"]

# Events may carry the time the durable log received them (ms): a session ends when we learned it did, and hooks
# need not trust a platform clock blindly. It is not stored.
LOGGED_AT = "_logged_ms"
# Called inside the write transaction with the events that were not stored before, in batch order.
NewEventsHook = Callable[[Connection, list[dict[str, Any]]], None]
# Ids per look-up query: well under SQLite's parameter limit.
_LOOKUP_CHUNK = 500

_COMMENT_TYPES = frozenset({"chat", "emoji_chat"})
_SESSION_END_STATES = {"ended": "ended", "banned": "banned"}
_CLIENT_END_STATES = {"failed": "failed", "stopped": "stopped", "ended": "ended"}

_COLUMNS = {
    "comment_data": ("session_id", "msg_id", "user_name", "content", "timestamp", "metadata", "user_id"),
    "audio_transcript": (
        "session_id", "msg_id", "text", "start_ms", "end_ms", "confidence", "language", "audio_file_path",
        "timestamp", "metadata",
    ),
    "live_events": ("session_id", "msg_id", "type", "ts", "user_id", "user_name", "data"),
}  # fmt: skip


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class EventStore:
    def __init__(self, engine: Engine, *, on_new: NewEventsHook | None = None) -> None:
        self.engine = engine
        self.on_new = on_new
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
        self._mark = mark

    def write(self, events: Sequence[dict[str, Any]]) -> int:
        """Store a batch; answers how many rows were new (duplicates are not counted)."""
        rows: dict[str, dict[tuple[str, str], tuple[Any, ...]]] = {table: {} for table in _COLUMNS}
        first_seen: dict[tuple[str, str], dict[str, Any]] = {}
        session_ends: list[tuple[str, str, int]] = []
        for ev in events:
            # Ids and text columns are fitted here again, whatever the producer did: a NUL or an over-long id from
            # a viewer must never make a batch unstorable (PostgreSQL refuses both).
            session_id, msg_id = bound_id(ev["session_id"]), bound_id(ev["msg_id"])
            kind, ts = ev["type"], ev["ts"]
            key = (session_id, msg_id)
            first_seen.setdefault(key, ev)
            user = ev.get("user") or {}
            data = ev.get("data") or {}
            user_id = user.get("id")
            user_id = bound_id(user_id) if isinstance(user_id, str) else user_id
            nickname = user.get("nickname")
            nickname = clean_text(nickname) if isinstance(nickname, str) else nickname
            if kind in _COMMENT_TYPES:
                meta = {"msg_id": msg_id, "user_id": user_id or "", "type": kind, "user": user, "data": data}
                # A masked viewer gets no user_id column: they are nobody's history.
                rows["comment_data"][key] = (
                    session_id, msg_id, nickname or "", clean_text(data.get("content", "")), ts, _json(meta),
                    None if is_masked(user) else str(user_id),
                )  # fmt: skip
            elif kind == "transcript":
                extra = {k: v for k, v in data.items() if k not in ("text", "start_ms", "end_ms")}
                rows["audio_transcript"][key] = (
                    session_id, msg_id, clean_text(data.get("text", "")), int(data.get("start_ms", 0)),
                    int(data.get("end_ms", 0)), float(data.get("confidence", 0.0)),
                    clean_text(data.get("language", ""))[:16], data.get("audio_file_path"), ts, _json(extra),
                )  # fmt: skip
            else:
                rows["live_events"][key] = (
                    session_id, msg_id, kind, ts, user_id, nickname, _json(data),
                )  # fmt: skip
                if kind == "control" and data.get("status") in _SESSION_END_STATES:
                    session_ends.append((session_id, _SESSION_END_STATES[data["status"]], ev.get(LOGGED_AT, ts)))
                elif kind == "service" and data.get("state") in _CLIENT_END_STATES and session_id != "system":
                    # A room client that gave up (unknown room, bad signature) or was stopped closes its session.
                    session_ends.append((session_id, _CLIENT_END_STATES[data["state"]], ev.get(LOGGED_AT, ts)))
        new_keys: set[tuple[str, str]] = set()
        with self.engine.begin() as conn:
            cursor = conn.connection.cursor()
            try:
                for table, table_rows in rows.items():
                    if not table_rows:
                        continue
                    stored = self._stored_keys(cursor, table, list(table_rows))
                    fresh = [row for key, row in table_rows.items() if key not in stored]
                    if fresh:
                        # ON CONFLICT stays as the guard; the look-up above already removed known ids.
                        cursor.executemany(self._sql[table], fresh)
                    new_keys.update(key for key in table_rows if key not in stored)
            finally:
                cursor.close()
            if self.on_new is not None and new_keys:
                self.on_new(conn, [ev for key, ev in first_seen.items() if key in new_keys])
            for session_id, status, ts in session_ends:
                conn.execute(
                    update(LiveSession)
                    .where(LiveSession.id == session_id, LiveSession.ended_at.is_(None))
                    .values(status=status, ended_at=datetime.fromtimestamp(ts / 1000, UTC))
                )
        return len(new_keys)

    def _stored_keys(self, cursor: Any, table: str, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        by_session: dict[str, list[str]] = defaultdict(list)
        for session_id, msg_id in keys:
            by_session[session_id].append(msg_id)
        stored: set[tuple[str, str]] = set()
        for session_id, msg_ids in by_session.items():
            for i in range(0, len(msg_ids), _LOOKUP_CHUNK):
                chunk = msg_ids[i : i + _LOOKUP_CHUNK]
                marks = ", ".join([self._mark] * len(chunk))
                cursor.execute(
                    f"SELECT msg_id FROM {table} WHERE session_id = {self._mark} AND msg_id IN ({marks})",  # noqa: S608
                    [session_id, *chunk],
                )
                stored.update((session_id, row[0]) for row in cursor.fetchall())
        return stored
