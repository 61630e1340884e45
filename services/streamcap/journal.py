"""The per-recording journal: a small JSON file beside the segments that says what is finished.

It is written before ffmpeg starts and after every change (atomically: temp file, then rename), so whatever a crash
interrupts — segments not yet remuxed, an MP4 half written — can be found and finished on the next start.
File: ``<folder>/.<stem>.journal.json``.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = ["Journal", "JournalState", "SegmentEntry", "SegmentStatus", "journal_path"]

_VERSION = 1
_SUFFIX = ".journal.json"


class JournalState(StrEnum):
    RECORDING = "recording"
    REMUXING = "remuxing"
    DONE = "done"


class SegmentStatus(StrEnum):
    RECORDING = "recording"
    CLOSED = "closed"
    REMUXED = "remuxed"
    FAILED = "failed"
    EMPTY = "empty"


@dataclass
class SegmentEntry:
    ts: str
    status: SegmentStatus = SegmentStatus.RECORDING
    duration: float = 0.0
    mp4: str = ""
    error: str = ""


def journal_path(folder: Path, stem: str) -> Path:
    return folder / f".{stem}{_SUFFIX}"


@dataclass
class Journal:
    path: Path
    recording_id: str
    stem: str
    state: JournalState = JournalState.RECORDING
    segments: dict[str, SegmentEntry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @classmethod
    def create(cls, folder: Path, recording_id: str, stem: str) -> Journal:
        journal = cls(journal_path(folder, stem), recording_id, stem)
        journal.save()
        return journal

    @classmethod
    def load(cls, path: Path) -> Journal:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        segments = {
            name: SegmentEntry(
                ts=str(raw.get("ts", name)),
                status=SegmentStatus(raw.get("status", SegmentStatus.CLOSED)),
                duration=float(raw.get("duration", 0.0)),
                mp4=str(raw.get("mp4", "")),
                error=str(raw.get("error", "")),
            )
            for name, raw in data.get("segments", {}).items()
        }
        return cls(path, str(data["recording_id"]), str(data["stem"]), JournalState(data["state"]), segments)

    @staticmethod
    def find(root: Path) -> list[Path]:
        return sorted(root.rglob(f".*{_SUFFIX}")) if root.is_dir() else []

    def save(self) -> None:
        with self._lock:
            payload = {
                "version": _VERSION,
                "recording_id": self.recording_id,
                "stem": self.stem,
                "state": self.state.value,
                "segments": {name: asdict(entry) for name, entry in self.segments.items()},
            }
            tmp = self.path.with_name(self.path.name + ".tmp")
            with tmp.open("w", encoding="utf-8") as fh:
                json.dump(payload, fh, ensure_ascii=False, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)

    def update(self, name: str, **changes: Any) -> SegmentEntry:
        entry = self.segments.get(name) or SegmentEntry(ts=name)
        for key, value in changes.items():
            setattr(entry, key, value)
        self.segments[name] = entry
        self.save()
        return entry

    def set_state(self, state: JournalState) -> None:
        self.state = state
        self.save()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
