"""The "烧录弹幕" job: ffmpeg renders a copy of a recorded file with its danmaku burned in.

One job at a time for the whole gateway (it takes a CPU core or two for about the file's length); a second request
while one runs is refused (``BurnBusy``, a 409). Progress is ffmpeg's ``-progress`` ``out_time`` over the file's
duration. Cancel stops ffmpeg and removes the half-written copy.

The copy is ``<stem>.danmaku-burned.mp4`` beside the file: our name, derived from the recording's own file, never
from a request. ffmpeg writes ``….part`` first and the name appears only once it finished. The ASS file goes to the
filter under a fixed name in a private temporary folder (the filter graph would otherwise have to escape the path).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from shared.ffmpeg import find_ffmpeg
from shared.procs import spawn

__all__ = ["BurnBusy", "BurnJobs", "BurnState", "BurnStatus", "burned_path"]

log = logging.getLogger(__name__)

BURNED_SUFFIX = ".danmaku-burned.mp4"


class BurnState(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class BurnBusy(Exception):
    pass


@dataclass
class BurnStatus:
    state: BurnState = BurnState.IDLE
    recording_id: str | None = None
    file_index: int | None = None
    percent: float = 0.0
    output: str | None = None
    error: str = ""
    started_ms: int | None = None
    ended_ms: int | None = None

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        return data


def burned_path(media: Path) -> Path:
    return media.with_name(media.stem + BURNED_SUFFIX)


class BurnJobs:
    def __init__(self, *, encoder_args: tuple[str, ...] = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "21")):
        self.encoder_args = encoder_args
        self._lock = threading.Lock()
        self._status = BurnStatus()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()

    @property
    def status(self) -> BurnStatus:
        with self._lock:
            return BurnStatus(**asdict(self._status))

    def start(self, recording_id: str, file_index: int, media: Path, ass: Path, duration: float) -> BurnStatus:
        """Start rendering ``media`` with ``ass`` burned in; BurnBusy while another job runs."""
        with self._lock:
            if self._status.state is BurnState.RUNNING:
                raise BurnBusy(
                    f"正在烧录另一个文件（{self._status.percent:.0f}%），请等它完成或先取消 "
                    "(a burn job is already running: wait for it or cancel it)"
                )
            output = burned_path(media)
            self._cancel.clear()
            self._status = BurnStatus(
                BurnState.RUNNING, recording_id, file_index, 0.0, str(output), "", int(time.time() * 1000)
            )
            thread = self._thread = threading.Thread(
                target=self._run, args=(media, ass, output, max(duration, 0.001)), name="burn", daemon=True
            )
        thread.start()
        return self.status

    def cancel(self) -> BurnStatus:
        """Stop the running job (nothing to do when none runs); answers once ffmpeg has gone."""
        with self._lock:
            thread = self._thread if self._status.state is BurnState.RUNNING else None
            self._cancel.set()
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
        if thread is not None:
            thread.join(15)
        return self.status

    def close(self) -> None:
        self.cancel()

    def join(self, timeout: float | None = None) -> bool:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _finish(self, state: BurnState, error: str = "") -> None:
        with self._lock:
            self._status.state = state
            self._status.error = error
            self._status.ended_ms = int(time.time() * 1000)
            if state is BurnState.DONE:
                self._status.percent = 100.0
            else:
                self._status.output = None
            self._proc = None

    def _run(self, media: Path, ass: Path, output: Path, duration: float) -> None:
        part = output.with_name(output.name + ".part")
        try:
            with tempfile.TemporaryDirectory(prefix="timao-burn-") as work:
                shutil.copyfile(ass, Path(work) / "danmaku.ass")
                cmd = [find_ffmpeg(), "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y",
                       "-progress", "pipe:1", "-i", str(media), "-map", "0:v:0", "-map", "0:a?",
                       "-vf", "ass=danmaku.ass", *self.encoder_args, "-c:a", "copy",
                       "-movflags", "+faststart", "-f", "mp4", str(part)]  # fmt: skip
                with self._lock:
                    if self._cancel.is_set():
                        raise _Cancelled
                    proc = self._proc = spawn(cmd, stdin=subprocess.DEVNULL, cwd=work)
                stderr_tail: list[str] = []
                err_reader = threading.Thread(target=_tail, args=(proc.stderr, stderr_tail), daemon=True)
                err_reader.start()
                self._read_progress(proc.stdout, duration)
                code = proc.wait()
                err_reader.join(5)
                for pipe in (proc.stdout, proc.stderr):
                    if pipe is not None:
                        pipe.close()
            if self._cancel.is_set():
                raise _Cancelled
            if code != 0:
                raise RuntimeError(" | ".join(stderr_tail)[-400:] or f"ffmpeg exit {code}")
            part.replace(output)
            log.info("burn: wrote %s", output)
            self._finish(BurnState.DONE)
        except _Cancelled:
            part.unlink(missing_ok=True)
            log.info("burn: cancelled %s", media.name)
            self._finish(BurnState.CANCELLED, "已取消 (cancelled)")
        except Exception as exc:  # the top of the job's thread: report it in the status, never die silently
            part.unlink(missing_ok=True)
            log.warning("burn: %s failed: %s", media.name, exc)
            self._finish(BurnState.FAILED, f"烧录失败 (burn failed): {exc}")

    def _read_progress(self, stream: IO[bytes] | None, duration: float) -> None:
        if stream is None:
            return
        for raw in iter(stream.readline, b""):
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            if key == "out_time_us" and value.isdigit():
                with self._lock:
                    self._status.percent = round(min(99.9, int(value) / 1e6 / duration * 100), 1)


class _Cancelled(Exception):
    pass


def _tail(stream: IO[bytes] | None, lines: list[str]) -> None:
    if stream is None:
        return
    with contextlib.suppress(ValueError, OSError):
        for raw in iter(stream.readline, b""):
            lines.append(raw.decode("utf-8", "replace").rstrip())
            del lines[:-10]
