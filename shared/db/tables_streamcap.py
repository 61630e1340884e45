"""StreamCap's tables: monitored rooms, recordings, their files, and settings.

Ids are strings (uuid hex). Times are UTC. Paths are absolute, as the API answers them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db.base import Base

__all__ = ["RecordingFileRow", "RecordingRoomRow", "RecordingRow", "StreamcapSettingRow"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RecordingRoomRow(Base):
    __tablename__ = "recording_rooms"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(200), default="")
    quality: Mapped[str | None] = mapped_column(String(32), nullable=True)
    folder: Mapped[str | None] = mapped_column(String(120), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_record: Mapped[bool] = mapped_column(Boolean, default=True)
    check_interval: Mapped[float] = mapped_column(Float, default=60.0)
    windows: Mapped[list[str]] = mapped_column(JSON, default=list)
    segment_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow, onupdate=_utcnow)


class RecordingRow(Base):
    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str | None] = mapped_column(
        ForeignKey("recording_rooms.id", ondelete="SET NULL"), nullable=True, index=True
    )
    platform: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(Text)
    quality: Mapped[str | None] = mapped_column(String(32), nullable=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    folder: Mapped[str] = mapped_column(Text)
    segment_seconds: Mapped[float] = mapped_column(Float)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    restarts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The worker that runs it, or ran its last segment (several machines); NULL on one machine before 0006.
    worker_id: Mapped[str | None] = mapped_column(String(100), nullable=True)

    files: Mapped[list[RecordingFileRow]] = relationship(
        back_populates="recording", cascade="all, delete-orphan", order_by="RecordingFileRow.path"
    )


class RecordingFileRow(Base):
    __tablename__ = "recording_files"
    __table_args__ = (UniqueConstraint("recording_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    # "ts" while recording or when a remux failed; "mp4" once remuxed and verified.
    kind: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    # The worker whose disk holds the file (a recording continued elsewhere has files on two machines).
    worker_id: Mapped[str | None] = mapped_column(String(100), nullable=True)

    recording: Mapped[RecordingRow] = relationship(back_populates="files")


class StreamcapSettingRow(Base):
    __tablename__ = "streamcap_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
