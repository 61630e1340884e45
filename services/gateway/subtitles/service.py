"""The gateway's side of recording subtitles: the recording from StreamCap's API, files written at remux time and
on demand, and the one burn job (docs/contracts.md, Recording timelines).

At remux time: the persister's new-events hook sees StreamCap's ``recording`` event with state ``remuxed`` (the log
delivers it once, also after a crash) and queues its file; ``run`` writes the file's danmaku ASS and speech
SRT/VTT. On demand: ``subtitle`` writes a missing file first.
"""

from __future__ import annotations

import asyncio
import logging
import queue
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, Engine

from services.gateway.subtitles.burn import BurnJobs, BurnStatus
from services.gateway.subtitles.writer import (
    RecordingFile,
    SubtitleError,
    files_of,
    subtitle_path,
    write_subtitle,
)
from shared.errors import ServiceUnavailable

__all__ = ["AT_REMUX", "StreamcapUnreachable", "SubtitleService"]

log = logging.getLogger(__name__)

# What is written beside each file when it is remuxed; other formats are written when first asked for.
AT_REMUX = (("danmaku", "ass"), ("speech", "srt"), ("speech", "vtt"))
_QUEUE_MAX = 10_000


class StreamcapUnreachable(Exception):
    """StreamCap's API did not answer (the route then says whether the service runs at all)."""


class SubtitleService:
    def __init__(self, engine: Engine, streamcap: httpx.AsyncClient, recordings_root: Path) -> None:
        self.engine = engine
        self.streamcap = streamcap
        self.root = recordings_root
        self.burns = BurnJobs()
        self._remuxed: queue.Queue[tuple[str, str]] = queue.Queue(_QUEUE_MAX)
        self.written = 0

    # the recording, from its owner

    async def recording(self, recording_id: str) -> dict[str, Any]:
        try:
            answer = await self.streamcap.get(f"/api/recordings/{recording_id}")
        except httpx.TransportError as exc:
            raise StreamcapUnreachable(f"录制服务无法连接 (unreachable): {exc}") from exc
        if answer.status_code == 404:
            raise SubtitleError(404, f"没有这个录制 (unknown recording {recording_id!r})")
        if answer.status_code != 200:
            raise ServiceUnavailable("streamcap", f"录制服务出错 (StreamCap answered {answer.status_code})")
        data: dict[str, Any] = answer.json()
        return data

    def file(self, recording: Mapping[str, Any], index: int) -> RecordingFile:
        files = files_of(recording, self.root)
        for entry in files:
            if entry.index == index:
                if not entry.path.is_file():
                    raise SubtitleError(404, f"录制文件已不存在 (file {index} of the recording is gone)")
                return entry
        count = len(recording.get("files") or [])
        raise SubtitleError(404, f"录制没有第 {index} 个文件 (the recording has {count} file(s))")

    async def subtitle(self, recording_id: str, index: int, kind: str, fmt: str) -> Path:
        """The subtitle file, written first when it is missing."""
        recording = await self.recording(recording_id)
        return await asyncio.to_thread(self._ensure, recording, index, kind, fmt)

    def _ensure(self, recording: Mapping[str, Any], index: int, kind: str, fmt: str) -> Path:
        entry = self.file(recording, index)
        path = subtitle_path(entry.path, kind, fmt)
        if not path.is_file():
            path, _ = write_subtitle(self.engine, recording, entry, kind, fmt)
        return path

    # at remux time

    def on_new(self, _conn: Connection, events: list[dict[str, Any]]) -> None:
        """The persister's new-events hook (inside its transaction: only queue, never fail)."""
        for event in events:
            if event.get("type") != "recording":
                continue
            data = event.get("data") or {}
            if data.get("state") == "remuxed" and data.get("recording_id") and data.get("file"):
                try:
                    self._remuxed.put_nowait((str(data["recording_id"]), str(data["file"])))
                except queue.Full:
                    log.warning("subtitles: queue full, %s gets its subtitles when first asked", data["file"])

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                recording_id, file = await asyncio.to_thread(self._remuxed.get, True, 0.5)
            except queue.Empty:
                continue
            try:
                await self.write_at_remux(recording_id, Path(file))
            except (SubtitleError, StreamcapUnreachable, ServiceUnavailable, OSError) as exc:
                log.warning("subtitles: none for %s of recording %s: %s", file, recording_id, exc)
            except Exception:  # one bad recording must not end the loop
                log.exception("subtitles: writing for %s failed", file)

    async def write_at_remux(self, recording_id: str, file: Path) -> list[Path]:
        recording = await self.recording(recording_id)
        written = await asyncio.to_thread(self._write_all, recording, file)
        self.written += 1
        return written

    def _write_all(self, recording: Mapping[str, Any], file: Path) -> list[Path]:
        entry = next((f for f in files_of(recording, self.root) if f.path == file.resolve()), None)
        if entry is None:
            raise SubtitleError(404, f"{file} is not a file of recording {recording.get('recording_id')}")
        return [write_subtitle(self.engine, recording, entry, kind, fmt)[0] for kind, fmt in AT_REMUX]

    # burning

    async def burn(self, recording_id: str, index: int) -> BurnStatus:
        recording = await self.recording(recording_id)
        entry = await asyncio.to_thread(self.file, recording, index)
        ass = await asyncio.to_thread(self._ensure, recording, index, "danmaku", "ass")
        return self.burns.start(recording_id, index, entry.path, ass, entry.clock.duration_s)
