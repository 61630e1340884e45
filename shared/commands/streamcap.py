"""StreamCap's commands (``services/streamcap``), sent by the gateway's ``/api/streamcap`` routes, and the one shape
of a recording.

Commands over the bus like every worker; file bytes from this machine's StreamCap: start, stop, list and get travel
here, so a gateway with no StreamCap of its own (``timao up --role gateway``) drives the workers' recorders, while
StreamCap's own HTTP API on its machine keeps what carries files or is its own UI (rooms, settings).

``Recording`` (with ``RecordingFile``) is a recording everywhere: StreamCap's views build it, its HTTP API and these
commands answer it, the gateway's OpenAPI schema (hence the UI's generated types) describes it. Its JSON field names
are the contract's (docs/contracts.md).

Placement needs no work from the sender: any StreamCap takes ``start_recording`` and places it through the
assignments (the named worker, else the freest); ``stop_recording`` goes best to the recording's lease owner, yet any
StreamCap ends it (its owner stops at its next renewal).
"""

from __future__ import annotations

from pydantic import Field

from shared.commands.base import Command, Empty, Params, Result

__all__ = [
    "GET_RECORDING",
    "RECORDINGS",
    "SERVICE",
    "START_RECORDING",
    "STOP_RECORDING",
    "GetRecording",
    "ListRecordings",
    "Recording",
    "RecordingFile",
    "RecordingList",
    "RecordingStarted",
    "StartRecording",
    "StopRecording",
]

SERVICE = "streamcap"


class RecordingFile(Result):
    """One file of a recording: a TS segment while it records, its MP4 once remuxed."""

    path: str = Field(description="absolute, on the disk of the worker named in worker_id")
    size: int = Field(description="bytes")
    duration: float = Field(description="seconds")
    kind: str = Field(default="ts", description="ts or mp4")
    worker_id: str | None = Field(default=None, description="whose disk holds it (null: before workers were named)")


class Recording(Result):
    """A recording as every API shows it: its stored row, brought up to date by its recorder where it runs."""

    recording_id: str
    state: str = Field(description="starting, recording, stalled, restarting, stopping, remuxing, done, failed, ...")
    files: list[RecordingFile]
    room_id: str | None = Field(default=None, description="the StreamCap room it records for, if any")
    platform: str
    source: str = Field(description="what is recorded: the room or stream URL")
    quality: str | None = None
    reason: str = Field(default="", description="why it stopped, failed or waits")
    folder: str
    segment_seconds: float
    duration: float = Field(description="seconds over all files")
    bytes: int = Field(description="bytes over all files")
    speed: float = Field(default=0.0, description="ffmpeg's speed (1.0 = real time) while it records")
    restarts: int = 0
    started_at: str | None = Field(default=None, description="ISO 8601")
    ended_at: str | None = Field(default=None, description="ISO 8601")
    resumed: bool = Field(default=False, description="continued after a crash or restart (resuming until data flows)")
    worker_id: str | None = Field(
        default=None, description="the worker that runs it, or ran its last segment (null: before workers were named)"
    )


class RecordingList(Result):
    recordings: list[Recording]


class StartRecording(Params):
    platform: str = Field(
        min_length=2,
        max_length=32,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="douyin (a room URL or id), direct (an FLV/HLS URL), or a platform streamlink knows",
    )
    stream_url: str = Field(min_length=1, max_length=4096)
    quality: str | None = Field(default=None, max_length=32)
    segment_seconds: float | None = Field(default=None, ge=10, le=86400)
    name: str | None = Field(default=None, max_length=200)
    folder: str | None = Field(default=None, max_length=120, description="a folder name under the recordings folder")
    worker_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="the worker to record on (not_found when it is not live); else the one with the most free slots",
    )


class RecordingStarted(Result):
    recording_id: str = Field(description="the new recording, or the one that records this stream already")


class StopRecording(Params):
    recording_id: str = Field(min_length=1, max_length=64)


class GetRecording(Params):
    recording_id: str = Field(min_length=1, max_length=64)


class ListRecordings(Params):
    limit: int = Field(default=200, ge=1, le=1000, description="the newest first")


START_RECORDING = Command(
    "start_recording", StartRecording, RecordingStarted, SERVICE,
    "record a stream: here, on the named worker, or on the freest (placed through the assignments)",
)  # fmt: skip
STOP_RECORDING = Command(
    "stop_recording", StopRecording, Empty, SERVICE, "stop a recording (its owner stops it at once or at its renewal)"
)
RECORDINGS = Command("recordings", ListRecordings, RecordingList, SERVICE, "the newest recordings, with their files")
GET_RECORDING = Command("get_recording", GetRecording, Recording, SERVICE, "one recording, with its files")
