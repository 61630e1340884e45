"""StreamCap's state store: rooms, recordings and their files, settings.

``StreamCapRepository`` is the interface the manager uses; ``SqlRepository`` backs it with any SQLAlchemy ``Engine``
(the tables of ``shared/db/tables_streamcap.py``). Callers get plain dataclasses, never ORM rows, so nothing
lazy-loads across threads. Every method is blocking: call it from a worker thread, not the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from services.streamcap.errors import NotFound
from shared.db.tables_streamcap import RecordingFileRow, RecordingRoomRow, RecordingRow, StreamcapSettingRow

__all__ = ["FileRecord", "RecordingRecord", "RoomRecord", "SqlRepository", "StreamCapRepository"]

_ROOM_FIELDS = (
    "platform",
    "url",
    "name",
    "quality",
    "folder",
    "enabled",
    "auto_record",
    "check_interval",
    "windows",
    "segment_seconds",
)
_RECORDING_FIELDS = ("state", "reason", "duration", "bytes", "restarts", "ended_at", "folder", "worker_id")


@dataclass
class RoomRecord:
    id: str
    platform: str
    url: str
    name: str = ""
    quality: str | None = None
    folder: str | None = None
    enabled: bool = True
    auto_record: bool = True
    check_interval: float = 60.0
    windows: list[str] = field(default_factory=list)
    segment_seconds: float | None = None


@dataclass
class FileRecord:
    path: str
    kind: str
    size: int = 0
    duration: float = 0.0
    worker_id: str | None = None  # whose disk holds it (None: one machine)


@dataclass
class RecordingRecord:
    id: str
    platform: str
    source: str
    state: str
    folder: str
    segment_seconds: float
    room_id: str | None = None
    quality: str | None = None
    reason: str = ""
    duration: float = 0.0
    bytes: int = 0
    restarts: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    files: list[FileRecord] = field(default_factory=list)
    worker_id: str | None = None  # the worker that runs it, or ran its last segment


class StreamCapRepository(Protocol):
    def add_room(self, room: RoomRecord) -> RoomRecord: ...
    def get_room(self, room_id: str) -> RoomRecord | None: ...
    def list_rooms(self) -> list[RoomRecord]: ...
    def update_room(self, room_id: str, **changes: Any) -> RoomRecord: ...
    def delete_room(self, room_id: str) -> None: ...
    def add_recording(self, recording: RecordingRecord) -> None: ...
    def update_recording(self, recording_id: str, **changes: Any) -> None: ...
    def get_recording(self, recording_id: str) -> RecordingRecord | None: ...
    def list_recordings(self, limit: int = 200) -> list[RecordingRecord]: ...
    def unfinished_recordings(self, final_states: frozenset[str]) -> list[RecordingRecord]: ...
    def put_file(self, recording_id: str, file: FileRecord, *, replaces: str | None = None) -> None: ...
    def get_settings(self) -> dict[str, Any]: ...
    def put_settings(self, values: dict[str, Any]) -> None: ...


def _room(row: RecordingRoomRow) -> RoomRecord:
    return RoomRecord(
        id=row.id, windows=list(row.windows or []), **{f: getattr(row, f) for f in _ROOM_FIELDS if f != "windows"}
    )


def _recording(row: RecordingRow) -> RecordingRecord:
    return RecordingRecord(
        id=row.id,
        platform=row.platform,
        source=row.source,
        state=row.state,
        folder=row.folder,
        segment_seconds=row.segment_seconds,
        room_id=row.room_id,
        quality=row.quality,
        reason=row.reason,
        duration=row.duration,
        bytes=row.bytes,
        restarts=row.restarts,
        started_at=row.started_at,
        ended_at=row.ended_at,
        files=[FileRecord(f.path, f.kind, f.size, f.duration, f.worker_id) for f in row.files],
        worker_id=row.worker_id,
    )


class SqlRepository:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # rooms

    def add_room(self, room: RoomRecord) -> RoomRecord:
        with self._session() as s:
            s.add(RecordingRoomRow(id=room.id, **{f: getattr(room, f) for f in _ROOM_FIELDS}))
        return room

    def get_room(self, room_id: str) -> RoomRecord | None:
        with self._session() as s:
            row = s.get(RecordingRoomRow, room_id)
            return _room(row) if row else None

    def list_rooms(self) -> list[RoomRecord]:
        with self._session() as s:
            return [_room(r) for r in s.scalars(select(RecordingRoomRow).order_by(RecordingRoomRow.created_at))]

    def update_room(self, room_id: str, **changes: Any) -> RoomRecord:
        with self._session() as s:
            row = s.get(RecordingRoomRow, room_id)
            if row is None:
                raise NotFound(f"直播间不存在 (no room {room_id})")
            for key, value in changes.items():
                if key not in _ROOM_FIELDS:
                    raise ValueError(f"unknown room field {key}")
                setattr(row, key, value)
            s.flush()
            return _room(row)

    def delete_room(self, room_id: str) -> None:
        with self._session() as s:
            row = s.get(RecordingRoomRow, room_id)
            if row is None:
                raise NotFound(f"直播间不存在 (no room {room_id})")
            s.delete(row)

    # recordings

    def add_recording(self, recording: RecordingRecord) -> None:
        with self._session() as s:
            s.add(
                RecordingRow(
                    id=recording.id,
                    room_id=recording.room_id,
                    platform=recording.platform,
                    source=recording.source,
                    quality=recording.quality,
                    state=recording.state,
                    reason=recording.reason,
                    folder=recording.folder,
                    segment_seconds=recording.segment_seconds,
                    started_at=recording.started_at or datetime.now(UTC),
                    worker_id=recording.worker_id,
                )
            )

    def update_recording(self, recording_id: str, **changes: Any) -> None:
        with self._session() as s:
            row = s.get(RecordingRow, recording_id)
            if row is None:
                raise NotFound(f"录制不存在 (no recording {recording_id})")
            for key, value in changes.items():
                if key not in _RECORDING_FIELDS:
                    raise ValueError(f"unknown recording field {key}")
                setattr(row, key, value)

    def get_recording(self, recording_id: str) -> RecordingRecord | None:
        with self._session() as s:
            row = s.scalar(
                select(RecordingRow).where(RecordingRow.id == recording_id).options(selectinload(RecordingRow.files))
            )
            return _recording(row) if row else None

    def list_recordings(self, limit: int = 200) -> list[RecordingRecord]:
        with self._session() as s:
            query = (
                select(RecordingRow)
                .options(selectinload(RecordingRow.files))
                .order_by(RecordingRow.started_at.desc())
                .limit(limit)
            )
            return [_recording(r) for r in s.scalars(query)]

    def unfinished_recordings(self, final_states: frozenset[str]) -> list[RecordingRecord]:
        with self._session() as s:
            query = (
                select(RecordingRow)
                .where(RecordingRow.state.not_in(final_states))
                .options(selectinload(RecordingRow.files))
            )
            return [_recording(r) for r in s.scalars(query)]

    def put_file(self, recording_id: str, file: FileRecord, *, replaces: str | None = None) -> None:
        """Insert or update one file row; ``replaces`` drops the row of the file this one supersedes (TS → MP4)."""
        with self._session() as s:
            if replaces:
                s.execute(
                    delete(RecordingFileRow).where(
                        RecordingFileRow.recording_id == recording_id, RecordingFileRow.path == replaces
                    )
                )
            row = s.scalar(
                select(RecordingFileRow).where(
                    RecordingFileRow.recording_id == recording_id, RecordingFileRow.path == file.path
                )
            )
            if row is None:
                s.add(
                    RecordingFileRow(
                        recording_id=recording_id,
                        path=file.path,
                        kind=file.kind,
                        size=file.size,
                        duration=file.duration,
                        worker_id=file.worker_id,
                    )
                )
            else:
                row.kind, row.size, row.duration = file.kind, file.size, file.duration
                row.worker_id = file.worker_id or row.worker_id

    # settings

    def get_settings(self) -> dict[str, Any]:
        with self._session() as s:
            return {row.key: row.value for row in s.scalars(select(StreamcapSettingRow))}

    def put_settings(self, values: dict[str, Any]) -> None:
        with self._session() as s:
            for key, value in values.items():
                row = s.get(StreamcapSettingRow, key)
                if row is None:
                    s.add(StreamcapSettingRow(key=key, value=value))
                else:
                    row.value = value
