"""The recording views StreamCap's API, its bus commands and its UI answer: the stored row, brought up to date by a
running recorder, in the one recording shape (``shared/commands/streamcap.py``'s ``Recording``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.streamcap.recorder import Recorder
from services.streamcap.repository import RecordingRecord
from shared.commands.streamcap import Recording, RecordingFile

__all__ = ["file_size", "recording_model", "recording_view"]


def recording_model(record: RecordingRecord, recorder: Recorder | None, here: str | None) -> Recording:
    """One recording as the APIs show it: its row, and what its recorder knows now when it runs here (``here``:
    this worker's id; a file on another worker's disk keeps its stored size)."""
    files = {
        f.path: RecordingFile(
            path=f.path,
            # A file on another worker's disk: its stored size (this machine cannot look).
            size=file_size(f.path, f.size) if f.worker_id in (None, here) else f.size,
            duration=f.duration,
            kind=f.kind,
            worker_id=f.worker_id,
        )
        for f in record.files
    }
    live: dict[str, Any] = {}
    if recorder is not None:
        progress = recorder.progress
        live = {
            # 恢复中 (resuming): adopted after a restart, no data recorded since.
            "state": "resuming" if recorder.resuming else progress.state.value,
            "resumed": recorder.resumed,
            "duration": round(progress.duration, 3),
            "bytes": progress.bytes,
            "speed": progress.speed,
            "restarts": progress.restarts,
            "reason": progress.reason or record.reason,
        }
        for seg in recorder.files():
            key = str(seg.path)
            if key not in files and seg.path.exists():
                files[key] = RecordingFile(path=key, size=seg.size, duration=seg.duration, kind="ts", worker_id=here)
    fields: dict[str, Any] = {
        "recording_id": record.id,
        "room_id": record.room_id,
        "platform": record.platform,
        "source": record.source,
        "quality": record.quality,
        "state": record.state,
        "reason": record.reason or "",
        "folder": record.folder,
        "segment_seconds": record.segment_seconds,
        "duration": record.duration,
        "bytes": record.bytes,
        "restarts": record.restarts,
        "speed": 0.0,
        "started_at": record.started_at.isoformat() if record.started_at else None,
        "ended_at": record.ended_at.isoformat() if record.ended_at else None,
        "resumed": False,
        "worker_id": record.worker_id,
        **live,
        "files": sorted(files.values(), key=lambda f: f.path),
    }
    return Recording(**fields)


def recording_view(record: RecordingRecord, recorder: Recorder | None, here: str | None) -> dict[str, Any]:
    """``recording_model`` as JSON-ready values (the manager's answer to its HTTP routes, bus commands and UI)."""
    return recording_model(record, recorder, here).model_dump(mode="json")


def file_size(path: str, fallback: int) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return fallback
