"""The transcription worker process: lifecycle, health and command handlers around the transcription jobs.

Commands (from the gateway, over the bus; their parameter and result schemas are in shared/commands/ast.py):
    start_job {session_id, audio_config, model_config?, live_id?, origin_ms?} → the job's status
    stop_job  {session_id}                                                   → the job's final status
    jobs      {}                                                             → jobs, engine, model, rtf, queue depth
Each utterance becomes a ``transcript`` live event on the bus; the gateway's persister stores it.

Every live job (a room's session, a live URL) is a durable assignment (``shared/assignments.py``, item = session
id, spec = the job's configs and where its stream began on the session's clock). Starting, this process adopts
every assigned job and starts it again on the same source, its timestamps continuing on the session's clock.
``stop_job`` and a job that ends by itself (its source gone for good, a fatal error) remove the assignment; a crash
or a restart leaves it. A file job is not adopted: it would transcribe the file again from its start.

The worker also listens to the live feed: product names that viewers ask about in a room's comments go to that
room's running job, as words its prompt lists (services/ast/prompt.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from services.ast.config import parse_audio_config
from services.ast.errors import AstError, JobConflict, SourceFailed, SourceUnreadable
from services.ast.jobs import JobManager
from services.ast.pipeline import JobState
from services.ast.prompt import product_mentions
from shared.assignments import Assignments, WorkItem, adopt_all
from shared.bus import TRANSIENT, Bus
from shared.commands import CommandTable, Empty, command_table
from shared.commands.ast import JOBS, START_JOB, STOP_JOB, JobsResult, JobStatus, StartJob, StopJob
from shared.config import Settings
from shared.errors import CommandError
from shared.events import EventType, LiveEvent
from shared.platforms.douyin.errors import DouyinError
from shared.platforms.douyin.resolve import RoomResolver

__all__ = ["AstApp"]

log = logging.getLogger(__name__)

TRANSCRIPT_FIELDS = ("text", "start_ms", "end_ms", "confidence", "language")
JOB_EVENT_FIELDS = ("state", "previous", "source", "last_error")
# Jobs that ended by themselves no longer need their assignment; stop_job removed it already.
_RELEASED = (JobState.FINISHED, JobState.FAILED)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class AstApp:
    name = "ast"

    def __init__(self, settings: Settings, **job_options: Any) -> None:
        """``job_options`` go to the ``JobManager`` (tests pass fake engines and sources)."""
        self.settings = settings
        self._job_options = job_options
        self._bus: Bus | None = None
        self._jobs: JobManager | None = None
        self._live_ids: dict[str, str] = {}
        self._work: Assignments | None = None
        self._adopter: asyncio.Task[None] | None = None
        self._comments: asyncio.Task[None] | None = None
        self.comments_live = False  # the live feed's subscription is confirmed
        self._closing = False
        self.adopted = 0
        self.worker_id = settings.effective_worker_id

    async def start(self, bus: Bus) -> None:
        self._bus = bus
        self.worker_id = bus.worker_id or self.worker_id
        self._work = Assignments(bus.redis, self.name)
        self._jobs = JobManager(
            models_dir=self.settings.models_dir,
            emit=self._emit,
            resolve_session=self._resolve_session,
            clips_dir=self.settings.home / "transcripts",
            on_finished=self._on_finished,
            on_state=self._on_state,
            **self._job_options,
        )
        self._adopter = asyncio.create_task(self._adopt(), name="ast-adopt")
        self._comments = asyncio.create_task(self._watch_comments(bus), name="ast-comments")

    async def stop(self) -> None:
        self._closing = True  # the jobs stop because the process does: their assignments stay for the next start
        for task in (self._adopter, self._comments):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._jobs is not None:
            await self._jobs.close(grace_s=5.0)
        self._bus = None

    # -- durable assignments ---------------------------------------------------------------------------

    async def _adopt(self) -> None:
        """Start again every live job assigned to this service (once; retried while Redis does not answer)."""
        assert self._work is not None
        await adopt_all(self._work, self._resume, what="transcription job(s)")

    async def _resume(self, item: WorkItem) -> None:
        assert self._work is not None
        if await self._work.get(item.id) is None:
            return  # stop_job came while the jobs before it were being started again
        spec = item.spec
        audio = dict(spec.get("audio_config") or {})
        if audio.get("source") == "session":
            self._live_ids[item.id] = str(spec.get("live_id") or "")
        # The stream goes on while nobody listens: the new stream's first sample is that much later in the session.
        origin_ms = int(spec.get("origin_ms") or 0) + max(0, _now_ms() - int(spec.get("started_ms") or _now_ms()))
        try:
            await self.jobs.start(item.id, audio, spec.get("model_config") or None, origin_ms=origin_ms, resumed=True)
        except JobConflict:
            log.info("job=%s already started again by a command", item.id)
            return
        except AstError as exc:  # the job cannot run any more (model gone, config no longer valid): let it go
            log.error("job=%s could not be resumed, dropped: %s", item.id, exc)
            await self._work.remove(item.id)
            return
        self.adopted += 1
        log.info("job=%s resumed (origin %d ms)", item.id, origin_ms)

    # -- the rooms' comments --------------------------------------------------------------------------------

    async def _watch_comments(self, bus: Bus) -> None:
        """Products asked about in a room's comments become words its job's prompt lists. A hint only: a lost
        subscription costs some hints (subscribe_live retries by itself)."""

        def on_state(live: bool) -> None:
            self.comments_live = live

        async for payload in bus.subscribe_live(on_state):
            if b'"chat"' not in payload or self._jobs is None:
                continue  # cheap test first: most of the feed is not chat, and much of it is our own transcripts
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                event = json.loads(payload)
                if event.get("type") != EventType.CHAT.value:
                    continue
                names = product_mentions(str((event.get("data") or {}).get("content") or ""))
                if names and self._jobs.add_products(str(event.get("session_id") or ""), names):
                    log.debug("job=%s products from comments: %s", event.get("session_id"), names)

    async def _on_finished(self, session_id: str, state: JobState) -> None:
        if self._work is None or self._closing or state not in _RELEASED:
            return
        try:
            await self._work.remove(session_id)
        except TRANSIENT as exc:
            log.warning("job=%s assignment not removed (%s)", session_id, exc)

    def commands(self) -> CommandTable:
        return command_table(START_JOB.serve(self._start_job), STOP_JOB.serve(self._stop_job), JOBS.serve(self._status))

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

    async def _on_state(self, status: dict[str, Any]) -> None:
        """Every state change of a job goes out as an ``ast_job`` event of its session (docs/contracts.md)."""
        if self._bus is None:
            return
        session_id = str(status["session_id"])
        data = {key: status.get(key) for key in JOB_EVENT_FIELDS}
        data["worker_id"] = self.worker_id
        event = LiveEvent.build(EventType.AST_JOB, session_id, data, live_id=self._live_ids.get(session_id, ""))
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

    async def _start_job(self, params: StartJob) -> JobStatus:
        session_id = params.session_id
        audio = {k: v for k, v in params.audio_config.items() if v is not None}
        if audio.get("source") == "session":
            self._live_ids[session_id] = params.live_id or ""
        origin_ms = params.origin_ms
        model_config = params.model_config_ or None
        started_ms = _now_ms()
        try:
            status = await self.jobs.start(session_id, audio, model_config, origin_ms=origin_ms)
        except AstError as exc:
            raise CommandError(exc.code, str(exc)) from exc
        if parse_audio_config(audio).is_live:
            assert self._work is not None
            spec = {"audio_config": audio, "model_config": model_config, "origin_ms": origin_ms,
                    "started_ms": started_ms, "live_id": self._live_ids.get(session_id, "")}  # fmt: skip
            await self._work.put(session_id, spec)
            if session_id not in self.jobs.running_sessions():  # it ended already: its finish hook ran before
                await self._work.remove(session_id)
        return JobStatus.model_validate(status)

    async def _stop_job(self, params: StopJob) -> JobStatus:
        session_id = params.session_id
        assert self._work is not None
        assigned = await self._work.remove(session_id)  # first: a crash while stopping must not resume it
        try:
            return JobStatus.model_validate(await self.jobs.stop(session_id))
        except AstError as exc:
            if assigned:  # assigned but not running here (not adopted yet, or it could not start): now let go
                return JobStatus(session_id=session_id, state=JobState.STOPPED.value)
            raise CommandError(exc.code, str(exc)) from exc

    async def _status(self, _params: Empty) -> JobsResult:
        return JobsResult.model_validate(self.jobs.status())
