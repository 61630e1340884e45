"""Method → live-event data (docs/protocol/douyin.md §4.2; docs/contracts.md, Live events). One builder per method.

A builder takes the parsed payload and the decoder's context and returns ``(type, data, user)``, or ``None`` when
the message carries nothing the suite shows (e.g. an unknown control status). Builders never raise on odd values:
proto3 defaults stand in for missing fields. Masked users (``用户****``, the shared id 111111, or no id at all) keep
their masked name but carry ``masked: true`` and an empty id (docs/protocol/douyin.md §4.1): they are never one person.
Wire strings lose their NULs (``clean_text``) and wire counts are capped at ``MAX_INT``: whatever a frame holds, the
event it becomes is storable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.events import MASKED_USER_ID, MAX_INT, bound_id, clean_text
from shared.platforms.douyin.gifts import GiftTracker
from shared.platforms.douyin.proto import douyin_pb2 as pb

__all__ = ["CONTROL_STATUS", "MAX_RANKS", "METHODS", "Built", "MethodSpec", "user_dict"]

Built = tuple[str, dict[str, Any], dict[str, Any] | None]

CONTROL_STATUS = {1: "paused", 2: "resumed", 3: "ended", 4: "banned"}
# A room rank lists the top few viewers. Only this many are kept: 4 KiB of gzip can hold two million empty ranks,
# which would take seconds to map and make an 80 MB event.
MAX_RANKS = 20


@dataclass(slots=True, frozen=True)
class MethodSpec:
    parser: Callable[[bytes], Any]
    build: Callable[[Any, GiftTracker], Built | None]
    # Whether the ``eventTime`` field (seconds) exists on this payload, used for ``ts`` when createTime is absent.
    has_event_time: bool = False


def _count(value: int) -> int:
    """A uint64 count from the wire, capped to fit a signed 64-bit column (real counts are far below)."""
    return value if value <= MAX_INT else MAX_INT


_MASKED_ID = 111111


def user_dict(user: pb.User) -> dict[str, Any]:
    uid = user.id
    # Wire strings go through clean_text/bound_id: a NUL or an over-long id must not poison storage.
    user_id = str(uid) if uid else bound_id(clean_text(user.id_str))
    if uid == _MASKED_ID or not user_id or user_id == MASKED_USER_ID:
        # Every masked viewer shares the placeholder id: it is dropped so no one mistakes them for one person.
        nickname = clean_text(user.nickname)
        return {"id": "", "nickname": nickname, "gender": user.gender, "display_id": "", "masked": True}
    return {
        "id": user_id,
        "nickname": clean_text(user.nickname),
        "gender": user.gender,
        "display_id": clean_text(user.display_id),
    }


def _user(msg: Any, field: str = "user") -> dict[str, Any] | None:
    return user_dict(getattr(msg, field)) if msg.HasField(field) else None


def _chat(msg: pb.ChatMessage, _: GiftTracker) -> Built:
    return "chat", {"content": clean_text(msg.content)}, _user(msg)


def _screen_chat(msg: pb.ScreenChatMessage, _: GiftTracker) -> Built:
    return "chat", {"content": clean_text(msg.content), "screen": True}, _user(msg)


def _emoji_chat(msg: pb.EmojiChatMessage, _: GiftTracker) -> Built:
    return "emoji_chat", {"emoji_id": str(msg.emoji_id), "content": clean_text(msg.default_content)}, _user(msg)


def _gift(msg: pb.GiftMessage, gifts: GiftTracker) -> Built:
    gift = msg.gift
    gift_id = msg.gift_id or gift.id
    user = _user(msg)
    result = gifts.update(
        user["id"] if user else "",
        gift_id,
        msg.group_id,
        repeat_count=msg.repeat_count,
        combo_count=msg.combo_count,
        group_count=msg.group_count,
        repeat_end=bool(msg.repeat_end),
        diamond_count=gift.diamond_count,
    )
    data = {
        "gift_id": str(gift_id),
        "gift_name": clean_text(gift.name),
        "diamond_count": gift.diamond_count,
        "group_count": _count(msg.group_count) or 1,
        "combo_count": _count(msg.combo_count),
        "repeat_count": _count(msg.repeat_count),
        "repeat_end": msg.repeat_end,
        "group_id": str(msg.group_id),
        "delta": result.delta,
        "diamond_delta": result.diamonds,
        "combo": gift.combo,
        "send_type": _count(msg.send_type),
    }
    return "gift", data, user


def _like(msg: pb.LikeMessage, _: GiftTracker) -> Built:
    return "like", {"count": _count(msg.count), "total": _count(msg.total)}, _user(msg)


def _member(msg: pb.MemberMessage, _: GiftTracker) -> Built:
    return "member", {"member_count": _count(msg.member_count)}, _user(msg)


def _social(msg: pb.SocialMessage, _: GiftTracker) -> Built | None:
    # action 1 = follow, 3 = share; other actions are not shown.
    if msg.action == 1:
        return "follow", {}, _user(msg)
    if msg.action == 3:
        return "share", {}, _user(msg)
    return None


def _user_seq(msg: pb.RoomUserSeqMessage, _: GiftTracker) -> Built:
    data = {
        "online": msg.total,
        "total_pv": msg.total_user,
        "display": clean_text(msg.online_user_for_anchor or msg.total_str),
        "total_pv_display": clean_text(msg.total_pv_for_anchor),
    }
    return "room_stats", data, None


def _room_stats(msg: pb.RoomStatsMessage, _: GiftTracker) -> Built:
    return (
        "room_stats",
        {"online": msg.display_value, "total_pv": msg.total, "display": clean_text(msg.display_long)},
        None,
    )


def _fansclub(msg: pb.FansclubMessage, _: GiftTracker) -> Built:
    return "fansclub", {"kind": msg.type, "content": clean_text(msg.content)}, _user(msg)


def _control(msg: pb.ControlMessage, _: GiftTracker) -> Built | None:
    status = CONTROL_STATUS.get(msg.status)
    if status is None:
        return None
    return "control", {"status": status, "code": msg.status}, None


def _room_rank(msg: pb.RoomRankMessage, _: GiftTracker) -> Built:
    ranks = [
        {"rank": i, "user": user_dict(r.user) if r.HasField("user") else None, "score": clean_text(r.score_str)}
        for i, r in enumerate(msg.ranks[:MAX_RANKS], start=1)
    ]
    return "room_rank", {"ranks": ranks}, None


def _silent(msg: Any, _: GiftTracker) -> None:
    # Decoded (so the schema is exercised and bad payloads are counted) but not an event type of the suite.
    return None


METHODS: dict[str, MethodSpec] = {
    "WebcastChatMessage": MethodSpec(pb.ChatMessage.FromString, _chat, has_event_time=True),
    "WebcastScreenChatMessage": MethodSpec(pb.ScreenChatMessage.FromString, _screen_chat),
    "WebcastEmojiChatMessage": MethodSpec(pb.EmojiChatMessage.FromString, _emoji_chat),
    "WebcastGiftMessage": MethodSpec(pb.GiftMessage.FromString, _gift),
    "WebcastLikeMessage": MethodSpec(pb.LikeMessage.FromString, _like),
    "WebcastMemberMessage": MethodSpec(pb.MemberMessage.FromString, _member),
    "WebcastSocialMessage": MethodSpec(pb.SocialMessage.FromString, _social),
    "WebcastRoomUserSeqMessage": MethodSpec(pb.RoomUserSeqMessage.FromString, _user_seq),
    "WebcastRoomStatsMessage": MethodSpec(pb.RoomStatsMessage.FromString, _room_stats),
    "WebcastFansclubMessage": MethodSpec(pb.FansclubMessage.FromString, _fansclub),
    "WebcastControlMessage": MethodSpec(pb.ControlMessage.FromString, _control),
    "WebcastRoomRankMessage": MethodSpec(pb.RoomRankMessage.FromString, _room_rank),
    "WebcastRoomMessage": MethodSpec(pb.RoomMessage.FromString, _silent),
    "WebcastRoomStreamAdaptationMessage": MethodSpec(pb.RoomStreamAdaptationMessage.FromString, _silent),
}
