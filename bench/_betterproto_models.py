"""betterproto 1.2.5 classes for the bench's comparison decoder (only the messages the corpus needs decoded).

Bench-only dependency: ``pip install betterproto==1.2.5``. Field numbers follow shared/platforms/douyin/proto.
"""

from __future__ import annotations

from dataclasses import dataclass

import betterproto


@dataclass
class HeaderEntry(betterproto.Message):
    key: str = betterproto.string_field(1)
    value: str = betterproto.string_field(2)


@dataclass
class PushFrame(betterproto.Message):
    seq_id: int = betterproto.uint64_field(1)
    log_id: int = betterproto.uint64_field(2)
    service: int = betterproto.uint64_field(3)
    method: int = betterproto.uint64_field(4)
    headers: list[HeaderEntry] = betterproto.message_field(5)
    payload_encoding: str = betterproto.string_field(6)
    payload_type: str = betterproto.string_field(7)
    payload: bytes = betterproto.bytes_field(8)


@dataclass
class Message(betterproto.Message):
    method: str = betterproto.string_field(1)
    payload: bytes = betterproto.bytes_field(2)
    msg_id: int = betterproto.int64_field(3)


@dataclass
class Response(betterproto.Message):
    messages: list[Message] = betterproto.message_field(1)
    cursor: str = betterproto.string_field(2)
    now: int = betterproto.uint64_field(4)
    internal_ext: str = betterproto.string_field(5)
    heartbeat_duration: int = betterproto.uint64_field(8)
    need_ack: bool = betterproto.bool_field(9)


@dataclass
class Common(betterproto.Message):
    method: str = betterproto.string_field(1)
    msg_id: int = betterproto.uint64_field(2)
    room_id: int = betterproto.uint64_field(3)
    create_time: int = betterproto.uint64_field(4)


@dataclass
class User(betterproto.Message):
    id: int = betterproto.uint64_field(1)
    nickname: str = betterproto.string_field(3)
    gender: int = betterproto.uint32_field(4)
    display_id: str = betterproto.string_field(38)


@dataclass
class ChatMessage(betterproto.Message):
    common: Common = betterproto.message_field(1)
    user: User = betterproto.message_field(2)
    content: str = betterproto.string_field(3)
    event_time: int = betterproto.uint64_field(15)


@dataclass
class RoomUserSeqMessage(betterproto.Message):
    common: Common = betterproto.message_field(1)
    total: int = betterproto.int64_field(3)
    total_user: int = betterproto.int64_field(7)
    online_user_for_anchor: str = betterproto.string_field(10)
