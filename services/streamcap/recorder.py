"""One recording: one ffmpeg process at a time, restarted from a fresh resolve until the stream ends or we stop.

ffmpeg copies the stream (no re-encoding, no ``-re``) into MPEG-TS segments cut by time (or, with ``segment_bytes``,
rotated by size), flushing every packet so a crash loses almost nothing. A watchdog restarts a run whose files stop
growing; a read timeout does the same from inside ffmpeg. When the recording ends, the segments are remuxed to MP4.

States::

    idle → starting → recording ⇄ stalled → restarting → starting …
                 any active state → stopping → remuxing → done | failed

Every state change that matters to a user is reported through ``on_event`` as ``recording`` event data
(``{"recording_id", "state", "file", ...}``) with ``state`` one of ``Phase``.

``resume_from(journal)`` before ``start()`` continues a recording a previous process left (adopted after a crash or
a restart): same stem and journal, the old segments kept as they are, the next run writing a new segment after them.
It reports ``resuming`` at once and ``resumed`` (with the new segment) when data flows again.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from services.streamcap import procs
from services.streamcap.command import build_command
from services.streamcap.errors import InvalidState, SourceUnavailable, StreamOffline, UnsupportedSource
from services.streamcap.journal import Journal, JournalState, SegmentStatus, journal_path
from services.streamcap.lifecycle import (
    ACTIVE_STATES,
    CLEAN_REASONS,
    FINAL_STATES,
    REC_MOVES,
    OnEvent,
    Phase,
    Progress,
    RecorderConfig,
    RecState,
    SegmentFile,
    StopReason,
    remux_event,
)
from services.streamcap.remux import Remuxer, RemuxResult
from services.streamcap.segments import find_segments, glob_escape, read_segment_times, segment_pattern, wall_starts
from services.streamcap.sources import ResolvedStream, StreamSource
from services.streamcap.storage import DiskGuard, sanitize_name
from shared.retry import RetryPolicy, exponential
from shared.timeline import Timeline, timeline_path, write_timeline

__all__ = [
    "ACTIVE_STATES",
    "FINAL_STATES",
    "REC_MOVES",
    "Phase",
    "Progress",
    "RecState",
    "Recorder",
    "RecorderConfig",
    "SegmentFile",
    "StopReason",
    "build_command",
    "remux_event",
]

log = logging.getLogger(__name__)

_OFFLINE_STDERR = re.compile(r"Server returned (404|410)|HTTP error (404|410)|404 Not Found", re.I)


@dataclass
class _Run:
    number: int
    start_index: int
    list_path: Path
    proc: procs.ChildProcess | None = None
    got_data: bool = False
    offline: bool = False
    stalled: bool = False
    rotate: bool = False
    disk_full: bool = False
    stopped: bool = False
    returncode: int | None = None
    out_time: float = 0.0
    speed: float = 0.0
    # Wall time (epoch s) of this run's output time 0: the least of (wall clock - out_time) over its progress
    # reports. A live source cannot deliver a frame before it is live, only later, so the least is the truest.
    clock_offset: float | None = None
    stderr_tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=20))


class Recorder:
    """``start()`` returns at once; the work happens on the recorder's own thread (it also owns the ffmpeg child)."""

    def __init__(
        self,
        recording_id: str,
        source: StreamSource,
        folder: Path,
        *,
        name: str | None = None,
        config: RecorderConfig | None = None,
        on_event: OnEvent | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = datetime.now,
        spawn: Callable[..., procs.ChildProcess] = procs.spawn,
        disk: DiskGuard | None = None,
        remuxer: Remuxer | None = None,
        sleep: Callable[[float], None] | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.recording_id = recording_id
        self.source = source
        self.folder = folder
        self.config = config or RecorderConfig()
        self._name = name
        self._on_event = on_event
        self._retry = retry or exponential(1.0, 30.0)
        self._clock = clock
        self._now = now
        self._spawn = spawn
        self._disk = disk
        self._remuxer = remuxer
        self._sleep = sleep  # a fake clock's sleep in scenario tests; None: wait on the stop flag
        self._wall = wall  # the wall clock each segment's timeline is measured on (shared/timeline.py)
        self._timelines: dict[int, int] = {}  # segment index -> wall_start_ms last written
        self._state = RecState.IDLE
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._stop_reason: StopReason | None = None
        self._remux_on_stop: bool | None = None
        self._thread: threading.Thread | None = None
        self._journal: Journal | None = None
        self.stem = ""
        self.segments: dict[int, SegmentFile] = {}
        self.mp4_files: list[RemuxResult] = []
        self.reason = ""
        self.restarts = 0
        self._base_duration = 0.0
        self._run: _Run | None = None
        self._started_event_sent = False
        self._first_index = 0
        self.resumed = False

    # lifecycle

    @property
    def state(self) -> RecState:
        return self._state

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stop_reason(self) -> StopReason | None:
        return self._stop_reason

    @property
    def resuming(self) -> bool:
        """Adopted after a restart, and no data recorded since."""
        return (
            self.resumed
            and not self._started_event_sent
            and (self._state in ACTIVE_STATES or self._state is RecState.IDLE)
        )

    def resume_from(self, journal: Journal | None, *, duration: float = 0.0, restarts: int = 0) -> None:
        """Continue the recording ``journal`` belongs to (call before ``start``): its segments stay, closed as they
        are; the next run starts a new segment numbered after them. ``duration``/``restarts`` carry on the totals.
        Without a journal (the process went down before the first file) the recording opens its files as usual."""
        with self._lock:
            if self._thread is not None:
                raise InvalidState(f"recording {self.recording_id} already started")
            self._base_duration = duration
            self.restarts = restarts
            self.resumed = True
            if journal is None:
                return
            self.stem = journal.stem
            self._journal = journal
            pattern = segment_pattern(journal.stem)
            names = set(journal.segments) | {p.name for p in self.folder.glob(f"{glob_escape(journal.stem)}_*.ts")}
            for name in sorted(names):
                match = pattern.match(name)
                if match is None:
                    continue
                index = int(match.group(1))
                self._first_index = max(self._first_index, index + 1)
                entry = journal.segments.get(name)
                if entry is not None and entry.status in (SegmentStatus.REMUXED, SegmentStatus.EMPTY):
                    continue
                path = self.folder / name
                size = path.stat().st_size if path.is_file() else 0
                if size == 0:
                    continue
                # The segment the crash interrupted ends where ffmpeg stopped writing it: it is closed now.
                journal.update(name, status=SegmentStatus.CLOSED)
                duration_s = entry.duration if entry is not None else 0.0
                self.segments[index] = SegmentFile(path, index, size, duration_s, closed=True)

    def start(self) -> None:
        with self._lock:
            if self._state is not RecState.IDLE or self._thread is not None:
                raise InvalidState(f"recording {self.recording_id} already started ({self._state})")
            self.folder.mkdir(parents=True, exist_ok=True)
            self._set_state(RecState.STARTING)
            thread = self._thread = threading.Thread(
                target=self._main, name=f"recorder-{self.recording_id}", daemon=True
            )
        if self.resumed:
            self._emit(
                Phase.RESUMING, reason="服务重启后继续录制 (resuming after a restart)", segments=len(self.segments)
            )
        thread.start()

    def stop(self, reason: StopReason | str = StopReason.USER, *, remux: bool | None = None) -> None:
        """Ask the recording to end (non-blocking). ``remux=False`` leaves the segments for recovery (fast shutdown)."""
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = StopReason(reason)
            self._remux_on_stop = remux
            self._stop.set()
            if self._state is RecState.IDLE:
                self._set_state(RecState.DONE)

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.is_running

    @property
    def progress(self) -> Progress:
        run = self._run
        duration = self._base_duration + (run.out_time if run is not None else 0.0)
        with self._lock:
            size = sum(s.size for s in self.segments.values())
            count = len(self.segments)
        return Progress(self._state, duration, size, run.speed if run else 0.0, count, self.restarts, self.reason)

    def files(self) -> list[SegmentFile]:
        with self._lock:
            return [
                SegmentFile(s.path, s.index, s.size, s.duration, s.closed)
                for s in sorted(self.segments.values(), key=lambda s: s.index)
            ]

    # state and events

    def _set_state(self, new: RecState) -> None:
        """One move of REC_MOVES; an illegal one raises IllegalTransition (the recorder thread's top reports it and
        ends the recording as failed). Changes go out as the ``recording`` events the recorder emits, as before."""
        with self._lock:
            old = self._state
            self._state = REC_MOVES.move(f"recording {self.recording_id}", old, new)
        if old is not new:
            log.debug("recording=%s state %s -> %s", self.recording_id, old, new)

    def _emit(self, phase: Phase, file: Path | None = None, **extra: Any) -> None:
        data: dict[str, Any] = {
            "recording_id": self.recording_id,
            "state": phase.value,
            "file": str(file) if file else None,
        }
        data.update(extra)
        if self._on_event is None:
            return
        try:
            self._on_event(data)
        except Exception:  # a broken listener must not kill the recording
            log.exception("recording=%s event callback failed for %s", self.recording_id, phase)

    # the recorder thread

    def _main(self) -> None:
        try:
            self._loop()
            self._finish()
        except Exception as exc:  # the top of a thread: report anything, never die silently
            log.exception("recording=%s crashed", self.recording_id)
            self.reason = f"{StopReason.ERROR}: {exc}"
            with self._lock:
                self._state = RecState.FAILED
            self._emit(Phase.FAILED, reason=self.reason)

    def _loop(self) -> None:
        failures = 0
        total = 0
        while not self._stop.is_set():
            try:
                stream = self.source.resolve(total)
            except StreamOffline as exc:
                self._end(StopReason.OFFLINE, str(exc))
                return
            except UnsupportedSource as exc:
                self._end(StopReason.UNSUPPORTED, str(exc))
                return
            except SourceUnavailable as exc:
                failures += 1
                log.warning("recording=%s resolve failed (%d): %s", self.recording_id, failures, exc)
                if not self._retry_or_end(failures, total, str(exc)):
                    return
                total += 1
                continue
            if not self.stem:
                self._open_files(stream)
            if self._disk is not None and not self._disk.has_room(self.folder):
                self._end(StopReason.DISK_FULL, "磁盘空间不足 (free space below the minimum)")
                return
            run = self._run_once(stream, total)
            total += 1
            if run.stopped or self._stop.is_set():
                return
            if run.offline and not run.got_data:
                self._end(StopReason.OFFLINE, "直播已结束 (stream offline)")
                return
            if run.disk_full:
                self._end(StopReason.DISK_FULL, "磁盘空间不足 (free space below the minimum)")
                return
            if run.rotate:
                continue
            failures = 0 if run.got_data else failures + 1
            why = "stalled" if run.stalled else f"ffmpeg exited ({run.returncode})"
            if not self._retry_or_end(max(1, failures), total, why):
                return

    def _retry_or_end(self, failures: int, total: int, why: str) -> bool:
        if failures >= self.config.max_failed_starts:
            self._end(StopReason.UNREACHABLE, f"无法连接直播流 (gave up after {failures} attempts: {why})")
            return False
        self._set_state(RecState.RESTARTING)
        self.restarts += 1
        delay = self._retry(failures, total)
        log.info("recording=%s restarting in %.1fs: %s", self.recording_id, delay, why)
        self._emit(Phase.RESTARTED, reason=why, attempt=failures, delay=round(delay, 3))
        if self._wait(delay):
            return False
        self._set_state(RecState.STARTING)
        return True

    def _wait(self, seconds: float) -> bool:
        """Wait ``seconds`` (less when asked to stop); True when the recording was asked to stop."""
        if self._sleep is None:
            return self._stop.wait(seconds)
        self._sleep(seconds)
        return self._stop.is_set()

    def _end(self, reason: StopReason, detail: str) -> None:
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
        self.reason = f"{reason}: {detail}" if detail else str(reason)
        log.info("recording=%s ending: %s", self.recording_id, self.reason)
        self._stop.set()

    def _open_files(self, stream: ResolvedStream) -> None:
        base = sanitize_name(self._name or stream.name or self.source.target, fallback="recording")
        stamp = self._now().strftime("%Y%m%d-%H%M%S")
        stem, n = f"{base}_{stamp}", 1
        # Two recordings of one room in the same second must not share files.
        while journal_path(self.folder, stem).exists() or any(self.folder.glob(f"{glob_escape(stem)}_*")):
            n += 1
            stem = f"{base}_{stamp}-{n}"
        self.stem = stem
        self._journal = Journal.create(self.folder, self.recording_id, stem)

    def _run_once(self, stream: ResolvedStream, number: int) -> _Run:
        start_index = max(max(self.segments, default=-1) + 1, self._first_index)
        run = _Run(number=number, start_index=start_index, list_path=self.folder / f".{self.stem}.run{number}.csv")
        pattern = self.folder / f"{self.stem.replace('%', '%%')}_%03d.ts"
        cmd = build_command(stream, pattern, run.list_path, start_index, self.config)
        log.info("recording=%s run %d: %s (%s)", self.recording_id, number, _redact(stream.url), stream.quality)
        proc = self._spawn(cmd)
        run.proc = proc
        self._run = run
        readers = [
            threading.Thread(target=self._read_progress, args=(proc.stdout, run), daemon=True),
            threading.Thread(target=self._read_stderr, args=(proc.stderr, run), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            self._watch(run)
        finally:
            if proc.poll() is None:
                procs.stop_process(proc, self.config.stop_waits, polite=not run.stalled)
            run.returncode = proc.wait()
            for reader in readers:
                reader.join(timeout=5)
            procs.close_pipes(proc)
            self._scan(run, final=True)
            self._base_duration += run.out_time
            run.list_path.unlink(missing_ok=True)
            self._run = None
        if run.returncode not in (0, None) and not run.got_data:
            run.offline = run.offline or any(_OFFLINE_STDERR.search(line) for line in run.stderr_tail)
            log.warning(
                "recording=%s ffmpeg exit %s: %s", self.recording_id, run.returncode, " | ".join(run.stderr_tail)[-500:]
            )
        return run

    def _watch(self, run: _Run) -> None:
        assert run.proc is not None
        last_growth = last_disk = self._clock()
        last_bytes = -1
        cfg = self.config
        while run.proc.poll() is None:
            if self._wait(cfg.tick):
                run.stopped = True
                procs.stop_process(run.proc, cfg.stop_waits)
                return
            now = self._clock()
            size = self._scan(run, final=False)
            if size > max(last_bytes, 0):
                last_bytes, last_growth = size, now
                if not run.got_data:
                    run.got_data = True
                    self._on_data()
            elif now - last_growth >= (cfg.stall_timeout if run.got_data else cfg.start_timeout):
                run.stalled = True
                self._stalled(now - last_growth)
                return
            if cfg.segment_bytes > 0 and self._current_size(run) >= cfg.segment_bytes:
                run.rotate = True
                procs.stop_process(run.proc, cfg.stop_waits)
                return
            if self._disk is not None and now - last_disk >= cfg.disk_check_interval:
                last_disk = now
                if not self._disk.has_room(self.folder):
                    run.disk_full = True
                    procs.stop_process(run.proc, cfg.stop_waits)
                    return

    def _on_data(self) -> None:
        self._set_state(RecState.RECORDING)
        if not self._started_event_sent:
            self._started_event_sent = True
            if self.resumed:  # the segment the new run writes, after those the previous process left
                newest = self.segments[max(self.segments)].path if self.segments else None
                log.info("recording=%s resumed into %s", self.recording_id, newest)
                self._emit(Phase.RESUMED, newest)
                return
            first = self.segments[min(self.segments)].path if self.segments else None
            log.info("recording=%s recording into %s", self.recording_id, self.folder)
            self._emit(Phase.STARTED, first)

    def _stalled(self, silent_for: float) -> None:
        log.warning("recording=%s no data for %.1fs, restarting from a fresh resolve", self.recording_id, silent_for)
        if self._state is RecState.RECORDING:
            self._set_state(RecState.STALLED)
        self._emit(Phase.STALLED, reason=f"no data for {silent_for:.1f}s")

    def _current_size(self, run: _Run) -> int:
        with self._lock:
            mine = [s for i, s in self.segments.items() if i >= run.start_index]
        return max(mine, key=lambda s: s.index).size if mine else 0

    def _scan(self, run: _Run, *, final: bool) -> int:
        """Refresh segment sizes; report segments ffmpeg has moved past (or all, at the end of a run)."""
        found = find_segments(self.folder, self.stem, run.start_index)
        times = read_segment_times(run.list_path)
        durations = {name: max(0.0, end - start) for name, (start, end) in times.items()}
        closed_now: list[SegmentFile] = []
        with self._lock:
            for index, path in found.items():
                seg = self.segments.get(index)
                if seg is None:
                    seg = self.segments[index] = SegmentFile(path, index)
                    if self._journal is not None:
                        self._journal.update(path.name, status=SegmentStatus.RECORDING)
                try:
                    seg.size = path.stat().st_size
                except FileNotFoundError:
                    seg.size = 0
            newest = max(found, default=-1)
            for index, seg in self.segments.items():
                if seg.closed or index < run.start_index:
                    continue
                if final or index < newest:
                    seg.closed = True
                    seg.duration = durations.get(seg.path.name, seg.duration)
                    closed_now.append(seg)
            total = sum(s.size for i, s in self.segments.items() if i >= run.start_index)
        self._write_timelines(run, times)
        for seg in closed_now:
            self._close_segment(seg)
        return total

    def _write_timelines(self, run: _Run, times: dict[str, tuple[float, float]]) -> None:
        """Beside each segment of ``run``, the wall time of its first frame (segments.wall_starts); rewritten when
        the run's clock offset improves."""
        offset = run.clock_offset
        if offset is None:
            return
        with self._lock:
            mine = sorted((s for i, s in self.segments.items() if i >= run.start_index), key=lambda s: s.index)
        for seg, wall_ms in wall_starts(mine, run.start_index, times, offset):
            if self._timelines.get(seg.index) == wall_ms or seg.size == 0:
                continue
            try:
                write_timeline(seg.path, Timeline(wall_ms))
            except OSError as exc:
                log.warning("recording=%s timeline of %s not written: %s", self.recording_id, seg.path.name, exc)
                continue
            self._timelines[seg.index] = wall_ms

    def _close_segment(self, seg: SegmentFile) -> None:
        if seg.size == 0:
            # ffmpeg opens the next file before it has data; an empty one is not a segment.
            seg.path.unlink(missing_ok=True)
            timeline_path(seg.path).unlink(missing_ok=True)
            with self._lock:
                self.segments.pop(seg.index, None)
            if self._journal is not None:
                self._journal.update(seg.path.name, status=SegmentStatus.EMPTY)
            return
        if self._journal is not None:
            self._journal.update(seg.path.name, status=SegmentStatus.CLOSED, duration=seg.duration)
        self._emit(Phase.SEGMENT_CLOSED, seg.path, duration=round(seg.duration, 3), size=seg.size)

    def _read_progress(self, stream: IO[bytes] | None, run: _Run) -> None:
        if stream is None:
            return
        for raw in iter(stream.readline, b""):
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            if key == "out_time_us" and value.isdigit():
                run.out_time = int(value) / 1e6
                if run.out_time > 0:
                    offset = self._wall() - run.out_time
                    if run.clock_offset is None or offset < run.clock_offset:
                        run.clock_offset = offset
            elif key == "speed":
                with contextlib.suppress(ValueError):
                    run.speed = float(value.strip().rstrip("x"))

    def _read_stderr(self, stream: IO[bytes] | None, run: _Run) -> None:
        if stream is None:
            return
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            run.stderr_tail.append(line)
            if _OFFLINE_STDERR.search(line):
                run.offline = True
            log.debug("recording=%s ffmpeg: %s", self.recording_id, line)

    def _finish(self) -> None:
        reason = self._stop_reason or StopReason.USER
        if not self.reason:
            self.reason = str(reason)
        self._set_state(RecState.STOPPING)
        progress = self.progress
        recorded = any(s.size > 0 for s in self.segments.values())
        self._emit(Phase.STOPPED, reason=self.reason, duration=round(progress.duration, 3), bytes=progress.bytes)
        remux = self.config.remux if self._remux_on_stop is None else self._remux_on_stop
        if recorded and remux and self._remuxer is not None and self._journal is not None:
            self._set_state(RecState.REMUXING)
            report = self._remuxer.remux_journal(self._journal, self._on_remuxed)
            if report.failed:
                log.warning(
                    "recording=%s %d segment(s) kept as TS: %s",
                    self.recording_id,
                    len(report.failed),
                    report.failed[0].error,
                )
        elif self._journal is not None and not recorded:
            self._journal.remove()
        if recorded or reason in CLEAN_REASONS:
            self._set_state(RecState.DONE)
            self._emit(Phase.DONE, reason=self.reason)
        else:
            self._set_state(RecState.FAILED)
            self._emit(Phase.FAILED, reason=self.reason)

    def _on_remuxed(self, result: RemuxResult) -> None:
        with self._lock:
            self.mp4_files.append(result)
        data = remux_event(self.recording_id, result)
        if data is not None and self._on_event is not None:
            try:
                self._on_event(data)
            except Exception:  # a broken listener must not kill the recording
                log.exception("recording=%s event callback failed for %s", self.recording_id, data["state"])

    @property
    def journal_state(self) -> JournalState | None:
        return self._journal.state if self._journal else None


def _redact(url: str) -> str:
    # Signed CDN URLs carry credentials in the query; logs keep only the path.
    return url.split("?", 1)[0]
