"""Where the ffmpeg binaries are: PATH first, else the one inside the ``imageio-ffmpeg`` wheel.

Resolved once per process and cached (ffmpeg is spawned often; a PATH walk each time is waste). The wheel carries
no ffprobe, so ``find_ffprobe`` may answer None and callers fall back to probing with ffmpeg itself.
"""

from __future__ import annotations

import functools
import os
import shutil

from shared.errors import ConfigError

__all__ = ["find_ffmpeg", "find_ffprobe"]


@functools.cache
def find_ffmpeg() -> str:
    override = os.environ.get("TIMAO_FFMPEG")
    if override:
        return override
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise ConfigError("ffmpeg not found: install ffmpeg or the imageio-ffmpeg package") from exc
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        raise ConfigError(f"ffmpeg not found: {exc}") from exc


@functools.cache
def find_ffprobe() -> str | None:
    override = os.environ.get("TIMAO_FFPROBE")
    if override:
        return override
    return shutil.which("ffprobe")
