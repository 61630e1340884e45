"""StreamCap's errors, below the suite root.

SuiteError
└── StreamCapError
    ├── UnsafePath             a name from outside that would leave the recordings folder (bad input)
    ├── StorageFull            free disk space below the configured minimum (stop cleanly)
    ├── SourceError            the stream could not be resolved
    │   ├── StreamOffline      the room or stream is not live (stop, do not retry)
    │   ├── SourceUnavailable  a transient failure (retry with the policy)
    │   └── UnsupportedSource  unknown platform, or the streamlink extra is not installed (fatal)
    ├── InvalidState           a lifecycle call the current state does not allow
    │   └── RecordingLimit     max_recordings recordings already run
    ├── NotFound               no room or recording with that id
    └── RemuxError             a segment could not be remuxed or the MP4 did not verify
"""

from __future__ import annotations

from shared.errors import SuiteError

__all__ = [
    "InvalidState",
    "NotFound",
    "RecordingLimit",
    "RemuxError",
    "SourceError",
    "SourceUnavailable",
    "StorageFull",
    "StreamCapError",
    "StreamOffline",
    "UnsafePath",
    "UnsupportedSource",
]


class StreamCapError(SuiteError):
    pass


class UnsafePath(StreamCapError, ValueError):
    pass


class StorageFull(StreamCapError):
    def __init__(self, path: str, free: int, minimum: int) -> None:
        super().__init__(f"磁盘空间不足 (disk almost full): {path} has {free} bytes free, minimum {minimum}")
        self.free = free
        self.minimum = minimum


class SourceError(StreamCapError):
    pass


class StreamOffline(SourceError):
    pass


class SourceUnavailable(SourceError):
    pass


class UnsupportedSource(SourceError):
    pass


class InvalidState(StreamCapError):
    pass


class RecordingLimit(InvalidState):
    pass


class NotFound(StreamCapError):
    pass


class RemuxError(StreamCapError):
    pass
