"""Errors of the Douyin protocol layer, translated from third-party errors at the boundary.

SuiteError
└── DouyinError
    ├── BadRoomInput          the text names no room: not a live id, room URL, share text or profile URL (fatal)
    ├── RoomNotFound          web/enter answered 4001038, or no page and no answer knows the room (fatal)
    ├── LiveEnded             the room exists but is not live (status 4 / room_status 2) (fatal for a client)
    ├── StreamerOffline       a profile URL names a streamer who is not live now: no room to watch (fatal)
    ├── EmptyAnswer           HTTP 200 with an empty body: no ttwid cookie or failed signing (needs refresh)
    ├── ChallengePage         the anti-bot page came back again after the nonce was set (needs refresh)
    ├── RiskControlPage       a room page without embedded state (needs refresh, then transient)
    ├── UpstreamError         HTTP failure, bad JSON or an unexpected shape (transient)
    ├── DeviceBlocked         the WebSocket upgrade was refused: HTTP 200 + handshake-status 415 (long backoff)
    ├── SignatureError        the configured signer failed or returned nothing usable (fatal until fixed)
    │   └── SignerNotConfigured   no signer is configured; the message says what to do
    ├── NoStream              the web/enter answer has no playable stream URL (room not live, or audio only)
    └── FrameError            bytes that are not a PushFrame / Response (one frame lost, never the connection)
"""

from __future__ import annotations

from shared.errors import SuiteError

__all__ = [
    "BadRoomInput",
    "ChallengePage",
    "DeviceBlocked",
    "DouyinError",
    "EmptyAnswer",
    "FrameError",
    "LiveEnded",
    "NoStream",
    "RiskControlPage",
    "RoomNotFound",
    "SignatureError",
    "SignerNotConfigured",
    "StreamerOffline",
    "UpstreamError",
]


class DouyinError(SuiteError):
    """Root of the Douyin layer's errors. ``code`` is a stable short name for events and API answers."""

    code = "douyin_error"


class BadRoomInput(DouyinError, ValueError):
    code = "bad_room_input"


class RoomNotFound(DouyinError):
    code = "room_not_found"


class LiveEnded(DouyinError):
    code = "live_ended"


class StreamerOffline(DouyinError):
    code = "streamer_offline"


class EmptyAnswer(DouyinError):
    code = "empty_answer"


class ChallengePage(DouyinError):
    code = "challenge_page"


class RiskControlPage(DouyinError):
    code = "risk_control_page"


class UpstreamError(DouyinError):
    code = "upstream_error"


class DeviceBlocked(DouyinError):
    code = "device_blocked"


class SignatureError(DouyinError):
    code = "signature_error"


class SignerNotConfigured(SignatureError):
    code = "signer_not_configured"


class NoStream(DouyinError):
    code = "no_stream"


class FrameError(DouyinError):
    code = "frame_error"


def truncate(data: bytes | str, limit: int = 80) -> str:
    """A short printable view of offending input for error messages."""
    text = data.hex() if isinstance(data, bytes) else data
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} chars)"
