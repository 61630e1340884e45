"""The transcription worker process: lifecycle, health and command handlers around the transcription jobs.

Commands (from the gateway, over the bus; their parameter and result schemas are in shared/commands/ast.py):
    start_job {session_id, audio_config, model_config?, live_id?, origin_ms?, worker_id?} → the job's status
    stop_job  {session_id}                                                   → the job's final status
    jobs      {}                                       → jobs (each naming its worker), engine, model, rtf, queue depth
Each utterance becomes a ``transcript`` live event on the bus; the gateway's persister stores it. Each change of a
job's state becomes an ``ast_job`` event.

Every job is a durable assignment (``shared/assignments.py``; item = session id, spec = the job's configs, where its
source begins on the session's clock, the host, and ``worker_id`` when placed by hand), run by the one worker that
holds its lease ``timao:lease:ast:<session>`` (``shared/ownership.py``, as the fetcher's rooms; docs/contracts.md,
Workers on several machines). Every worker adopts the jobs nobody holds (their worker died, was cut off, or
restarted) and resumes each: a live job (a room's session, a live URL) listens to the stream from now on, its
times still on the session's clock; a finite one (a file, a URL with live=false) reads on from the end of its last
transcript (``audio_config.start_ms``). A file job waits for a worker on its own host when the file is not here.

Each transcript is written ahead into the job's progress, then appended to the log, both fenced by the lease: only
its holder writes. The worker that adopts a job appends the progress's last transcript again, with its msg_id: had
the previous owner died between the two writes it is stored now, else the database keeps it once. A worker that
loses a lease stops that job at once and writes nothing more for it. ``stop_job`` and a job that ends by itself (its
source ran out or is gone for good, a fatal error) remove the assignment; a crash, a restart or a lost lease do not.

The worker also listens to the live feed: product names that viewers ask about in a room's comments go to that
room's running job, as words its prompt lists (services/ast/prompt.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from pathlib import Path
from typing import Any

from services.ast.config import parse_audio_config
from services.ast.errors import AstError, JobConflict, SourceFailed, SourceUnreadable
from services.ast.jobs import JobManager
from services.ast.pipeline import JobState
from services.ast.prompt import product_mentions
from shared.assignments import Assignments, WorkItem
from shared.bus import TRANSIENT, Bus, Fence, FencedOut
from shared.commands import CommandTable, Empty, command_table
from shared.commands.ast import JOBS, START_JOB, STOP_JOB, JobsResult, JobStatus, StartJob, StopJob
from shared.config import Settings
from shared.errors import BusError, CommandError
from shared.events import EventType, LiveEvent
from shared.leases import worker_of
from shared.ownership import WorkOwnership
from shared.platforms.douyin.errors import DouyinError
from shared.platforms.douyin.resolve import RoomResolver

__all__ = ["AstApp"]

log = logging.getLogger(__name__)

TRANSCRIPT_FIELDS = ("text", "start_ms", "end_ms", "confidence", "language")
JOB_EVENT_FIELDS = ("state", "previous", "source", "last_error")
# Jobs that ended by themselves no longer need their assignment; stop_job removed it already.
_RELEASED = (JobState.FINISHED, JobState.FAILED)
SETTLE_S = 2.0  # how long a release waits for the job's last state events to be written under its lease


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _is_file(path: str) -> bool:
    return Path(path).expanduser().is_file()


class AstApp:
    name = "ast"

    def __init__(self, settings: Settings, **job_options: Any) -> None:
        """``job_options`` go to the ``JobManager`` (tests pass fake engines and sources)."""
        self.settings = settings
        self._job_options = job_options
        self._bus: Bus | None = None
        self._jobs: JobManager | None = None
        self._live_ids: dict[str, str] = {}
        self._origins: dict[str, int] = {}  # session → where its source begins on the session's clock (the spec's)
        self._work: Assignments | None = None
        self._own: WorkOwnership | None = None  # the jobs' leases, adoption, the registry (shared/ownership.py)
        self._sends: set[asyncio.Task[Any]] = set()  # state events being written
        # One state event written at a time, in the order the changes happened: each is its own task (handed over
        # from the job's thread), and two writes in flight at once could reach the log in either order.
        self._state_order: asyncio.Lock | None = None
        self._starts: set[asyncio.Task[None]] = set()  # adopted jobs being started
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
        self._own = WorkOwnership(
            bus.redis,
            self._work,
            worker_id=self.worker_id,
            capacity=self._jobs.max_jobs,
            ttl_s=self.settings.worker_lease_ttl_s,
            adopt=self._resume,
            on_lost=self._lease_lost,
            noun="job",
        )
        bus.on_fenced_out = self._fenced_out
        self._own.start()  # adopts at once what is assigned and unowned (or left by this worker's last process)
        self._comments = asyncio.create_task(self._watch_comments(bus), name="ast-comments")

    async def stop(self) -> None:
        self._closing = True  # the jobs stop because the process does: their assignments stay for the next start
        if self._own is not None:
            await self._own.stop_adopting()
        if self._starts:  # let the adopted jobs being started start, so that closing the jobs stops them too
            await asyncio.gather(*self._starts, return_exceptions=True)
        if self._comments is not None:
            self._comments.cancel()
            await asyncio.gather(self._comments, return_exceptions=True)
        if self._jobs is not None:
            await self._jobs.close(grace_s=5.0)
        await self._settle()
        if self._own is not None:
            await self._own.close()  # the leases go back: this worker's next start, or another, resumes the jobs
        self._bus = None

    # -- leases and adoption ---------------------------------------------------------------------------

    def _fence(self, session_id: str) -> Fence | None:
        """The job's fence while this process may still write under its lease (not past its own give-up time)."""
        lease = self._own.keeper.valid(session_id) if self._own is not None else None
        return lease.fence if lease is not None else None

    async def _resume(self, item: WorkItem) -> bool:
        """Run an adopted job (its lease is held); False when it is not to run here. The job starts in a task of its
        own, which gives the lease back (and drops the assignment when the job can no longer run) if it fails."""
        assert self._work is not None and self._bus is not None
        spec = item.spec
        raw_audio = dict(spec.get("audio_config") or {})
        try:
            audio = parse_audio_config(raw_audio)
        except AstError as exc:
            log.error("job=%s assignment unusable, dropped: %s", item.id, exc)
            await self._work.remove(item.id)
            return False
        if audio.source == "file" and not await asyncio.to_thread(_is_file, audio.path or ""):
            host = str(spec.get("host") or "")
            if host and host != socket.gethostname():
                log.debug("job=%s: its file is on %s; left for a worker there", item.id, host)
                return False
        fence = self._fence(item.id)
        last = item.progress.get("last")
        if isinstance(last, str) and fence is not None:
            # Written ahead by the previous owner: stored now if it died before appending it, else kept once.
            await self._bus.publish(last.encode(), fence=fence)
        origin_ms = int(spec.get("origin_ms") or 0)
        self._origins[item.id] = origin_ms
        if audio.is_live:
            # The stream went on while nobody listened: the new stream's first sample is that much later.
            origin_ms += max(0, _now_ms() - int(spec.get("started_ms") or _now_ms()))
        else:
            raw_audio["start_ms"] = max(audio.start_ms, int(item.progress.get("position_ms") or 0))
        if audio.source == "session":
            self._live_ids[item.id] = str(spec.get("live_id") or "")
        # Started aside: loading a model takes seconds, and the adoption loop also keeps this worker's registry record.
        start = self._start_adopted(item.id, raw_audio, spec.get("model_config") or None, origin_ms)
        task = asyncio.create_task(start, name=f"ast-resume-{item.id[:12]}")
        self._starts.add(task)
        task.add_done_callback(self._starts.discard)
        return True

    async def _start_adopted(
        self, session_id: str, audio: dict[str, Any], model: dict[str, Any] | None, origin_ms: int
    ) -> None:
        assert self._work is not None and self._own is not None
        try:
            await self.jobs.start(session_id, audio, model, origin_ms=origin_ms, resumed=True)
        except JobConflict:
            log.info("job=%s still stopping here; adopted at a later pass", session_id)
            await self._own.release(session_id)
            return
        except AstError as exc:  # the job cannot run any more (model gone, file gone, config no longer valid)
            log.error("job=%s could not be resumed, dropped: %s", session_id, exc)
            with contextlib.suppress(*TRANSIENT):
                await self._work.remove(session_id)
            await self._own.release(session_id)
            return
        self.adopted += 1
        log.info("job=%s resumed on %s (origin %d ms, from %d ms)", session_id, self.worker_id, origin_ms,
                 int(audio.get("start_ms") or 0))  # fmt: skip

    async def _lease_lost(self, session_id: str, reason: str) -> None:
        """The job's lease is gone (taken over, expired, or its work removed elsewhere): the job stops here at once
        (without waiting: the keeper's other renewals must not wait), and writes nothing more."""
        if self._jobs is not None and self._jobs.halt(session_id):
            log.warning("job=%s stopped here (%s)", session_id, reason)

    def _fenced_out(self, fence: Fence) -> None:
        """A write refused by its fence (another worker owns the job now): stop the job at once."""
        assert self._own is not None
        session_id = fence.lease_key.rpartition(":")[2]
        lease = self._own.keeper.held(session_id)
        if lease is None or lease.token != fence.token:
            return
        self._own.keeper.forget(session_id)
        if self._jobs is not None and self._jobs.halt(session_id):
            log.warning("job=%s stopped here: fenced out, another worker runs it", session_id)

    async def _settle(self) -> None:
        """Let the state events being written finish (they are fenced by leases about to be released)."""
        pending = [t for t in self._sends if t is not asyncio.current_task()]
        if pending:
            await asyncio.wait(pending, timeout=SETTLE_S)

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
        self._origins.pop(session_id, None)
        if self._work is None or self._own is None or self._closing or state not in _RELEASED:
            return  # stopped: by stop_job (which releases), a lost lease, or this process going down
        if self._fence(session_id) is None:
            return  # another worker runs it now
        await self._settle()
        try:
            await self._work.remove(session_id)
            await self._own.release(session_id)
        except TRANSIENT as exc:  # the next owner finds it finished (a file) or failing again, and lets it go
            log.warning("job=%s assignment not removed (%s)", session_id, exc)

    def commands(self) -> CommandTable:
        return command_table(START_JOB.serve(self._start_job), STOP_JOB.serve(self._stop_job), JOBS.serve(self._status))

    def health(self) -> dict[str, Any]:
        jobs = self._jobs.health() if self._jobs else {"jobs": 0}
        return {"worker_id": self.worker_id, **jobs}

    @property
    def jobs(self) -> JobManager:
        if self._jobs is None:
            raise CommandError("unavailable", "transcription worker not started")
        return self._jobs

    async def _emit(self, transcript: dict[str, Any]) -> None:
        """One transcript: written ahead into the job's progress, then appended to the log, both under the lease."""
        assert self._bus is not None and self._work is not None
        session_id = transcript["session_id"]
        fence = self._fence(session_id)
        if fence is None:  # lost, or past its give-up time with no renewal confirmed: the job must not go on here
            self.jobs.halt(session_id)
            raise BusError(f"job={session_id}: this worker holds no lease for it; transcript not written")
        data = {k: transcript[k] for k in TRANSCRIPT_FIELDS}
        # Engine tags (SenseVoice emotion/event), the engine and the saved clip travel as extra fields.
        data.update(
            {k: v for k, v in transcript.items() if k not in (*TRANSCRIPT_FIELDS, "session_id") and v is not None}
        )
        event = LiveEvent.build(EventType.TRANSCRIPT, session_id, data, live_id=self._live_ids.get(session_id, ""))
        payload = event.to_json()
        end_ms = int(data["end_ms"])
        progress = {"end_ms": end_ms, "position_ms": max(0, end_ms - self._origins.get(session_id, 0)),
                    "last": payload.decode()}  # fmt: skip
        try:
            written = await self._work.update_progress(session_id, progress, fence=fence)
        except TRANSIENT as exc:  # the event waits in the bus's memory; only a crash meanwhile would repeat it
            log.warning("job=%s progress not recorded (%s)", session_id, exc)
            written = True
        if not written:  # another worker holds the job now, or it was removed: the keeper's next renewal stops it
            raise BusError(f"job={session_id}: progress refused by its lease; transcript not written")
        await self._bus.publish(payload, fence=fence)

    async def _on_state(self, status: dict[str, Any]) -> None:
        """Every state change of a job goes out as an ``ast_job`` event of its session (docs/contracts.md), under
        its lease: a worker that lost the job says nothing more about it."""
        session_id = str(status["session_id"])
        fence = self._fence(session_id)
        if self._bus is None or fence is None:
            log.debug("job=%s state %s not announced: no lease held", session_id, status.get("state"))
            return
        task = asyncio.current_task()
        if task is not None:
            self._sends.add(task)
        data = {key: status.get(key) for key in JOB_EVENT_FIELDS}
        data["worker_id"] = self.worker_id
        event = LiveEvent.build(EventType.AST_JOB, session_id, data, live_id=self._live_ids.get(session_id, ""))
        if self._state_order is None:
            self._state_order = asyncio.Lock()
        try:
            async with self._state_order:  # FIFO: the tasks reach it in the order they were handed over
                await self._bus.publish(event, fence=fence)
        except FencedOut:
            pass  # _fenced_out stopped the job
        finally:
            if task is not None:
                self._sends.discard(task)

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
        assert self._work is not None and self._own is not None
        if session_id in self.jobs.running_sessions() or self._own.keeper.held(session_id) is not None:
            # Running here, or adopted and starting: its assignment stays as it is.
            raise CommandError(
                "conflict", f"该场次已在转写 (a transcription job already runs for session {session_id})"
            )
        held = await self._own.keeper.leases.owner(session_id)
        if held is not None and worker_of(held[0]) != self.worker_id:
            where = worker_of(held[0])
            raise CommandError("conflict", f"该场次已在工作节点 {where} 上转写 (session {session_id} runs on {where})")
        if self._own.full:
            raise CommandError("conflict", f"工作节点已满 (worker {self.worker_id} runs {self._own.capacity} jobs)")
        audio = {k: v for k, v in params.audio_config.items() if v is not None}
        try:
            parse_audio_config(audio)  # a bad config is refused before anything is assigned
        except AstError as exc:
            raise CommandError(exc.code, str(exc)) from exc
        if audio.get("source") == "session":
            self._live_ids[session_id] = params.live_id or ""
        origin_ms = params.origin_ms
        model_config = params.model_config_ or None
        spec: dict[str, Any] = {"audio_config": audio, "model_config": model_config, "origin_ms": origin_ms,
                                "started_ms": _now_ms(), "live_id": self._live_ids.get(session_id, ""),
                                "host": socket.gethostname()}  # fmt: skip
        if params.worker_id:
            spec["worker_id"] = params.worker_id  # placed here by hand: after a failover it comes back here
        # Desired state first: from here on a crash leaves the job to be resumed, never forgotten.
        await self._work.put(session_id, spec)
        self._origins[session_id] = origin_ms
        try:
            if not await self._own.claim(session_id):
                raise CommandError("conflict", f"该场次已由其他工作节点转写 (session {session_id} runs elsewhere)")
            status = await self.jobs.start(session_id, audio, model_config, origin_ms=origin_ms)
        except BaseException as exc:
            self._origins.pop(session_id, None)
            await self._work.remove(session_id)
            await self._own.release(session_id)
            if isinstance(exc, AstError):
                raise CommandError(exc.code, str(exc)) from exc
            raise
        with contextlib.suppress(*TRANSIENT):
            await self._own.register()  # the next placement counts this job already
        return JobStatus.model_validate({**status, "worker_id": self.worker_id})

    async def _stop_job(self, params: StopJob) -> JobStatus:
        session_id = params.session_id
        assert self._work is not None and self._own is not None
        assigned = await self._work.remove(session_id)  # first: a crash while stopping must not resume it
        try:
            status = await self.jobs.stop(session_id)  # its last writes still go out under its lease
        except AstError as exc:
            if assigned:  # assigned but not running here (between owners, or on another worker, which stops it)
                return JobStatus(session_id=session_id, state=JobState.STOPPED.value)
            raise CommandError(exc.code, str(exc)) from exc
        finally:
            await self._settle()
            await self._own.release(session_id)
        return JobStatus.model_validate({**status, "worker_id": self.worker_id})

    async def _status(self, _params: Empty) -> JobsResult:
        status = self.jobs.status()
        for key in ("jobs", "recent_jobs"):
            status[key] = [{**job, "worker_id": self.worker_id} for job in status[key]]
        return JobsResult.model_validate({**status, "worker_id": self.worker_id})
