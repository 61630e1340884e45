"""The jobs of one AST process: start and stop by session, a cap on concurrent jobs, shared engines, status.

Jobs are keyed by the session their transcripts belong to (one job per session). Engines are loaded in a worker
thread, shared by the jobs that ask for the same model, and kept loaded while used (plus the most recent idle one,
so starting the next job does not reload a model). All public methods run on the event loop and never block it.

A job started with ``resumed=True`` continues one a previous process ran (adopted after a restart): its status says
``resumed`` and reads ``resuming`` until audio flows again. ``on_finished(session_id, state)`` hears every job that
ended, so the process can release the work it had assigned.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.ast.config import AudioConfig, ModelConfig, parse_audio_config, parse_model_config
from services.ast.engines import Engine, EngineFactory, create_engine
from services.ast.errors import JobConflict, JobLimitReached, JobNotFound, SourceUnreadable
from services.ast.pipeline import Clock, Emit, JobState, StateCallback, TranscriptionJob
from services.ast.probe import ModelProber
from services.ast.sources import FfmpegOpener, SourceOpener, UrlResolver
from services.ast.vad import VadConfig, load_silero
from shared.ffmpeg import find_ffmpeg
from shared.retry import GivingUpPolicy

__all__ = ["JobManager", "OnFinished", "OpenerFactory", "SessionResolver"]

log = logging.getLogger(__name__)

# session_id -> a playable stream URL for that live room (streamcap's resolution, wired by the process shell).
SessionResolver = Callable[[str], Coroutine[Any, Any, str]]
# (session_id, audio_config, blocking resolver or None) -> opener; tests swap in fakes.
OpenerFactory = Callable[[str, AudioConfig, UrlResolver | None], SourceOpener]
# (session_id, final state) of a job that ended, whatever ended it.
OnFinished = Callable[[str, JobState], Coroutine[Any, Any, None]]

RESOLVE_TIMEOUT_S = 30.0
KEEP_FINISHED = 20
FILE_CHECK_TIMEOUT_S = 20.0


@dataclass(slots=True)
class _EngineSlot:
    engine: Engine
    users: int = 0


def _default_opener(session_id: str, audio: AudioConfig, resolver: UrlResolver | None) -> SourceOpener:
    return FfmpegOpener(audio, label=f"job={session_id}", resolve_session=resolver)


def check_audio_file(path: Path) -> None:
    """Decode the first second of a file, so a missing or corrupt file is refused at start with ffmpeg's reason."""
    path = path.expanduser()
    if not path.is_file():
        raise SourceUnreadable(f"音频文件不存在 (file not found): {path}")
    head = ["-hide_banner", "-nostdin", "-v", "error", "-t", "1", "-i"]
    cmd = [find_ffmpeg(), *head, str(path), "-map", "0:a:0", "-f", "null", "-"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=FILE_CHECK_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise SourceUnreadable(f"音频文件读取超时 (file could not be read in time): {path}") from exc
    if done.returncode != 0:
        reason = " | ".join(done.stderr.strip().splitlines()[-3:]) or f"ffmpeg exit code {done.returncode}"
        raise SourceUnreadable(f"无法解码音频文件 (cannot decode audio file) {path.name}: {reason}")


class JobManager:
    def __init__(
        self,
        *,
        models_dir: Path,
        emit: Emit,
        resolve_session: SessionResolver | None = None,
        on_state: StateCallback | None = None,
        max_jobs: int = 2,
        queue_size: int = 32,
        clips_dir: Path | None = None,
        retry_policy: GivingUpPolicy | None = None,
        vad_config: VadConfig | None = None,
        clock: Clock = time.monotonic,
        engine_factory: EngineFactory | None = None,
        opener_factory: OpenerFactory | None = None,
        prober: ModelProber | None = None,
        vad_loader: Callable[[], Any] = load_silero,
        on_finished: OnFinished | None = None,
    ) -> None:
        self._models_dir = models_dir
        self._on_finished = on_finished
        self._resumed: set[str] = set()
        self._emit = emit
        self._resolve_session = resolve_session
        self._on_state = on_state
        self.max_jobs = max_jobs
        self._queue_size = queue_size
        self._clips_dir = clips_dir
        self._retry = retry_policy
        self._vad_config = vad_config
        self._clock = clock
        self._prober = prober or ModelProber()
        self._engine_factory: EngineFactory = engine_factory or self._create_engine
        self._opener_factory = opener_factory or _default_opener
        self._vad_loader = vad_loader
        self._jobs: dict[str, TranscriptionJob] = {}
        self._finished: OrderedDict[str, TranscriptionJob] = OrderedDict()
        self._starting: set[str] = set()
        self._engines: dict[tuple[Any, ...], _EngineSlot] = {}
        self._engine_locks: dict[tuple[Any, ...], asyncio.Lock] = {}
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._last_error: str | None = None

    def _create_engine(self, config: ModelConfig, models_dir: Path) -> Engine:
        return create_engine(config, models_dir, prober=self._prober)

    # -- public API ---------------------------------------------------------------------------------------------

    async def start(
        self,
        session_id: str,
        audio_config: Mapping[str, Any] | AudioConfig,
        model_config: Mapping[str, Any] | ModelConfig | None = None,
        *,
        origin_ms: int = 0,
        resumed: bool = False,
    ) -> dict[str, Any]:
        """Start transcribing ``audio_config`` into ``session_id``; returns the job's status.

        ``origin_ms`` is where the source's beginning falls on the session's clock (0 for a file or URL session); a
        source read from ``audio_config.start_ms`` on keeps its own times (its first sample is at origin + start).
        ``resumed`` marks a job adopted from a previous process (its status says so).
        Raises InvalidJobConfig, JobConflict, JobLimitReached, ModelMissing, ModelInvalid, EngineUnavailable,
        SourceUnreadable: each an AstError with a stable ``code``.
        """
        audio = parse_audio_config(audio_config)
        model = parse_model_config(model_config)
        if session_id in self._jobs or session_id in self._starting:
            raise JobConflict(f"该场次已在转写 (a transcription job already runs for session {session_id})")
        if audio.source == "session" and self._resolve_session is None:
            raise SourceUnreadable("未配置直播流解析 (no stream resolver configured for source=session)")
        if len(self._jobs) + len(self._starting) >= self.max_jobs:
            raise JobLimitReached(f"同时转写的任务已达上限 {self.max_jobs} (too many jobs at once)")
        self._starting.add(session_id)
        try:
            if audio.source == "file":
                await asyncio.to_thread(check_audio_file, Path(audio.path or ""))
            vad_model = await asyncio.to_thread(self._vad_loader)
            engine = await self._acquire_engine(model)
        except Exception as exc:
            self._last_error = str(exc)
            raise
        finally:
            self._starting.discard(session_id)
        loop = asyncio.get_running_loop()
        resolver = self._blocking_resolver(session_id, loop) if audio.source == "session" else None
        job = TranscriptionJob(
            session_id,
            audio,
            model,
            engine=engine,
            opener=self._opener_factory(session_id, audio, resolver),
            vad_model=vad_model,
            emit=self._emit,
            loop=loop,
            on_state=self._on_state,
            vad_config=self._vad_config,
            retry_policy=self._retry,
            clock=self._clock,
            queue_size=self._queue_size,
            clips_dir=self._clips_dir,
            origin_ms=origin_ms + audio.start_ms,
        )
        self._jobs[session_id] = job
        if resumed:
            self._resumed.add(session_id)
        else:
            self._resumed.discard(session_id)
        job.start()
        watcher = asyncio.create_task(self._watch(job, model), name=f"ast-watch-{session_id[:12]}")
        self._watchers[session_id] = watcher
        watcher.add_done_callback(lambda t: self._watch_done(session_id, t))
        return self._status_of(job)

    async def stop(self, session_id: str, *, grace_s: float = 15.0) -> dict[str, Any]:
        """Stop a job and wait (up to ``grace_s``) until its threads and ffmpeg are gone; returns its final status."""
        job = self._jobs.get(session_id)
        if job is None:
            done = self._finished.get(session_id)
            if done is not None:
                return self._status_of(done)
            raise JobNotFound(f"没有这个转写任务 (no transcription job for session {session_id})")
        job.stop()
        watcher = self._watchers.get(session_id)
        try:
            # The watcher ends after the job's threads are joined and its books are closed.
            await asyncio.wait_for(asyncio.shield(watcher) if watcher is not None else job.wait(), grace_s)
        except TimeoutError:
            log.warning("job=%s did not stop within %.0fs", session_id, grace_s)
        return self._status_of(job)

    def halt(self, session_id: str) -> bool:
        """Ask a running job to stop, without waiting (its lease is lost: it must stop now, whatever it was doing).
        False when no such job runs."""
        job = self._jobs.get(session_id)
        if job is None or not job.is_running:
            return False
        job.stop()
        return True

    async def join(self, session_id: str, *, within_s: float | None = None) -> JobState:
        job = self._jobs.get(session_id) or self._finished.get(session_id)
        if job is None:
            raise JobNotFound(f"没有这个转写任务 (no transcription job for session {session_id})")
        watcher = self._watchers.get(session_id)
        # Through the watcher: once join returns, the job's threads are gone and it is listed as finished.
        await asyncio.wait_for(asyncio.shield(watcher) if watcher is not None else job.wait(), within_s)
        return job.state

    def add_products(self, session_id: str, names: list[str]) -> bool:
        """Give a running job product names from its room's comments; False when no such job runs."""
        job = self._jobs.get(session_id)
        if job is None or not names:
            return False
        job.add_products(names)
        return True

    def running_sessions(self) -> set[str]:
        """Sessions with a job that has not ended yet (its finish hook not run)."""
        return set(self._jobs)

    def is_running(self, session_id: str) -> bool:
        job = self._jobs.get(session_id)
        return job is not None and job.is_running

    def job_status(self, session_id: str) -> dict[str, Any]:
        job = self._jobs.get(session_id) or self._finished.get(session_id)
        if job is None:
            raise JobNotFound(f"没有这个转写任务 (no transcription job for session {session_id})")
        return self._status_of(job)

    def _status_of(self, job: TranscriptionJob) -> dict[str, Any]:
        status = job.status()
        status["resumed"] = job.session_id in self._resumed
        if status["resumed"] and job.state is JobState.STARTING:
            status["state"] = "resuming"  # 恢复中: adopted after a restart, no audio yet
        return status

    def status(self) -> dict[str, Any]:
        """Jobs, engine, model, real-time factor, queue depth, last error."""
        running = [self._status_of(job) for job in self._jobs.values()]
        recent = [self._status_of(job) for job in reversed(self._finished.values())]
        rtfs = [j["rtf"] for j in running if j["rtf"] is not None]
        engines = [
            {"engine": slot.engine.name, "model": slot.engine.model_name, "jobs": slot.users}
            for slot in self._engines.values()
        ]
        active = next((e for e in engines if e["jobs"]), engines[0] if engines else None)
        errors = [j["last_error"] for j in running if j["last_error"]]
        return {
            "jobs": running,
            "recent_jobs": recent,
            "max_jobs": self.max_jobs,
            "engine": active["engine"] if active else None,
            "model": active["model"] if active else None,
            "engines": engines,
            "rtf": round(sum(rtfs), 4) if rtfs else None,
            "queue_depth": sum(j["queue_depth"] for j in running),
            "last_error": errors[-1] if errors else self._last_error,
        }

    def health(self) -> dict[str, Any]:
        """The small part of the status that goes into the heartbeat."""
        return {"jobs": len(self._jobs), "queue_depth": sum(j.status()["queue_depth"] for j in self._jobs.values())}

    async def close(self, *, grace_s: float = 15.0) -> None:
        """Stop every job, wait for them, and release the engines."""
        for job in list(self._jobs.values()):
            job.stop()
        watchers = list(self._watchers.values())
        if watchers:
            await asyncio.wait(watchers, timeout=grace_s)
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        for slot in self._engines.values():
            slot.engine.close()
        self._engines.clear()

    # -- internals ----------------------------------------------------------------------------------------------

    def _blocking_resolver(self, session_id: str, loop: asyncio.AbstractEventLoop) -> UrlResolver:
        resolve = self._resolve_session

        def resolver() -> str:
            if resolve is None:
                raise SourceUnreadable("未配置直播流解析 (no stream resolver configured for source=session)")
            return asyncio.run_coroutine_threadsafe(resolve(session_id), loop).result(RESOLVE_TIMEOUT_S)

        return resolver

    async def _acquire_engine(self, model: ModelConfig) -> Engine:
        key = model.engine_key()
        lock = self._engine_locks.setdefault(key, asyncio.Lock())
        async with lock:
            slot = self._engines.get(key)
            if slot is None:
                log.info("loading engine %s (model %s)", model.engine, model.model or "default")
                engine = await asyncio.to_thread(self._engine_factory, model, self._models_dir)
                slot = self._engines[key] = _EngineSlot(engine)
            slot.users += 1
            return slot.engine

    def _release_engine(self, model: ModelConfig) -> None:
        key = model.engine_key()
        slot = self._engines.get(key)
        if slot is None:
            return
        slot.users -= 1
        # Keep one idle engine warm; close the others so memory goes back with the jobs.
        idle = [k for k, s in self._engines.items() if s.users <= 0 and k != key]
        for k in idle:
            self._engines.pop(k).engine.close()

    def _watch_done(self, session_id: str, task: asyncio.Task[None]) -> None:
        if self._watchers.get(session_id) is task:
            del self._watchers[session_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("job=%s watcher failed", session_id, exc_info=task.exception())

    async def _watch(self, job: TranscriptionJob, model: ModelConfig) -> None:
        try:
            await job.wait()
        finally:
            await asyncio.to_thread(job.join, 10.0)
            self._jobs.pop(job.session_id, None)
            self._finished[job.session_id] = job
            while len(self._finished) > KEEP_FINISHED:
                self._finished.popitem(last=False)
            self._release_engine(model)
            if job.error is not None:
                self._last_error = str(job.error)
            if self._on_finished is not None:
                try:
                    await self._on_finished(job.session_id, job.state)
                except Exception:  # the hook's trouble must not hide the job's end
                    log.exception("job=%s finish hook failed", job.session_id)
