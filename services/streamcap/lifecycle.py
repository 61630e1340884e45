"""What a recording is, apart from the thread that records it: its states and their legal moves (``REC_MOVES``,
shared/states.py), the phases its ``recording`` events report (and the event of one remuxed file), why it stops, its
configuration and its progress. ``recorder.py`` re-exports every name here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from services.streamcap.remux import RemuxResult
from shared.states import Transitions

__all__ = [
    "ACTIVE_STATES",
    "CLEAN_REASONS",
    "FINAL_STATES",
    "REC_MOVES",
    "OnEvent",
    "Phase",
    "Progress",
    "RecState",
    "RecorderConfig",
    "SegmentFile",
    "StopReason",
    "remux_event",
]


class RecState(StrEnum):
    IDLE = "idle"
    STARTING = "starting"
    RECORDING = "recording"
    STALLED = "stalled"
    RESTARTING = "restarting"
    STOPPING = "stopping"
    REMUXING = "remuxing"
    DONE = "done"
    FAILED = "failed"


ACTIVE_STATES = frozenset({RecState.STARTING, RecState.RECORDING, RecState.STALLED, RecState.RESTARTING})
FINAL_STATES = frozenset({RecState.DONE, RecState.FAILED})

# The recorder's legal moves (shared/states.py): any other is a bug and raises IllegalTransition. The one stay is
# RECORDING → RECORDING: a segment rotated by size starts a new ffmpeg run that records on.
REC_MOVES: Transitions[RecState] = Transitions(
    {
        RecState.IDLE: {RecState.STARTING, RecState.DONE},
        RecState.STARTING: {RecState.RECORDING, RecState.RESTARTING, RecState.STOPPING, RecState.FAILED},
        RecState.RECORDING: {
            RecState.RECORDING,
            RecState.STALLED,
            RecState.RESTARTING,
            RecState.STOPPING,
            RecState.FAILED,
        },
        RecState.STALLED: {RecState.RESTARTING, RecState.STOPPING, RecState.FAILED},
        RecState.RESTARTING: {RecState.STARTING, RecState.STOPPING, RecState.FAILED},
        RecState.STOPPING: {RecState.REMUXING, RecState.DONE, RecState.FAILED},
        RecState.REMUXING: {RecState.DONE, RecState.FAILED},
        RecState.DONE: set(),
        RecState.FAILED: set(),
    }
)


class Phase(StrEnum):
    """The ``state`` values of ``recording`` events."""

    STARTED = "started"
    RESUMING = "resuming"
    RESUMED = "resumed"
    SEGMENT_CLOSED = "segment_closed"
    STALLED = "stalled"
    RESTARTED = "restarted"
    STOPPED = "stopped"
    REMUXED = "remuxed"
    REMUX_FAILED = "remux_failed"
    FAILED = "failed"
    DONE = "done"


class StopReason(StrEnum):
    USER = "user"
    OFFLINE = "offline"
    DISK_FULL = "disk_full"
    UNREACHABLE = "unreachable"
    UNSUPPORTED = "unsupported"
    ERROR = "error"
    SHUTDOWN = "shutdown"
    WINDOW = "window_closed"


# Reasons that end a recording normally even when nothing was recorded yet.
CLEAN_REASONS = frozenset({StopReason.USER, StopReason.SHUTDOWN, StopReason.WINDOW, StopReason.DISK_FULL})


@dataclass(frozen=True)
class RecorderConfig:
    segment_seconds: float = 1800.0
    # > 0: rotate to a new segment at this size instead of by time (ffmpeg cannot cut by size; a quick restart does).
    segment_bytes: int = 0
    stall_timeout: float = 20.0
    start_timeout: float = 30.0
    rw_timeout: float = 15.0
    stop_waits: tuple[float, float, float] = (5.0, 3.0, 2.0)
    max_failed_starts: int = 10
    tick: float = 0.5
    disk_check_interval: float = 5.0
    remux: bool = True
    hls_hold_counters: int = 10


@dataclass
class SegmentFile:
    path: Path
    index: int
    size: int = 0
    duration: float = 0.0
    closed: bool = False


@dataclass(frozen=True)
class Progress:
    state: RecState
    duration: float
    bytes: int
    speed: float
    segments: int
    restarts: int
    reason: str = ""


OnEvent = Callable[[dict[str, Any]], None]


def remux_event(recording_id: str, result: RemuxResult) -> dict[str, Any] | None:
    """The ``recording`` event data of one remuxed file (``remuxed`` or ``remux_failed``); None for a dropped empty
    segment. The recorder sends it as it remuxes, and StreamCap's start-up recovery for what it remuxes."""
    if result.error:
        return {"recording_id": recording_id, "state": Phase.REMUX_FAILED.value, "file": str(result.ts),
                "reason": result.error}  # fmt: skip
    if result.mp4 is None:
        return None
    try:
        size = result.mp4.stat().st_size
    except OSError:
        size = 0
    return {"recording_id": recording_id, "state": Phase.REMUXED.value, "file": str(result.mp4),
            "duration": round(result.duration, 3), "size": size, "ts": str(result.ts)}  # fmt: skip
