"""A recording file's clock: the wall time its first frame was live, kept beside the file as ``<name>.timeline.json``.

StreamCap writes it for every segment it records (``services/streamcap/recorder.py``); the gateway reads it to put
the room's comments and the streamer's speech at their moments in the video (``services/gateway/subtitles``). Both
services need the format, so it lives here (docs/contracts.md, Recording timelines).

``wall_start_ms`` is the wall time (ms since the epoch) of the file's first PTS; a player's time ``t`` in the file
shows what was live at ``wall_start_ms + t * 1000``. A segment ``.ts`` and the ``.mp4`` remuxed from it share the
stem, so one sidecar serves both, and remuxing does not move it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TIMELINE_SUFFIX", "Timeline", "read_timeline", "timeline_path", "write_timeline"]

TIMELINE_SUFFIX = ".timeline.json"
_VERSION = 1
# 2000-01-01 .. 2200-01-01: anything outside is not a wall time.
_MIN_MS, _MAX_MS = 946_684_800_000, 7_258_118_400_000


@dataclass(frozen=True)
class Timeline:
    wall_start_ms: int
    # "measured": from the recorder's own clock while recording; "estimated": reconstructed later.
    source: str = "measured"


def timeline_path(media: Path) -> Path:
    """The sidecar of a segment or its MP4: ``x_000.ts`` and ``x_000.mp4`` → ``x_000.timeline.json``."""
    return media.with_name(media.stem + TIMELINE_SUFFIX)


def write_timeline(media: Path, timeline: Timeline) -> Path:
    """Write atomically (temp file, then rename), so a reader never sees half a file."""
    path = timeline_path(media)
    tmp = path.with_name(path.name + ".tmp")
    payload = {"version": _VERSION, "wall_start_ms": int(timeline.wall_start_ms), "source": timeline.source}
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_timeline(media: Path) -> Timeline | None:
    """The sidecar of ``media``, or None when there is none or it is not one we wrote."""
    try:
        data = json.loads(timeline_path(media).read_text(encoding="utf-8"))
        wall = int(data["wall_start_ms"])
        source = str(data.get("source", "measured"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _MIN_MS <= wall <= _MAX_MS:
        return None
    return Timeline(wall, source)
