"""Tables of the design (names and columns kept) plus the ones the suite needs.

The schema is owned by the Alembic migrations in ``shared/db/migrations``; these models must match them
(``tests/unit/db/test_migrations.py`` checks that).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base

__all__ = [
    "AudioTranscript",
    "CommentData",
    "HealthCheck",
    "LiveEventRow",
    "LiveSession",
    "ServiceLog",
    "ServiceStatus",
]

# BIGINT autoincrement is not a rowid alias on SQLite; plain INTEGER there keeps ids automatic.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class ServiceStatus(Base):
    """One row per service each launcher supervises: that launcher's current view.

    Several launchers (one per worker, docs/contracts.md) share one database, so a row is keyed by its worker too.
    """

    __tablename__ = "service_status"
    __table_args__ = (UniqueConstraint("worker_id", "service_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(100))
    service_name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    pid: Mapped[int | None] = mapped_column(Integer)
    port: Mapped[int | None] = mapped_column(Integer)
    restarts: Mapped[int] = mapped_column(Integer, default=0)
    last_heartbeat: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ServiceLog(Base):
    """Lifecycle lines the launcher records (state changes, exits, give-ups); full logs stay in files."""

    __tablename__ = "service_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    worker_id: Mapped[str | None] = mapped_column(String(100))  # the launcher's worker; NULL from before 0007
    service_name: Mapped[str] = mapped_column(String(64), index=True)
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HealthCheck(Base):
    __tablename__ = "health_check"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    worker_id: Mapped[str | None] = mapped_column(String(100))  # the launcher's worker; NULL from before 0007
    service_name: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    response_time_ms: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LiveSession(Base):
    """A watched live (Douyin room), or the session of a transcription of a file or URL."""

    __tablename__ = "live_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), default="douyin")
    live_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    room_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    anchor_name: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)


class CommentData(Base):
    """Every chat and emoji chat; ``metadata`` holds msg_id, user_id and the rest of the user."""

    __tablename__ = "comment_data"
    __table_args__ = (
        UniqueConstraint("session_id", "msg_id"),
        Index("ix_comment_data_session_ts", "session_id", "timestamp"),
        Index("ix_comment_data_user_ts", "user_id", "timestamp", "session_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64))
    msg_id: Mapped[str] = mapped_column(String(64))
    user_name: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    timestamp: Mapped[int] = mapped_column(BigInteger)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    # The viewer's own id, NULL for masked viewers (a copy of metadata's, so a viewer's history is an index scan).
    user_id: Mapped[str | None] = mapped_column(String(64))


class AudioTranscript(Base):
    __tablename__ = "audio_transcript"
    __table_args__ = (
        UniqueConstraint("session_id", "msg_id"),
        Index("ix_audio_transcript_session_start", "session_id", "start_ms"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64))
    msg_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    language: Mapped[str] = mapped_column(String(16), default="")
    audio_file_path: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)


class LiveEventRow(Base):
    """A stored live event of every other type (gifts, likes, members, follows, stats, control, recording, service...).

    One row of the ``live_events`` table; the event itself, as it travels on the bus and ``/ws``, is
    ``shared.events.LiveEvent``."""

    __tablename__ = "live_events"
    __table_args__ = (
        UniqueConstraint("session_id", "msg_id"),
        Index("ix_live_events_session_type_ts", "session_id", "type", "ts"),
        Index("ix_live_events_user_type_ts", "user_id", "type", "ts", "session_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64))
    msg_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    ts: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[str | None] = mapped_column(String(64))
    user_name: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
