"""Where the ffmpeg binaries are: ``TIMAO_FFMPEG``, else (in the desktop build) the bundled one, else ffmpeg from PATH,
else the one inside the ``imageio-ffmpeg`` wheel — so a fresh machine needs nothing from apt.

The desktop build (``build_backend.py``) bundles its own minimal FFmpeg at ``<bundle>/ffmpeg/ffmpeg`` (built by
``scripts/build-ffmpeg.sh``, see the README, "Building the desktop app"); the frozen app takes that one before
PATH's: it is the one the package tests ran, and a user's own ffmpeg may lack what the suite needs.

A PATH ffmpeg older than 6.1 is passed over when the wheel's is there: the recorder and the synthetic stream rely on
what 6.1 added (H.265 in FLV, the HLS demuxer's reconnect behaviour), and Debian 12 still ships 5.1. The choice is
made once per process and logged (ffmpeg is spawned often; a PATH walk and a version probe each time is waste).
The wheel carries no ffprobe, so ``find_ffprobe`` may answer None and callers fall back to probing with ffmpeg.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from shared.errors import ConfigError

__all__ = ["MIN_VERSION", "bundled_ffmpeg", "ffmpeg_version", "find_ffmpeg", "find_ffprobe"]

log = logging.getLogger(__name__)

MIN_VERSION = (6, 1)
_VERSION = re.compile(r"ffmpeg version n?(\d+)\.(\d+)")


def ffmpeg_version(binary: str) -> tuple[int, int] | None:
    """(major, minor) of an ffmpeg binary, or None when it does not say (git builds) or does not run."""
    try:
        out = subprocess.run([binary, "-version"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(out)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _wheel_ffmpeg() -> str | None:
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError:
        return None


def bundled_ffmpeg() -> str | None:
    """The desktop build's own ffmpeg (``<bundle>/ffmpeg/ffmpeg``), when this process is the frozen app."""
    bundle = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or bundle is None:
        return None
    path = Path(bundle, "ffmpeg", "ffmpeg.exe" if sys.platform == "win32" else "ffmpeg")
    return str(path) if path.is_file() else None


@functools.cache
def find_ffmpeg() -> str:
    override = os.environ.get("TIMAO_FFMPEG")
    if override:
        return override
    bundled = bundled_ffmpeg()
    if bundled:
        return bundled
    on_path = shutil.which("ffmpeg")
    if on_path:
        version = ffmpeg_version(on_path)
        if version is None or version >= MIN_VERSION:
            return on_path
        wheel = _wheel_ffmpeg()
        if wheel:
            log.info("ffmpeg %d.%d on PATH is older than %d.%d; using %s", *version, *MIN_VERSION, wheel)
            return wheel
        log.warning("ffmpeg %d.%d on PATH is older than %d.%d; H.265 in FLV will not record", *version, *MIN_VERSION)
        return on_path
    wheel = _wheel_ffmpeg()
    if wheel is None:
        raise ConfigError("找不到 ffmpeg (ffmpeg not found): install ffmpeg ≥ 6.1, or the imageio-ffmpeg package")
    return wheel


@functools.cache
def find_ffprobe() -> str | None:
    override = os.environ.get("TIMAO_FFPROBE")
    if override:
        return override
    return shutil.which("ffprobe")
