"""Audio sources: ffmpeg decodes anything it can read (a file, HTTP-FLV/HLS/RTMP) to 16 kHz mono s16le on a pipe.

A ``SourceOpener`` knows how to (re)open one job's source: for a live room it asks the injected resolver for a fresh
stream URL every time, since Douyin stream URLs expire. ``PcmStream`` is one open connection. Reconnecting, with the
retry policy, is the pipeline's business; this module only opens, reads, and says how a connection ended.

ffmpeg must be spawned from the thread that reads it and lives as long as it does: on Linux the child asks to be
killed when its parent *thread* dies (PR_SET_PDEATHSIG, ``shared/procs.py``), so no ffmpeg outlives a crashed
service.
"""

from __future__ import annotations

import collections
import logging
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from services.ast.config import AudioConfig, check_stream_url
from services.ast.engines.base import SAMPLE_RATE
from services.ast.errors import SourceFailed, SourceUnreadable
from shared.ffmpeg import find_ffmpeg
from shared.procs import spawn, stop_in_stages

__all__ = [
    "BYTES_PER_SECOND",
    "FILE_PROTOCOLS",
    "NETWORK_PROTOCOLS",
    "FfmpegOpener",
    "PcmStream",
    "SourceEnd",
    "SourceOpener",
    "UrlResolver",
    "ffmpeg_pcm_command",
]

log = logging.getLogger(__name__)

BYTES_PER_SECOND = SAMPLE_RATE * 2
# Network reads that stall this long end the connection, so a silent drop is noticed and retried.
RW_TIMEOUT_S = 10.0
STOP_GRACE_S = 2.0

# Blocking: the pipeline calls it from its source thread (it bridges to the event loop for async resolvers).
UrlResolver = Callable[[], str]


@dataclass(frozen=True, slots=True)
class SourceEnd:
    """How a connection ended: cleanly (end of file, or the server closed) or with ffmpeg's complaint."""

    ok: bool
    message: str = ""


class PcmStream(Protocol):
    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes of s16le PCM; b"" at the end."""
        ...

    def close(self) -> SourceEnd: ...


class SourceOpener(Protocol):
    @property
    def live(self) -> bool:
        """A live source is reopened when it ends; a finite one ends the job."""
        ...

    def open(self) -> PcmStream:
        """Start a connection. Raises SourceUnreadable (fatal) or SourceFailed (worth retrying)."""
        ...

    def interrupt(self) -> None:
        """Make a blocked ``read`` return soon (called from another thread on stop)."""
        ...


# The only protocols ffmpeg may open for a job, nested ones included (https runs over tls over tcp, an HLS playlist
# opens its segments, an encrypted segment goes through crypto). tcp is in the list because http and rtmp ride on it;
# a bare tcp:// (or udp://, srt://) URL, which could listen, never reaches ffmpeg (config.check_stream_url).
NETWORK_PROTOCOLS = "http,https,tls,tcp,httpproxy,crypto,hls,rtmp,rtmps"
FILE_PROTOCOLS = "file"


def ffmpeg_pcm_command(
    ffmpeg: str, target: str, *, network: bool, realtime: bool = False, start_ms: int = 0
) -> list[str]:
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error"]
    cmd += ["-protocol_whitelist", NETWORK_PROTOCOLS if network else FILE_PROTOCOLS]
    if network:
        cmd += ["-rw_timeout", str(int(RW_TIMEOUT_S * 1_000_000))]
    if realtime:
        cmd += ["-re"]
    if start_ms:
        # An input option: ffmpeg seeks, then decodes from there (sample-exact for audio it transcodes).
        cmd += ["-ss", f"{start_ms / 1000:.3f}"]
    cmd += ["-i", target, "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(SAMPLE_RATE)]
    cmd += ["-acodec", "pcm_s16le", "-f", "s16le", "pipe:1"]
    return cmd


class _FfmpegStream:
    def __init__(self, cmd: list[str], label: str) -> None:
        self._label = label
        log.debug("%s spawn: %s", label, " ".join(cmd))
        self._proc = spawn(cmd, death_signal=int(signal.SIGKILL), stdin=subprocess.DEVNULL, bufsize=0)
        self._stderr: collections.deque[str] = collections.deque(maxlen=8)
        self._interrupted = False
        self._stderr_thread = threading.Thread(target=self._drain_stderr, name=f"{label}-stderr", daemon=True)
        self._stderr_thread.start()

    def _drain_stderr(self) -> None:
        stream: IO[bytes] | None = self._proc.stderr
        if stream is None:
            return
        with stream:  # closed at ffmpeg's exit, not left to the garbage collector
            for line in stream:
                text = line.decode("utf-8", "replace").strip()
                if text:
                    self._stderr.append(text)

    def read(self, size: int) -> bytes:
        assert self._proc.stdout is not None
        return self._proc.stdout.read(size) or b""

    def interrupt(self) -> None:
        self._interrupted = True
        if self._proc.poll() is None:
            self._proc.terminate()

    def close(self) -> SourceEnd:
        proc = self._proc
        if proc.poll() is None:
            self._interrupted = True
        rc = stop_in_stages(proc, ((int(signal.SIGTERM), STOP_GRACE_S),))
        if proc.stdout is not None:
            proc.stdout.close()
        self._stderr_thread.join(1.0)
        message = " | ".join(self._stderr)
        if rc == 0:
            return SourceEnd(True, message)
        if self._interrupted:  # ffmpeg answers SIGTERM with exit code 255; we asked for it
            return SourceEnd(True, "stopped")
        return SourceEnd(False, message or f"ffmpeg exit code {rc}")


class FfmpegOpener:
    """Opens a job's ``audio_config`` with ffmpeg. For ``source=session`` the resolver supplies the stream URL."""

    def __init__(
        self,
        config: AudioConfig,
        *,
        label: str,
        resolve_session: UrlResolver | None = None,
        ffmpeg: str | None = None,
    ) -> None:
        self._config = config
        self._label = label
        self._resolve = resolve_session
        self._ffmpeg = ffmpeg
        self._current: _FfmpegStream | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def live(self) -> bool:
        return self._config.is_live

    def _target(self) -> tuple[str, bool]:
        cfg = self._config
        if cfg.source == "file":
            path = Path(cfg.path or "").expanduser()
            if not path.is_file():
                raise SourceUnreadable(f"音频文件不存在 (file not found): {path}")
            # "file:" so that no part of the name is ever read as another protocol (a folder named "tcp:").
            return f"file:{path.resolve()}", False
        if cfg.source == "url":
            return cfg.url or "", True
        if self._resolve is None:
            raise SourceUnreadable("无法获取直播间的流地址 (no stream resolver for source=session)")
        try:
            url = self._resolve()
        except SourceUnreadable:
            raise
        except Exception as exc:  # any resolver failure is worth another try later
            raise SourceFailed(f"直播流地址解析失败 (stream resolution failed): {exc}") from exc
        if not url:
            raise SourceFailed("直播间当前没有可用的流 (the room has no stream now)")
        try:
            # The platform's answer is remote data: held to the same rule as a url source.
            check_stream_url(url)
        except ValueError as exc:
            raise SourceFailed(f"直播流地址不可用 (unusable stream url): {exc}") from exc
        return url, True

    def open(self) -> PcmStream:
        target, network = self._target()
        cfg = self._config
        cmd = ffmpeg_pcm_command(
            self._ffmpeg or find_ffmpeg(), target, network=network, realtime=cfg.realtime, start_ms=cfg.start_ms
        )
        try:
            stream = _FfmpegStream(cmd, self._label)
        except OSError as exc:
            raise SourceUnreadable(f"无法启动 ffmpeg (cannot start ffmpeg): {exc}") from exc
        with self._lock:
            if self._closed:
                stream.interrupt()
            self._current = stream
        return stream

    def interrupt(self) -> None:
        with self._lock:
            self._closed = True
            if self._current is not None:
                self._current.interrupt()
