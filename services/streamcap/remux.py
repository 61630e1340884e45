"""TS segments → MP4 (stream copy, faststart), verified before the TS goes, and crash recovery from journals.

Order of a remux, chosen so that no crash point leaves a broken file as a final product:
``x.ts`` → ffmpeg writes ``x.mp4.part`` → verify (streams, duration within tolerance, moov before mdat, a short
decode) → rename to ``x.mp4`` → journal says remuxed → delete ``x.ts``. A ``.part`` found later is always garbage;
a TS is deleted only once its MP4 is proven.
"""

from __future__ import annotations

import functools
import logging
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from services.streamcap import media
from services.streamcap.errors import RemuxError, StorageFull
from services.streamcap.journal import Journal, JournalState, SegmentStatus
from services.streamcap.storage import DiskGuard
from shared.ffmpeg import find_ffmpeg
from shared.timeline import timeline_path

__all__ = ["RemuxReport", "RemuxResult", "Remuxer", "part_path"]

log = logging.getLogger(__name__)

PART_SUFFIX = ".part"


def part_path(mp4: Path) -> Path:
    return mp4.with_name(mp4.name + PART_SUFFIX)


@dataclass(frozen=True)
class RemuxResult:
    ts: Path
    mp4: Path | None
    duration: float = 0.0
    error: str = ""
    # True when the TS held no media at all and was dropped.
    empty: bool = False


@dataclass
class RemuxReport:
    recording_id: str
    results: list[RemuxResult] = field(default_factory=list)

    @property
    def failed(self) -> list[RemuxResult]:
        return [r for r in self.results if r.error]


OnRemuxed = Callable[[RemuxResult], None]


class Remuxer:
    """Shared by every recording of the process: ``max_parallel`` bounds ffmpeg remuxes across all of them."""

    def __init__(
        self,
        *,
        max_parallel: int = 2,
        delete_ts: bool = True,
        disk: DiskGuard | None = None,
        tolerance: float = 1.0,
        timeout: float = 3600.0,
    ) -> None:
        self._slots = threading.BoundedSemaphore(max(1, max_parallel))
        self.max_parallel = max(1, max_parallel)
        self.delete_ts = delete_ts
        self.disk = disk
        self.tolerance = tolerance
        self.timeout = timeout

    # one file

    def remux_file(self, ts: Path, *, expected_duration: float | None = None) -> RemuxResult:
        mp4 = ts.with_suffix(".mp4")
        part = part_path(mp4)
        part.unlink(missing_ok=True)
        if mp4.is_file():
            # A crash between the rename and the TS deletion: keep the MP4 if it proves good.
            if not ts.is_file():
                return RemuxResult(ts, mp4, media.probe(mp4).duration)
            info = media.probe(ts)
            if self._verify(mp4, info.duration, info.kinds) == "":
                self._finish(ts)
                return RemuxResult(ts, mp4, info.duration)
            mp4.unlink()
        if not ts.is_file() or ts.stat().st_size == 0:
            ts.unlink(missing_ok=True)
            timeline_path(ts).unlink(missing_ok=True)  # the clock of a file that is no more
            return RemuxResult(ts, None, empty=True)
        source = media.probe(ts)
        if not source.kinds & {"video", "audio"}:
            # Nothing decodable (a segment opened just before a crash): there is no media to lose.
            log.info("recording= remux: %s holds no media, dropping it", ts.name)
            ts.unlink(missing_ok=True)
            timeline_path(ts).unlink(missing_ok=True)
            return RemuxResult(ts, None, empty=True)
        if self.disk is not None:
            try:
                self.disk.check(ts.parent, extra=ts.stat().st_size)
            except StorageFull as exc:
                return RemuxResult(ts, None, error=str(exc))
        hevc = any(codec == "hevc" for _, codec in source.streams)
        kinds = source.kinds
        with self._slots:
            error = self._run_ffmpeg(ts, part, hevc=hevc, kinds=("v", "a"))
            # A segment cut just as a stream stalled can hold a stream with no packets (its parameters never
            # arrived); the MP4 muxer refuses it. Dropping that empty stream loses nothing.
            for marker, keep, lost in (("sample rate not set", "v", "audio"), ("dimensions not set", "a", "video")):
                if marker in error:
                    log.info("recording= remux: %s has an empty %s stream, remuxing without it", ts.name, lost)
                    error = self._run_ffmpeg(ts, part, hevc=hevc, kinds=(keep,))
                    kinds = kinds - {lost}
                    break
        if error:
            part.unlink(missing_ok=True)
            return RemuxResult(ts, None, error=error)
        expected = source.duration or expected_duration or 0.0
        problem = self._verify(part, expected, kinds)
        if problem:
            part.unlink(missing_ok=True)
            return RemuxResult(ts, None, error=problem)
        part.replace(mp4)
        self._finish(ts)
        return RemuxResult(ts, mp4, media.probe(mp4).duration)

    def _finish(self, ts: Path) -> None:
        if self.delete_ts:
            ts.unlink(missing_ok=True)

    def _run_ffmpeg(self, ts: Path, part: Path, *, hevc: bool, kinds: tuple[str, ...]) -> str:
        maps = [arg for kind in kinds for arg in ("-map", f"0:{kind}?")]
        cmd = [find_ffmpeg(), "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y", "-i", str(ts),
               *maps, "-c", "copy", *(["-tag:v", "hvc1"] if hevc and "v" in kinds else []),
               "-movflags", "+faststart", "-f", "mp4", str(part)]  # fmt: skip
        log.debug("recording= remux: %s", subprocess.list2cmdline(cmd))
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            return f"remux timed out after {self.timeout:g}s"
        if done.returncode != 0:
            return done.stderr.decode("utf-8", "replace").strip()[-400:] or f"ffmpeg exit {done.returncode}"
        return ""

    def _verify(self, mp4: Path, expected: float, kinds: set[str]) -> str:
        """ "" when ``mp4`` is a complete, playable copy; else why not."""
        info = media.probe(mp4)
        if not info.ok:
            return f"MP4 unreadable: {info.error or 'no media'}"
        if not kinds <= info.kinds | {"data", "subtitle"}:
            return f"MP4 lost streams: {sorted(kinds)} -> {sorted(info.kinds)}"
        if expected > 0 and abs(info.duration - expected) > max(self.tolerance, expected * 0.01):
            return f"MP4 duration {info.duration:.2f}s differs from the TS {expected:.2f}s"
        boxes = media.mp4_top_level_boxes(mp4)
        if "moov" not in boxes or "mdat" not in boxes or boxes.index("moov") > boxes.index("mdat"):
            return f"MP4 not faststart (boxes {boxes})"
        error = media.decode_check(mp4)
        return f"MP4 does not decode: {error}" if error else ""

    # a whole recording

    def remux_journal(self, journal: Journal, on_file: OnRemuxed | None = None) -> RemuxReport:
        """Remux every segment the journal has not finished, ``max_parallel`` at a time; update the journal."""
        journal.set_state(JournalState.REMUXING)
        report = RemuxReport(journal.recording_id)
        pending = [e for e in journal.segments.values() if e.status not in (SegmentStatus.REMUXED, SegmentStatus.EMPTY)]
        # Segments ffmpeg created but the journal never heard of (a crash before the scan saw them).
        known = set(journal.segments)
        for ts in sorted(journal.folder.glob("*.ts")):
            if ts.name.startswith(f"{journal.stem}_") and ts.name not in known:
                pending.append(journal.update(ts.name, status=SegmentStatus.CLOSED))

        def one(name: str, duration: float) -> RemuxResult:
            result = self.remux_file(journal.folder / name, expected_duration=duration or None)
            if result.empty:
                journal.update(name, status=SegmentStatus.EMPTY)
            elif result.error:
                journal.update(name, status=SegmentStatus.FAILED, error=result.error)
                log.warning("recording=%s remux of %s failed: %s", journal.recording_id, name, result.error)
            else:
                assert result.mp4 is not None
                journal.update(name, status=SegmentStatus.REMUXED, mp4=result.mp4.name, duration=result.duration)
                log.info("recording=%s remuxed %s (%.1fs)", journal.recording_id, result.mp4.name, result.duration)
            if on_file is not None:
                on_file(result)
            return result

        with ThreadPoolExecutor(max_workers=self.max_parallel, thread_name_prefix="remux") as pool:
            futures = [pool.submit(one, e.ts, e.duration) for e in sorted(pending, key=lambda e: e.ts)]
            report.results = [f.result() for f in futures]
        if report.failed:
            # Keep the journal (and the TS) so a later start can try again.
            journal.set_state(JournalState.REMUXING)
        else:
            journal.set_state(JournalState.DONE)
            journal.remove()
            _remove_run_lists(journal)
        return report

    def recover(
        self, root: Path, on_file: Callable[[str, RemuxResult], None] | None = None, *, skip: set[str] | None = None
    ) -> list[RemuxReport]:
        """Finish what a crash left under ``root``: stray ``.part`` files go, unfinished journals are remuxed.

        ``skip`` holds recording ids that are running now (their journals are live, not leftovers).
        """
        skip = skip or set()
        reports: list[RemuxReport] = []
        journals = []
        for path in Journal.find(root):
            try:
                journals.append(Journal.load(path))
            except (OSError, ValueError, KeyError) as exc:
                log.warning("recording= journal %s unreadable, left as is: %s", path, exc)
        live_stems = {j.stem for j in journals if j.recording_id in skip}
        for part in root.rglob(f"*.mp4{PART_SUFFIX}") if root.is_dir() else []:
            if not any(part.name.startswith(f"{stem}_") for stem in live_stems):
                log.info("recording= removing half-written %s", part)
                part.unlink(missing_ok=True)
        for journal in journals:
            if journal.recording_id in skip:
                continue
            log.info("recording=%s finishing what was left unfinished in %s", journal.recording_id, journal.folder)
            for name, entry in list(journal.segments.items()):
                if entry.status is SegmentStatus.RECORDING:
                    journal.update(name, status=SegmentStatus.CLOSED)
            callback = None if on_file is None else functools.partial(on_file, journal.recording_id)
            reports.append(self.remux_journal(journal, callback))
        return reports


def _remove_run_lists(journal: Journal) -> None:
    # The segment lists of ffmpeg runs a crash interrupted (the recorder deletes them after a clean run).
    prefix = f".{journal.stem}.run"
    for path in journal.folder.iterdir():
        if path.name.startswith(prefix) and path.suffix == ".csv":
            path.unlink(missing_ok=True)


def raise_for(report: RemuxReport) -> None:
    if report.failed:
        first = report.failed[0]
        raise RemuxError(f"{len(report.failed)} segment(s) not remuxed, first {first.ts.name}: {first.error}")
