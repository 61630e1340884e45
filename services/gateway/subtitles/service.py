"""The gateway's side of recording subtitles: the recording from StreamCap's API, files written at remux time and
on demand, and the one burn job (docs/contracts.md, Recording timelines).

At remux time: the persister's new-events hook sees StreamCap's ``recording`` event with state ``remuxed`` (the log
delivers it once, also after a crash; StreamCap's start-up recovery sends it too for what it remuxes) and queues its
file; ``run`` writes the file's danmaku ASS and speech SRT/VTT, and looks at them again ``refresh_after`` seconds
later, rewriting those whose events changed since (comments the persister stored late, transcript lines the
transcription finished later). On demand: ``subtitle`` writes a missing or out-of-date file first.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import queue
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, Engine

from services.gateway.subtitles.burn import BurnJobs, BurnStatus
from services.gateway.subtitles.writer import (
    RecordingFile,
    SubtitleError,
    ensure_subtitle,
    files_of,
    write_subtitle,
)
from shared.errors import ServiceUnavailable

__all__ = ["AT_REMUX", "StreamcapUnreachable", "SubtitleService"]

log = logging.getLogger(__name__)

# What is written beside each file when it is remuxed; other formats are written when first asked for.
AT_REMUX = (("danmaku", "ass"), ("speech", "srt"), ("speech", "vtt"))
_QUEUE_MAX = 10_000
# After the remux-time write, when to look again for events stored late (s after the remux).
REFRESH_AFTER_S = (60.0, 600.0)


class StreamcapUnreachable(Exception):
    """StreamCap's API did not answer (the route then says whether the service runs at all)."""


class SubtitleService:
    def __init__(
        self,
        engine: Engine,
        streamcap: httpx.AsyncClient,
        recordings_root: Path,
        *,
        refresh_after: Sequence[float] = REFRESH_AFTER_S,
    ) -> None:
        self.engine = engine
        self.streamcap = streamcap
        self.root = recordings_root
        self.burns = BurnJobs()
        self._remuxed: queue.Queue[tuple[str, str]] = queue.Queue(_QUEUE_MAX)
        self.refresh_after = tuple(sorted(refresh_after))
        # (due on the monotonic clock, recording id, file, which of refresh_after): the later looks, soonest first.
        self._later: list[tuple[float, str, str, int]] = []
        self.written = 0
        self.refreshed = 0

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
        return ensure_subtitle(self.engine, recording, entry, kind, fmt)[0]

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
            await self._refresh_due()
            try:
                recording_id, file = await asyncio.to_thread(self._remuxed.get, True, 0.5)
            except queue.Empty:
                continue
            self._look_again(recording_id, file, 0)
            try:
                await self.write_at_remux(recording_id, Path(file))
            except (SubtitleError, StreamcapUnreachable, ServiceUnavailable, OSError) as exc:
                log.warning("subtitles: none for %s of recording %s yet: %s", file, recording_id, exc)
            except Exception:  # one bad recording must not end the loop
                log.exception("subtitles: writing for %s failed", file)

    def _look_again(self, recording_id: str, file: str, step: int) -> None:
        if step < len(self.refresh_after) and len(self._later) < _QUEUE_MAX:
            heapq.heappush(self._later, (time.monotonic() + self.refresh_after[step], recording_id, file, step))

    async def _refresh_due(self) -> None:
        """The later looks that are due: each file's subtitles rewritten when their events changed (or written,
        when the remux-time write failed, e.g. StreamCap did not answer)."""
        while self._later and self._later[0][0] <= time.monotonic():
            _, recording_id, file, step = heapq.heappop(self._later)
            if step + 1 < len(self.refresh_after):
                due = time.monotonic() + self.refresh_after[step + 1] - self.refresh_after[step]
                heapq.heappush(self._later, (due, recording_id, file, step + 1))
            try:
                recording = await self.recording(recording_id)
                rewritten = await asyncio.to_thread(self._refresh_all, recording, Path(file))
            except (SubtitleError, StreamcapUnreachable, ServiceUnavailable, OSError) as exc:
                log.warning("subtitles: %s of recording %s not looked at again: %s", file, recording_id, exc)
                continue
            except Exception:  # one bad recording must not end the loop
                log.exception("subtitles: looking again at %s failed", file)
                continue
            self.refreshed += 1
            if rewritten:
                log.info("subtitles: %s rewritten with the events stored since", ", ".join(p.name for p in rewritten))

    def _entry(self, recording: Mapping[str, Any], file: Path) -> RecordingFile:
        entry = next((f for f in files_of(recording, self.root) if f.path == file.resolve()), None)
        if entry is None:
            raise SubtitleError(404, f"{file} is not a file of recording {recording.get('recording_id')}")
        return entry

    def _refresh_all(self, recording: Mapping[str, Any], file: Path) -> list[Path]:
        entry = self._entry(recording, file)
        results = [ensure_subtitle(self.engine, recording, entry, kind, fmt) for kind, fmt in AT_REMUX]
        return [path for path, written in results if written]

    async def write_at_remux(self, recording_id: str, file: Path) -> list[Path]:
        recording = await self.recording(recording_id)
        written = await asyncio.to_thread(self._write_all, recording, file)
        self.written += 1
        return written

    def _write_all(self, recording: Mapping[str, Any], file: Path) -> list[Path]:
        entry = self._entry(recording, file)
        return [write_subtitle(self.engine, recording, entry, kind, fmt)[0] for kind, fmt in AT_REMUX]

    # burning

    async def burn(self, recording_id: str, index: int) -> BurnStatus:
        recording = await self.recording(recording_id)
        entry = await asyncio.to_thread(self.file, recording, index)
        ass = await asyncio.to_thread(self._ensure, recording, index, "danmaku", "ass")
        return self.burns.start(recording_id, index, entry.path, ass, entry.clock.duration_s)
