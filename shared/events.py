"""The live-event schema: the JSON that the bus and the gateway's ``/ws`` carry (docs/contracts.md, Live events).

One envelope for every event, ``data`` typed by ``type``. Ids are strings (Douyin ids exceed 2**53) and ``ts`` is
milliseconds since the epoch. ``LiveEvent.from_json`` validates input from outside a process; producers that build
events from already-checked values may use ``LiveEvent.build`` (validated) or ``fast_event_json`` on hot paths.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "DATA_MODELS",
    "MASKED_USER_ID",
    "MAX_ID_LENGTH",
    "MAX_INT",
    "WS_ONLY_TYPES",
    "EventType",
    "InvalidEvent",
    "LiveEvent",
    "User",
    "bound_id",
    "clean_text",
    "fast_event_json",
    "is_masked",
    "new_msg_id",
    "now_ms",
    "sanitize_event",
]


class EventType(StrEnum):
    CHAT = "chat"
    EMOJI_CHAT = "emoji_chat"
    GIFT = "gift"
    LIKE = "like"
    MEMBER = "member"
    FOLLOW = "follow"
    SHARE = "share"
    ROOM_STATS = "room_stats"
    FANSCLUB = "fansclub"
    CONTROL = "control"
    ROOM_RANK = "room_rank"
    TRANSCRIPT = "transcript"
    RECORDING = "recording"
    SERVICE = "service"
    AST_JOB = "ast_job"  # a transcription job changed state (services/ast/pipeline.py JOB_MOVES)
    # The gateway's once-a-second show totals, only on /ws: never on the durable log, never stored.
    STATS = "stats"


# Types that exist only on the gateway's /ws fan-out (the persister refuses them on the log).
WS_ONLY_TYPES = frozenset({EventType.STATS})


class InvalidEvent(ValueError):
    """A payload that is not a live event; the message names what is wrong (payload truncated)."""


class _Data(BaseModel):
    model_config = ConfigDict(extra="allow")


class ChatData(_Data):
    content: str


class EmojiChatData(_Data):
    emoji_id: str = ""
    content: str = ""


class GiftData(_Data):
    gift_id: str
    gift_name: str = ""
    diamond_count: int = 0
    group_count: int = 1
    combo_count: int = 1
    repeat_count: int = 0
    repeat_end: int = 0
    group_id: str = ""
    delta: int = Field(ge=0)


class LikeData(_Data):
    count: int = 0
    total: int = 0


class MemberData(_Data):
    member_count: int = 0


class EmptyData(_Data):
    pass


class RoomStatsData(_Data):
    online: int = 0
    total_pv: int = 0
    display: str = ""


class FansclubData(_Data):
    kind: int = 0
    content: str = ""


class ControlData(_Data):
    status: Literal["paused", "resumed", "ended", "banned"]


class RoomRankData(_Data):
    ranks: list[dict[str, Any]] = Field(default_factory=list)


class TranscriptData(_Data):
    text: str
    start_ms: int
    end_ms: int
    confidence: float = 0.0
    language: str = ""


class RecordingData(_Data):
    recording_id: str
    state: str
    file: str | None = None


class ServiceData(_Data):
    service: str
    state: str


class AstJobData(_Data):
    state: str
    previous: str | None = None
    worker_id: str = ""


class StatsData(_Data):
    """The show so far, from the stored aggregates: sums since the start (comments, likes, gifts, diamonds, ...,
    ``chatters`` distinct, ``peak_online`` and the latest ``online``), and the latest minute's counts (``t`` its
    start), null before the first minute."""

    totals: dict[str, int | None]
    minute: dict[str, int | None] | None = None


DATA_MODELS: dict[EventType, type[_Data]] = {
    EventType.CHAT: ChatData,
    EventType.EMOJI_CHAT: EmojiChatData,
    EventType.GIFT: GiftData,
    EventType.LIKE: LikeData,
    EventType.MEMBER: MemberData,
    EventType.FOLLOW: EmptyData,
    EventType.SHARE: EmptyData,
    EventType.ROOM_STATS: RoomStatsData,
    EventType.FANSCLUB: FansclubData,
    EventType.CONTROL: ControlData,
    EventType.ROOM_RANK: RoomRankData,
    EventType.TRANSCRIPT: TranscriptData,
    EventType.RECORDING: RecordingData,
    EventType.SERVICE: ServiceData,
    EventType.AST_JOB: AstJobData,
    EventType.STATS: StatsData,
}


class User(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    nickname: str = ""
    gender: int = 0
    display_id: str = ""
    # A viewer the platform hides (``用户****``): no id of their own, so never one person across events.
    masked: bool | None = None


# The id Douyin gives every masked viewer (docs/protocol/douyin.md §4.1): it names no one.
MASKED_USER_ID = "111111"


def is_masked(user: Mapping[str, Any]) -> bool:
    """Whether an event's user is no identifiable person: marked masked, or without an id of their own (events
    stored before the mark carry the shared placeholder id). Per-person figures leave such users out."""
    uid = user.get("id")
    return user.get("masked") is True or not uid or str(uid) == MASKED_USER_ID


class LiveEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: EventType
    session_id: str
    live_id: str = ""
    msg_id: str = Field(min_length=1)
    ts: int
    user: User | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_data(self) -> LiveEvent:
        # Validate data against the type's model but keep it a plain dict: what came in goes out unchanged.
        DATA_MODELS[self.type].model_validate(self.data)
        return self

    @classmethod
    def build(
        cls,
        type: EventType | str,
        session_id: str,
        data: dict[str, Any],
        *,
        live_id: str = "",
        msg_id: str | None = None,
        ts: int | None = None,
        user: User | dict[str, Any] | None = None,
    ) -> LiveEvent:
        return cls.model_validate(
            {
                "type": type,
                "session_id": session_id,
                "live_id": live_id,
                "msg_id": msg_id or new_msg_id(),
                "ts": now_ms() if ts is None else ts,
                "user": user.model_dump() if isinstance(user, User) else user,
                "data": data,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> LiveEvent:
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
            raise InvalidEvent(
                f"not a live event ({exc.error_count()} errors: {exc.errors()[0]['msg']}): {text[:200]}"
            ) from exc

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(exclude_none=True))

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def fast_event_json(
    type: str,
    session_id: str,
    msg_id: str,
    ts: int,
    data: dict[str, Any],
    *,
    live_id: str = "",
    user: dict[str, Any] | None = None,
) -> bytes:
    """Serialise an event without building a model, for producers whose fields are already typed (decoders)."""
    event: dict[str, Any] = {"type": type, "session_id": session_id, "live_id": live_id, "msg_id": msg_id, "ts": ts}
    if user is not None:
        event["user"] = user
    event["data"] = data
    return orjson.dumps(event)


# Ids are stored in 64-character columns (session, msg_id, user id); longer ones are shortened the same way every time.
MAX_ID_LENGTH = 64
# Integers in events fit a signed 64-bit column (BIGINT, SQLite INTEGER); producers cap wire counts (uint64) there.
MAX_INT = 2**63 - 1


def clean_text(value: str) -> str:
    """Text from viewers without NUL characters: PostgreSQL text columns refuse them, and they show as nothing."""
    return value.replace("\x00", "") if "\x00" in value else value


def bound_id(value: str, limit: int = MAX_ID_LENGTH) -> str:
    """An id that fits its column: a longer one keeps its head plus a hash of the whole, so it stays unique and the
    same id always maps to the same stored id (deduplication keeps working)."""
    if len(value) <= limit:
        return value
    digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f"{value[: limit - len(digest) - 1]}~{digest}"


def sanitize_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event with every NUL removed from its strings (keys too) and its ids bounded, for stores that refuse
    them. Walks the whole event, so callers use it only when a cheap check says it is needed."""
    clean: dict[str, Any] = _strip_nul(event)
    for key in ("session_id", "msg_id"):
        if isinstance(clean.get(key), str):
            clean[key] = bound_id(clean[key])
    user = clean.get("user")
    if isinstance(user, dict) and isinstance(user.get("id"), str):
        user["id"] = bound_id(user["id"])
    return clean


def _strip_nul(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {_strip_nul(k): _strip_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_nul(v) for v in value]
    return value


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_msg_id() -> str:
    """An id for events the suite makes itself (transcripts, recordings, service states)."""
    return uuid.uuid4().hex
