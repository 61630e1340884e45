"""Facts about media files: duration, streams, MP4 box order, a short decode check.

ffprobe is used when installed; otherwise ffmpeg itself reads the file through (``-c copy -f null``), which also
proves every packet can be demuxed. Both paths answer the same ``MediaInfo``.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from shared.ffmpeg import find_ffmpeg, find_ffprobe

__all__ = ["MediaInfo", "decode_check", "mp4_top_level_boxes", "probe", "probe_with_ffmpeg", "probe_with_ffprobe"]

_STREAM_LINE = re.compile(r"Stream #\d+:\d+\S*: (Video|Audio|Data|Subtitle): (\w+)")
_PROBE_TIMEOUT = 600.0


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    # (codec_type, codec_name), e.g. ("video", "h264")
    streams: tuple[tuple[str, str], ...]
    error: str = ""

    @property
    def ok(self) -> bool:
        return (
            not self.error and self.duration > 0 and any(kind == "video" or kind == "audio" for kind, _ in self.streams)
        )

    @property
    def kinds(self) -> set[str]:
        return {kind for kind, _ in self.streams}


def probe(path: Path, *, timeout: float = _PROBE_TIMEOUT) -> MediaInfo:
    return probe_with_ffprobe(path, timeout=timeout) if find_ffprobe() else probe_with_ffmpeg(path, timeout=timeout)


def probe_with_ffprobe(path: Path, *, timeout: float = _PROBE_TIMEOUT) -> MediaInfo:
    ffprobe = find_ffprobe()
    if ffprobe is None:
        return probe_with_ffmpeg(path, timeout=timeout)
    cmd = [
        ffprobe,
        "-v",
        "error",
        "-show_entries",
        "format=duration:stream=codec_type,codec_name",
        "-of",
        "json",
        str(path),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return MediaInfo(0.0, (), "ffprobe timed out")
    if done.returncode != 0:
        return MediaInfo(0.0, (), _tail(done.stderr) or f"ffprobe exit {done.returncode}")
    try:
        data = json.loads(done.stdout or b"{}")
        duration = float(data.get("format", {}).get("duration") or 0.0)
    except (ValueError, TypeError) as exc:
        return MediaInfo(0.0, (), f"ffprobe answer unreadable: {exc}")
    streams = tuple((str(s.get("codec_type", "")), str(s.get("codec_name", ""))) for s in data.get("streams", []))
    return MediaInfo(duration, streams)


def probe_with_ffmpeg(path: Path, *, timeout: float = _PROBE_TIMEOUT) -> MediaInfo:
    cmd = [
        find_ffmpeg(), "-hide_banner", "-nostdin", "-nostats", "-v", "info", "-progress", "pipe:1",
        "-i", str(path), "-map", "0", "-c", "copy", "-f", "null", "-",
    ]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return MediaInfo(0.0, (), "ffmpeg probe timed out")
    stderr = done.stderr.decode("utf-8", "replace")
    streams = tuple((kind.lower(), codec) for kind, codec in _STREAM_LINE.findall(stderr))
    out_us = [int(v) for v in re.findall(r"^out_time_us=(\d+)", done.stdout.decode("ascii", "replace"), re.M)]
    duration = (out_us[-1] / 1e6) if out_us else 0.0
    if done.returncode != 0:
        return MediaInfo(duration, streams, _tail(done.stderr) or f"ffmpeg exit {done.returncode}")
    return MediaInfo(duration, streams)


def decode_check(path: Path, *, seconds: float = 1.0, timeout: float = 60.0) -> str:
    """Decode the first ``seconds``; answer "" when clean, else the error text."""
    cmd = [find_ffmpeg(), "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-t", f"{seconds:g}", "-i", str(path),
           "-f", "null", "-"]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "decode check timed out"
    if done.returncode != 0:
        return _tail(done.stderr) or f"ffmpeg exit {done.returncode}"
    return ""


def mp4_top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types in file order (``moov`` before ``mdat`` means faststart)."""
    boxes: list[str] = []
    size_total = path.stat().st_size
    with path.open("rb") as fh:
        offset = 0
        while offset + 8 <= size_total:
            fh.seek(offset)
            header = fh.read(16)
            size, kind = struct.unpack(">I4s", header[:8])
            if size == 1 and len(header) >= 16:
                size = struct.unpack(">Q", header[8:16])[0]
            elif size == 0:
                size = size_total - offset
            if size < 8:
                break
            boxes.append(kind.decode("latin-1"))
            offset += size
    return boxes


def _tail(raw: bytes, limit: int = 400) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return text[-limit:]
