"""Read queries behind the session routes (the persister is the only writer of event tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shared.db.models import AudioTranscript, CommentData, LiveSession
from shared.events import MAX_ID_LENGTH, is_masked

__all__ = ["SessionRepo"]

MAX_PAGE = 500


def _storable(text: str) -> bool:
    """Whether ``text`` can be a stored value at all. Stored ids are at most 64 characters and no stored text has a
    NUL (the persister removes them), so anything else matches nothing; PostgreSQL would refuse it with an error."""
    return "\x00" not in text and len(text) <= MAX_ID_LENGTH


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def session_public(row: LiveSession) -> dict[str, Any]:
    return {
        "id": row.id,
        "session_id": row.id,
        "platform": row.platform,
        "live_id": row.live_id,
        "room_id": row.room_id,
        "title": row.title,
        "anchor": row.anchor_name,
        "status": row.status,
        "started_at": _iso(row.started_at),
        "ended_at": _iso(row.ended_at),
        "metadata": row.meta or {},
    }


class SessionRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list_sessions(self, limit: int = 100) -> list[dict[str, Any]]:
        with Session(self.engine) as s:
            return [
                session_public(r)
                for r in s.scalars(select(LiveSession).order_by(LiveSession.started_at.desc()).limit(limit))
            ]

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        if not _storable(session_id):
            return None
        with Session(self.engine) as s:
            row = s.get(LiveSession, session_id)
            return session_public(row) if row else None

    def create_session(
        self, *, session_id: str, platform: str, live_id: str, meta: dict[str, Any] | None = None
    ) -> None:
        with Session(self.engine) as s, s.begin():
            s.add(LiveSession(id=session_id, platform=platform, live_id=live_id, status="active", meta=meta or {}))

    def update_session(self, session_id: str, **values: Any) -> None:
        with Session(self.engine) as s, s.begin():
            row = s.get(LiveSession, session_id)
            if row is None:
                return
            for key, value in values.items():
                setattr(row, key, value)

    def comments(self, session_id: str, *, limit: int, before: int | None, q: str | None) -> list[dict[str, Any]]:
        if not _storable(session_id) or (q and "\x00" in q):
            return []
        stmt = select(CommentData).where(CommentData.session_id == session_id)
        if before is not None:
            stmt = stmt.where(CommentData.timestamp < before)
        if q:
            # LIKE with escaped wildcards: the search text is the user's, not a pattern.
            escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(CommentData.content.like(f"%{escaped}%", escape="\\"))
        stmt = stmt.order_by(CommentData.timestamp.desc(), CommentData.id.desc()).limit(min(max(limit, 1), MAX_PAGE))
        with Session(self.engine) as s:
            return [
                {
                    "msg_id": c.msg_id,
                    "user_name": c.user_name,
                    "user_id": (c.meta or {}).get("user_id", ""),
                    "content": c.content,
                    "ts": c.timestamp,
                    "type": (c.meta or {}).get("type", "chat"),
                    # A masked viewer (docs/protocol/douyin.md §4.1): no id of their own, never one person.
                    "masked": is_masked((c.meta or {}).get("user") or {}),
                }
                for c in s.scalars(stmt)
            ]

    def transcripts(self, session_id: str) -> list[dict[str, Any]]:
        if not _storable(session_id):
            return []
        stmt = (
            select(AudioTranscript)
            .where(AudioTranscript.session_id == session_id)
            .order_by(AudioTranscript.start_ms, AudioTranscript.id)
        )
        with Session(self.engine) as s:
            return [
                {
                    "text": t.text,
                    "start_ms": t.start_ms,
                    "end_ms": t.end_ms,
                    "confidence": t.confidence,
                    "language": t.language,
                    "audio_file_path": t.audio_file_path,
                }
                for t in s.scalars(stmt)
            ]
