"""The StreamCap service core: its running recordings and settings, over a repository.

Its other jobs live beside it: monitored rooms and their monitor (``rooms.py``, mixed in), recording views
(``views.py``), start-up recovery (``recovery.py``), settings (``settings.py``), the shared store (``ledger.py``), and
the one place where this threaded core meets the process's loop (``bridge.py``). The process shell (``app.py``)
builds one ``StreamCapManager``, binds its loop, calls ``recover()`` once at start, mounts
``api.create_router(manager)``, runs ``manager.create_monitor()`` on its loop, publishes the ``recording`` event data
handed to ``on_event``, and calls ``shutdown()`` on stop. Every method here blocks (database, files); the HTTP routes
are plain ``def`` so they run in the thread pool.

Every recording is also a durable assignment when the shell binds a ``WorkLedger`` (``shared/assignments.py``):
assigned as it starts, released when it ends for any reason but the process shutting down. ``adopt_one()``, called
for each assigned recording nobody runs (``shared/ownership.py``), continues it in a new segment of the same
recording (its journal and files when they are on this disk, new files when not; its row), so a crash, a restart or
a dead worker costs a gap in the stream, not the recording.

On several workers (docs/contracts.md, Workers on several machines) the ledger also holds each recording's lease: a
new recording goes to the worker the ledger places it on (its assignment names it; that worker's adoption starts
it), and a recording whose lease this process lost (``drop``) stops its ffmpeg and writes nothing more: neither its
row, its files nor its progress.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from services.streamcap import procs
from services.streamcap.bridge import LoopBridge, NoLoop
from services.streamcap.errors import NotFound, RecordingLimit, SourceUnavailable, StreamCapError
from services.streamcap.journal import Journal
from services.streamcap.ledger import WorkLedger, stream_key
from services.streamcap.monitor import Monitor
from services.streamcap.recorder import (
    ACTIVE_STATES,
    FINAL_STATES,
    Phase,
    Recorder,
    RecorderConfig,
    RecState,
    StopReason,
)
from services.streamcap.recovery import recover_unfinished
from services.streamcap.remux import Remuxer
from services.streamcap.repository import FileRecord, RecordingRecord, StreamCapRepository
from services.streamcap.rooms import RoomsPart, RoomStatus
from services.streamcap.settings import StreamCapSettings
from services.streamcap.sources import DouyinAnswer, DouyinResolver, StreamSource, make_source
from services.streamcap.storage import DiskGuard, check_component, default_free_bytes, safe_join, sanitize_name
from services.streamcap.views import file_size, recording_view
from shared.assignments import WorkItem
from shared.retry import RetryPolicy

__all__ = ["RoomStatus", "SourceFactory", "StreamCapManager", "StreamCapSettings", "WorkLedger"]

log = logging.getLogger(__name__)

SourceFactory = Callable[[str, str, str | None], StreamSource]
RESOLVE_TIMEOUT_S = 20.0  # one Douyin resolution (room page and web/enter) from a recorder's thread
_FINAL = frozenset(s.value for s in FINAL_STATES)
# Events after which a recording's progress is recorded in its assignment (fenced by its lease).
_PROGRESS_PHASES = frozenset({Phase.STARTED, Phase.RESUMED, Phase.SEGMENT_CLOSED, Phase.RESTARTED})


class StreamCapManager(RoomsPart):
    def __init__(
        self,
        repository: StreamCapRepository,
        root: Path,
        *,
        douyin_resolver: DouyinResolver | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        free_bytes: Callable[[Path], int] = default_free_bytes,
        recorder_config: RecorderConfig | None = None,
        retry: RetryPolicy | None = None,
        source_factory: SourceFactory | None = None,
        spawn: Callable[..., procs.ChildProcess] = procs.spawn,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repository = repository
        self.root = root
        self._douyin_resolver = douyin_resolver
        self._bridge = LoopBridge(loop)  # where this threaded core meets the process's loop (bridge.py)
        self._on_event = on_event
        self._free_bytes = free_bytes
        self._base_config = recorder_config or RecorderConfig()
        self._retry = retry
        self._source_factory = source_factory or self._default_source
        self._spawn = spawn
        self._clock = clock
        self._lock = threading.RLock()
        self._recorders: dict[str, Recorder] = {}
        self._room_of: dict[str, str] = {}
        self._monitor: Monitor | None = None
        self._work: WorkLedger | None = None
        self._dropped: set[str] = set()  # lost their lease here: another worker continues them
        self._settings = self._load_settings()
        self._remuxer = self._make_remuxer(self._settings)

    def active_count(self) -> int:
        with self._lock:
            return sum(1 for r in self._recorders.values() if r.is_running)

    @property
    def bridge(self) -> LoopBridge:
        return self._bridge

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The process's loop, known only once it runs: async resolvers, the monitor and the ledger run on it."""
        self._bridge.bind(loop)

    def bind_work(self, work: WorkLedger) -> None:
        """Keep every recording as a durable assignment from now on (the shell binds it before ``adopt``)."""
        self._work = work
        work.set_capacity(self._settings.max_recordings)

    @property
    def worker_id(self) -> str | None:
        """This worker's id when recordings are leased (several machines possible), else None."""
        return self._work.worker_id if self._work is not None else None

    # settings

    def _load_settings(self) -> StreamCapSettings:
        stored = self.repository.get_settings()
        try:
            return StreamCapSettings.model_validate(
                {k: v for k, v in stored.items() if k in StreamCapSettings.model_fields}
            )
        except ValidationError:
            log.warning("recording= stored settings invalid, using defaults")
            return StreamCapSettings()

    @property
    def settings(self) -> StreamCapSettings:
        return self._settings

    def update_settings(self, changes: dict[str, Any]) -> StreamCapSettings:
        merged = self._settings.model_dump() | changes
        new = StreamCapSettings.model_validate(merged)  # raises ValidationError naming the bad key
        self.repository.put_settings(new.model_dump())
        with self._lock:
            self._settings = new
            self._remuxer = self._make_remuxer(new)
        if self._work is not None:
            self._work.set_capacity(new.max_recordings)
        if self._monitor is not None:
            self._monitor.core.max_recordings = new.max_recordings
            self._monitor.core.max_concurrent_checks = new.max_concurrent_checks
        return new

    def _disk(self) -> DiskGuard:
        return DiskGuard(self._min_free_bytes, self._free_bytes)

    def _min_free_bytes(self) -> int:
        # Read at every check: a new minimum applies to the recordings already running, not only to new ones.
        return int(self._settings.min_free_gb * (1 << 30))

    def _make_remuxer(self, settings: StreamCapSettings) -> Remuxer:
        return Remuxer(
            max_parallel=settings.remux_parallel, delete_ts=settings.delete_ts_after_remux, disk=self._disk()
        )

    # sources

    def _default_source(self, platform: str, target: str, quality: str | None) -> StreamSource:
        resolver = self._resolve_douyin if self._douyin_resolver is not None else None
        return make_source(platform, target, quality=quality, douyin_resolver=resolver)

    def _resolve_douyin(self, room: str) -> DouyinAnswer:
        """The Douyin resolver, called from a recorder's or a check's thread: an async one runs on the process's
        loop (its HTTP client lives there), through the bridge; before a loop is bound, in a loop of its own."""
        assert self._douyin_resolver is not None
        answer = self._douyin_resolver(room)
        if not inspect.isawaitable(answer):
            return answer
        try:
            return self._bridge.run(_awaited(answer), RESOLVE_TIMEOUT_S)
        except NoLoop:
            return asyncio.run(_awaited(answer))
        except TimeoutError as exc:
            raise SourceUnavailable(f"resolve timed out after {RESOLVE_TIMEOUT_S:g}s") from exc

    # recordings

    def start_recording(
        self,
        platform: str,
        stream_url: str,
        *,
        quality: str | None = None,
        segment_seconds: float | None = None,
        name: str | None = None,
        folder: str | None = None,
        room_id: str | None = None,
        worker_id: str | None = None,
    ) -> str:
        """Start a recording here, or place it on another worker (``worker_id``, else the most free capacity when
        recordings are leased): that worker's adoption starts it within seconds. Answers the recording id."""
        settings = self._settings
        source = self._source_factory(platform, stream_url, quality or settings.default_quality)
        with self._lock:
            running = [(rid, rec) for rid, rec in self._recorders.items() if rec.state in ACTIVE_STATES]
        for rid, rec in running:
            if rec.source.platform == source.platform and rec.source.target == source.target:
                # Two recordings of one stream help nobody; a repeated start (a retry, a resumed demo) joins it.
                log.info("recording=%s already records %s; start answered with it", rid, source.target[:120])
                return rid
        stream = stream_key(platform, stream_url)
        if self._work is not None and (elsewhere := self._work.recording_of(stream)):
            # Recorded (or placed) on another worker: a room's monitor on each worker, or a retried start, joins it.
            log.info("recording=%s already records %s on another worker; start answered with it", elsewhere,
                     source.target[:120])  # fmt: skip
            return elsewhere
        sub = check_component(folder) if folder else sanitize_name(name or source.platform, fallback="recordings")
        seg_seconds = float(segment_seconds or settings.segment_seconds)
        recording_id = uuid.uuid4().hex
        spec: dict[str, Any] = {"platform": platform, "stream_url": stream_url, "quality": quality, "name": name,
                                "segment_seconds": seg_seconds, "room_id": room_id, "folder": sub}  # fmt: skip
        here = self.worker_id
        if self._work is not None:
            placed = self._work.place(worker_id)
            if placed != here:
                return self._place_elsewhere(recording_id, placed, source, spec, stream)
            if worker_id:
                spec["worker_id"] = worker_id  # placed here by hand: after a failover it comes back here
        if room_id is None and len(running) >= settings.max_recordings:
            raise RecordingLimit(
                f"同时录制数已达上限 {settings.max_recordings} (at most {settings.max_recordings} recordings at once); "
                "先停止一个录制，或在设置中调高 max_recordings"
            )
        target = safe_join(self.root, sub)
        disk = self._disk()
        disk.check(target)
        recorder = self._new_recorder(recording_id, source, target, name, seg_seconds, disk)
        self.repository.add_recording(
            RecordingRecord(
                id=recording_id,
                platform=source.platform,
                source=source.target,
                state=RecState.STARTING.value,
                folder=str(target),
                segment_seconds=seg_seconds,
                room_id=room_id,
                quality=quality,
                started_at=datetime.now(UTC),
                worker_id=here,
            )
        )
        if self._work is not None:
            if (holder := self._work.assign(recording_id, spec, stream=stream)) not in (recording_id, None):
                return self._lost_race(recording_id, holder)
            if not self._work.claim(recording_id):
                log.warning("recording=%s lease not taken; it records without one", recording_id)
        with self._lock:
            self._recorders[recording_id] = recorder
            if room_id:
                self._room_of[recording_id] = room_id
        recorder.start()
        log.info("recording=%s started (%s %s) into %s", recording_id, source.platform, source.target[:120], target)
        return recording_id

    def _place_elsewhere(
        self, recording_id: str, worker_id: str, source: StreamSource, spec: dict[str, Any], stream: str
    ) -> str:
        """The row now (the UIs list it at once), the assignment naming its worker: that worker adopts it."""
        self.repository.add_recording(
            RecordingRecord(
                id=recording_id,
                platform=source.platform,
                source=source.target,
                state=RecState.STARTING.value,
                folder=str(spec["folder"]),  # its worker's own folder once it starts there
                segment_seconds=float(spec["segment_seconds"]),
                room_id=spec.get("room_id"),
                quality=spec.get("quality"),
                reason=f"等待工作节点 {worker_id} 开始录制 (placed on worker {worker_id})",
                started_at=datetime.now(UTC),
                worker_id=worker_id,
            )
        )
        assert self._work is not None
        holder = self._work.assign(recording_id, {**spec, "worker_id": worker_id, "placed": True}, stream=stream)
        if holder not in (recording_id, None):
            return self._lost_race(recording_id, holder)
        log.info("recording=%s placed on worker %s (%s)", recording_id, worker_id, source.target[:120])
        return recording_id

    def _lost_race(self, recording_id: str, holder: str) -> str:
        """Another start of the same stream was assigned first (on any worker): this row ends unrecorded, and the
        start answers the recording that holds the stream."""
        self.repository.update_recording(recording_id, state=RecState.FAILED.value, ended_at=datetime.now(UTC),
                                         reason=f"重复的录制请求 (the stream is recorded as {holder})")  # fmt: skip
        log.info("recording=%s: its stream is recorded as %s already; start answered with it", recording_id, holder)
        return holder

    def _new_recorder(
        self,
        recording_id: str,
        source: StreamSource,
        target: Path,
        name: str | None,
        seg_seconds: float,
        disk: DiskGuard,
    ) -> Recorder:
        settings = self._settings
        config = settings.recorder_config(self._base_config, segment_seconds=seg_seconds)
        return Recorder(
            recording_id,
            source,
            target,
            name=name,
            config=config,
            on_event=self._handle_event,
            retry=self._retry,
            spawn=self._spawn,
            disk=disk,
            remuxer=self._remuxer,
            clock=self._clock,
        )

    def adopt(self, items: Iterable[WorkItem]) -> list[str]:
        """Continue every recording in ``items``, each in a new segment of the same recording. Answers the ids
        resumed; assignments that cannot be resumed are released."""
        return [item.id for item in items if self.adopt_one(item)]

    def adopt_one(self, item: WorkItem) -> bool:
        """Run one assigned recording nobody runs (its lease is this process's): placed here, left by this worker's
        last process, or by a worker that died or was cut off. False (and released) when it is not to run."""
        try:
            if self._resume(item):
                return True
        except (StreamCapError, ValueError, OSError) as exc:
            log.warning("recording=%s cannot be resumed: %s", item.id, exc)
        if self._work is not None:
            self._work.release(item.id)
        return False

    def _resume(self, item: WorkItem) -> bool:
        record = self.repository.get_recording(item.id)
        if record is None:
            log.warning("recording=%s assigned but unknown here; released", item.id)
            return False
        if record.state in _FINAL and record.reason != StopReason.SHUTDOWN.value:
            return False  # it ended by itself just before the process went (the release did not happen)
        with self._lock:
            if item.id in self._recorders:
                return True  # runs here already (a start and an adoption pass crossed)
            self._dropped.discard(item.id)
        spec = item.spec
        source = self._source_factory(record.platform, str(spec.get("stream_url") or record.source), record.quality)
        # Its folder on this worker's disk (a recording continued from another machine gets new files here).
        sub = spec.get("folder")
        folder = safe_join(self.root, check_component(str(sub))) if sub else Path(record.folder)
        recorder = self._new_recorder(record.id, source, folder, spec.get("name"), record.segment_seconds, self._disk())
        here = self.worker_id
        fresh = bool(spec.get("placed")) and not item.progress and not record.files  # placed here, never started
        if fresh:
            reason = ""
        else:
            # No journal (it went down before its first file, or its files are on another machine): it opens new
            # files now, numbered as a new stem; the recording's row and totals carry on.
            journal = _journal_of(folder, record.id)
            recorder.resume_from(journal, duration=record.duration, restarts=record.restarts + 1)
            moved = record.worker_id is not None and record.worker_id != here
            reason = (
                f"由工作节点 {here} 接手继续录制 (continued on worker {here})"
                if moved
                else "恢复中 (resuming after a restart)"
            )
        self.repository.update_recording(
            record.id, state=RecState.STARTING.value, ended_at=None, reason=reason, folder=str(folder), worker_id=here
        )
        for seg in recorder.files():  # the segment the crash interrupted may never have been stored
            self.repository.put_file(record.id, FileRecord(str(seg.path), "ts", seg.size, seg.duration, here))
        room_id = record.room_id or spec.get("room_id")
        with self._lock:
            self._recorders[record.id] = recorder
            if room_id:
                self._room_of[record.id] = str(room_id)
        recorder.start()
        log.info("recording=%s %s (%d segment(s) so far here)", record.id, "started" if fresh else "resumed",
                 len(recorder.files()))  # fmt: skip
        return True

    def drop(self, recording_id: str, why: str) -> None:
        """This process lost the recording's lease (a pause or a partition past its TTL, a refused write): its
        ffmpeg stops now and nothing more of it is written here; the segments stay as TS on this disk, as stored.
        The assignment stays: another worker continues the recording."""
        with self._lock:
            self._dropped.add(recording_id)
            recorder = self._recorders.get(recording_id)
        if recorder is not None:
            log.warning("recording=%s dropped here (%s); another worker continues it", recording_id, why)
            recorder.stop(StopReason.SHUTDOWN, remux=False)

    def stop_recording(self, recording_id: str, reason: StopReason | str = StopReason.USER, *, wait: float = 0) -> None:
        with self._lock:
            recorder = self._recorders.get(recording_id)
        if recorder is None:
            record = self.repository.get_recording(recording_id)
            if record is None:
                raise NotFound(f"录制不存在 (no recording {recording_id})")
            if self._work is not None and reason != StopReason.SHUTDOWN and record.state not in _FINAL:
                self._stop_elsewhere(record, reason)
            return  # already finished: stopping is idempotent
        if self._work is not None and reason != StopReason.SHUTDOWN:
            self._work.release(recording_id)  # first: a crash while it stops must not resume it
        recorder.stop(reason)
        if wait:
            recorder.join(wait)

    def _stop_elsewhere(self, record: RecordingRecord, reason: StopReason | str) -> None:
        """A recording this process does not run: its assignment goes, so its owner stops it at its next renewal
        (and writes its end); one that nobody runs (placed, or between owners) ends here."""
        assert self._work is not None
        owner = self._work.owner(record.id)
        self._work.release(record.id)
        if owner is None:
            state = RecState.DONE if record.files else RecState.FAILED
            self.repository.update_recording(record.id, state=state.value, ended_at=datetime.now(UTC),
                                             reason=str(StopReason(reason)))  # fmt: skip
        log.info("recording=%s stopped (it ran on %s)", record.id, owner or "no worker")

    def recorder(self, recording_id: str) -> Recorder | None:
        with self._lock:
            return self._recorders.get(recording_id)

    def list_recordings(self, limit: int = 200) -> list[dict[str, Any]]:
        return [self._view(r) for r in self.repository.list_recordings(limit)]

    def _view(self, record: RecordingRecord) -> dict[str, Any]:
        return recording_view(record, self.recorder(record.id), self.worker_id)

    def get_recording(self, recording_id: str) -> dict[str, Any]:
        record = self.repository.get_recording(recording_id)
        if record is None:
            raise NotFound(f"录制不存在 (no recording {recording_id})")
        return self._view(record)

    def _handle_event(self, data: dict[str, Any]) -> None:
        """Recorder thread: keep the repository in step, then pass the event on."""
        recording_id = data["recording_id"]
        phase = data["state"]
        recorder = self.recorder(recording_id)
        if not self._may_write(recording_id):
            # Its lease is lost: another worker may run it now. Nothing of it is written or announced here.
            if phase in (Phase.DONE, Phase.FAILED):
                with self._lock:
                    self._recorders.pop(recording_id, None)
                    self._room_of.pop(recording_id, None)
            return
        try:
            self._persist(recording_id, phase, data, recorder)
        except StreamCapError as exc:
            log.warning("recording=%s could not store %s: %s", recording_id, phase, exc)
        if recorder is not None and phase in _PROGRESS_PHASES and not self._record_progress(recording_id, recorder):
            return
        if self._on_event is not None:
            self._on_event(data)
        ended = phase in (Phase.DONE, Phase.FAILED)
        if ended and self._work is not None and (recorder is None or recorder.stop_reason is not StopReason.SHUTDOWN):
            self._work.release(recording_id)  # it ended: nothing to resume (a shutdown leaves it assigned)
        if phase in (Phase.DONE, Phase.FAILED):
            with self._lock:
                self._recorders.pop(recording_id, None)
                room_id = self._room_of.pop(recording_id, None)
            if room_id is not None:
                self._notify_monitor_ended(room_id)

    def _may_write(self, recording_id: str) -> bool:
        if self._work is None:
            return True
        with self._lock:
            dropped = recording_id in self._dropped
        if dropped or not self._work.may_write(recording_id):
            if not dropped:
                self.drop(recording_id, "lease lost")  # seen before the lease keeper said so (e.g. after a pause)
            return False
        return True

    def _record_progress(self, recording_id: str, recorder: Recorder) -> bool:
        """The recording's progress in its assignment, fenced by its lease; a refused write drops it here."""
        if self._work is None:
            return True  # no shared store: nothing to record
        progress = recorder.progress
        done = {"segments": progress.segments, "duration": round(progress.duration, 3), "bytes": progress.bytes,
                "worker_id": self.worker_id}  # fmt: skip
        if self._work.progress(recording_id, done):
            return True
        self.drop(recording_id, "progress refused: another worker owns it")
        return False

    def _persist(self, recording_id: str, phase: str, data: dict[str, Any], recorder: Recorder | None) -> None:
        repo = self.repository
        here = self.worker_id
        if phase in (Phase.STARTED, Phase.RESUMED, Phase.SEGMENT_CLOSED) and data.get("file"):
            path = data["file"]
            size, duration = int(data.get("size") or file_size(path, 0)), float(data.get("duration") or 0.0)
            repo.put_file(recording_id, FileRecord(path, "ts", size, duration, here))
        elif phase == Phase.REMUXED and data.get("file"):
            repo.put_file(
                recording_id,
                FileRecord(data["file"], "mp4", int(data.get("size") or 0), float(data.get("duration") or 0.0), here),
                replaces=data.get("ts"),
            )
        changes: dict[str, Any] = {}
        if recorder is not None:
            progress = recorder.progress
            changes = {
                "state": progress.state.value,
                "duration": progress.duration,
                "bytes": progress.bytes,
                "restarts": progress.restarts,
                "reason": recorder.reason,
            }
        if phase in (Phase.DONE, Phase.FAILED):
            changes["state"] = RecState.DONE.value if phase == Phase.DONE else RecState.FAILED.value
            changes["ended_at"] = datetime.now(UTC)
            if data.get("reason"):
                changes["reason"] = data["reason"]
        if changes:
            repo.update_recording(recording_id, **changes)

    # lifecycle

    def recover(self, assigned: Iterable[str] = ()) -> list[str]:
        """Once at start: mark recordings the last run left open, finish their files (recovery.py). Answers their
        ids. Recordings still ``assigned`` (a worker continues them) and those of other workers are not touched."""
        with self._lock:
            running = set(self._recorders)
        return recover_unfinished(self.repository, self._remuxer, self.root, running=running, assigned=set(assigned),
                                  here=self.worker_id, on_event=self._on_event)  # fmt: skip

    def shutdown(self, timeout: float = 20.0, *, remux: bool = False) -> None:
        """Stop every recording. Without ``remux`` the segments stay as TS and the next ``recover()`` remuxes them."""
        with self._lock:
            recorders = list(self._recorders.values())
        for recorder in recorders:
            recorder.stop(StopReason.SHUTDOWN, remux=remux)
        deadline = time.monotonic() + timeout
        for recorder in recorders:
            recorder.join(max(0.1, deadline - time.monotonic()))


async def _awaited(answer: Awaitable[DouyinAnswer]) -> DouyinAnswer:
    return await answer


def _journal_of(folder: Path, recording_id: str) -> Journal | None:
    for path in Journal.find(folder) if folder.is_dir() else []:
        if path.parent != folder:
            continue
        try:
            journal = Journal.load(path)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("recording=%s journal %s unreadable: %s", recording_id, path, exc)
            continue
        if journal.recording_id == recording_id:
            return journal
    return None
