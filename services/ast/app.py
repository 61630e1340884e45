"""The transcription worker process: lifecycle, health and command handlers around the transcription jobs.

Commands (from the gateway, over the bus):
    start_job {session_id, audio_config, model_config?, live_id?, origin_ms?} → the job's status
    stop_job  {session_id}                                                   → the job's final status
    jobs      {}                                                             → jobs, engine, model, rtf, queue depth
Each utterance becomes a ``transcript`` live event on the bus; the gateway's persister stores it.
"""

from __future__ import annotations

import logging
from typing import Any

from services.ast.errors import AstError, SourceFailed, SourceUnreadable
from services.ast.jobs import JobManager
from shared.bus import Bus
from shared.config import Settings
from shared.errors import CommandError
from shared.events import EventType, LiveEvent
from shared.platforms.douyin.errors import DouyinError
from shared.platforms.douyin.resolve import RoomResolver
from shared.worker import CommandFn

__all__ = ["AstApp"]

log = logging.getLogger(__name__)

TRANSCRIPT_FIELDS = ("text", "start_ms", "end_ms", "confidence", "language")


class AstApp:
    name = "ast"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._bus: Bus | None = None
        self._jobs: JobManager | None = None
        self._live_ids: dict[str, str] = {}

    async def start(self, bus: Bus) -> None:
        self._bus = bus
        self._jobs = JobManager(
            models_dir=self.settings.models_dir,
            emit=self._emit,
            resolve_session=self._resolve_session,
            clips_dir=self.settings.home / "transcripts",
        )

    async def stop(self) -> None:
        if self._jobs is not None:
            await self._jobs.close(grace_s=5.0)
        self._bus = None

    def commands(self) -> dict[str, CommandFn]:
        return {"start_job": self._start_job, "stop_job": self._stop_job, "jobs": self._status}

    def health(self) -> dict[str, Any]:
        return self._jobs.health() if self._jobs else {"jobs": 0}

    @property
    def jobs(self) -> JobManager:
        if self._jobs is None:
            raise CommandError("unavailable", "transcription worker not started")
        return self._jobs

    async def _emit(self, transcript: dict[str, Any]) -> None:
        assert self._bus is not None
        data = {k: transcript[k] for k in TRANSCRIPT_FIELDS}
        # Engine tags (SenseVoice emotion/event), the engine and the saved clip travel as extra fields.
        data.update(
            {k: v for k, v in transcript.items() if k not in (*TRANSCRIPT_FIELDS, "session_id") and v is not None}
        )
        session_id = transcript["session_id"]
        event = LiveEvent.build(EventType.TRANSCRIPT, session_id, data, live_id=self._live_ids.get(session_id, ""))
        await self._bus.publish(event)

    async def _resolve_session(self, session_id: str) -> str:
        """The live room's current stream URL (re-resolved on every reconnect: stream URLs expire)."""
        live_id = self._live_ids.get(session_id)
        if not live_id:
            raise SourceUnreadable(f"场次没有直播间 (session {session_id} has no live room to listen to)")
        resolver = RoomResolver.from_settings(self.settings)
        try:
            room = await resolver.resolve(live_id)
        except DouyinError as exc:
            raise SourceFailed(f"直播间解析失败 (room {live_id}): {exc}") from exc
        finally:
            await resolver.aclose()
        if room.enter is None:
            raise SourceFailed(f"直播间没有流信息 (room {live_id}: no stream info; is it live?)")
        try:
            return room.enter.streams().pick().url
        except DouyinError as exc:
            raise SourceFailed(f"直播间没有可用的流 (room {live_id}): {exc}") from exc

    async def _start_job(self, params: dict[str, Any]) -> dict[str, Any]:
        session_id = str(params.get("session_id", ""))
        audio = {k: v for k, v in (params.get("audio_config") or {}).items() if v is not None}
        if audio.get("source") == "session":
            self._live_ids[session_id] = str(params.get("live_id") or "")
        try:
            return await self.jobs.start(
                session_id, audio, params.get("model_config") or None, origin_ms=int(params.get("origin_ms") or 0)
            )
        except AstError as exc:
            raise CommandError(exc.code, str(exc)) from exc

    async def _stop_job(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self.jobs.stop(str(params.get("session_id", "")))
        except AstError as exc:
            raise CommandError(exc.code, str(exc)) from exc

    async def _status(self, _params: dict[str, Any]) -> dict[str, Any]:
        return self.jobs.status()
