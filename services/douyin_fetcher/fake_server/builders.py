"""Build Douyin messages for the fake server from small JSON event specs (the scenario file's ``events``).

An event spec is a dict with ``kind`` (chat, screen_chat, emoji_chat, gift, like, member, follow, share, user_seq,
room_stats, fansclub, control, room_rank, room_message, adaptation, unknown, sync) and the fields of that kind;
``user`` is ``{"id", "nickname", "gender", "display_id"}`` or, for an anonymous viewer, ``{"anonymous": true}`` (or
``"masked"``): shown as the platform shows them, a masked nickname (``用户****``, ``薛***``), the shared placeholder
id 111111 and no sec_uid, whatever the connection's login. Field shapes follow the
docs/protocol/douyin.md §4 and §7.3 (eventTime in seconds, createTime in ms, distinct envelope and Common ids).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from shared.platforms.douyin.proto import douyin_pb2 as pb

__all__ = ["MessageFactory", "SpecError"]

MASKED_ID = 111111


class SpecError(ValueError):
    """A scenario event spec that cannot be built; the message names the spec."""


def _user(spec: Any) -> pb.User:
    if not isinstance(spec, Mapping):
        raise SpecError(f"user must be an object, got {spec!r}")
    if spec.get("masked") or spec.get("anonymous"):
        return pb.User(id=MASKED_ID, nickname=str(spec.get("nickname", "用户****")), gender=0)
    uid = int(spec.get("id", 0))
    return pb.User(
        id=uid,
        id_str=str(uid) if uid else "",
        nickname=str(spec.get("nickname", "")),
        gender=int(spec.get("gender", 0)),
        display_id=str(spec.get("display_id", "")),
        sec_uid=str(spec.get("sec_uid", "")),
    )


class MessageFactory:
    """Turns specs into ``pb.Message`` envelopes for one room, numbering ids as the real server does."""

    def __init__(self, room_id: int, *, seed: int | None = None, clock_ms: Callable[[], int] | None = None) -> None:
        self.room_id = room_id
        self._rng = random.Random(seed)
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self._common_ids = itertools.count(7_690_224_691_106_976_802 + self._rng.randrange(1_000_000) * 1000)

    def _common(self, method: str, spec: Mapping[str, Any], *, with_time: bool = True) -> pb.Common:
        msg_id = int(spec["msg_id"]) if "msg_id" in spec else next(self._common_ids)
        common = pb.Common(method=method, msg_id=msg_id, room_id=self.room_id, is_show_msg=True, app_id=1128)
        if with_time:
            common.create_time = self._clock_ms()
        return common

    def envelope(self, method: str, payload: bytes, *, sync: bool = False) -> pb.Message:
        # The envelope id differs from Common.msgId, as in real traffic.
        return pb.Message(
            method=method,
            payload=payload,
            msg_id=self._rng.randrange(1 << 62, 1 << 63),
            need_wrds_store=sync,
        )

    def build(self, spec: Mapping[str, Any]) -> pb.Message:
        kind = spec.get("kind")
        builder = _BUILDERS.get(str(kind))
        if builder is None:
            raise SpecError(f"unknown event kind {kind!r} in {dict(spec)!r}")
        try:
            return builder(self, spec)
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"bad {kind} spec {dict(spec)!r}: {exc}") from exc


def _chat(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    # Real chats carry eventTime (seconds) and no createTime.
    msg = pb.ChatMessage(
        common=f._common("WebcastChatMessage", s, with_time=False),
        user=_user(s["user"]),
        content=str(s["content"]),
        event_time=f._clock_ms() // 1000,
    )
    return f.envelope("WebcastChatMessage", msg.SerializeToString())


def _screen_chat(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    msg = pb.ScreenChatMessage(
        common=f._common("WebcastScreenChatMessage", s), user=_user(s["user"]), content=str(s["content"])
    )
    return f.envelope("WebcastScreenChatMessage", msg.SerializeToString())


def _emoji_chat(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    msg = pb.EmojiChatMessage(
        common=f._common("WebcastEmojiChatMessage", s),
        user=_user(s["user"]),
        emoji_id=int(s.get("emoji_id", 1)),
        default_content=str(s.get("content", "[捂脸]")),
    )
    return f.envelope("WebcastEmojiChatMessage", msg.SerializeToString())


def _gift(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    combo = bool(s.get("combo", True))
    count = int(s.get("repeat_count", s.get("combo_count", 1)))
    msg = pb.GiftMessage(
        common=f._common("WebcastGiftMessage", s),
        gift_id=int(s["gift_id"]),
        group_count=int(s.get("group_count", 1)),
        repeat_count=count,
        combo_count=int(s.get("combo_count", count)),
        user=_user(s["user"]),
        repeat_end=int(s.get("repeat_end", 0)),
        group_id=int(s.get("group_id", 0)),
        gift=pb.GiftStruct(
            id=int(s["gift_id"]),
            name=str(s.get("name", "")),
            combo=combo,
            diamond_count=int(s.get("diamonds", 1)),
            type=1,
        ),
        send_type=int(s.get("send_type", 4 if combo else 1)),
        total_count=count,
    )
    return f.envelope("WebcastGiftMessage", msg.SerializeToString())


def _like(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    msg = pb.LikeMessage(
        common=f._common("WebcastLikeMessage", s),
        count=int(s.get("count", 1)),
        total=int(s.get("total", 0)),
        user=_user(s["user"]),
    )
    return f.envelope("WebcastLikeMessage", msg.SerializeToString())


def _member(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    msg = pb.MemberMessage(
        common=f._common("WebcastMemberMessage", s), user=_user(s["user"]), member_count=int(s.get("member_count", 0))
    )
    return f.envelope("WebcastMemberMessage", msg.SerializeToString())


def _social(action: int) -> Callable[[MessageFactory, Mapping[str, Any]], pb.Message]:
    def build(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
        msg = pb.SocialMessage(
            common=f._common("WebcastSocialMessage", s),
            user=_user(s["user"]),
            action=action,
            share_type=1 if action == 3 else 0,
            follow_count=int(s.get("follow_count", 0)),
        )
        return f.envelope("WebcastSocialMessage", msg.SerializeToString())

    return build


def _user_seq(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    total = int(s.get("total", 0))
    msg = pb.RoomUserSeqMessage(
        common=f._common("WebcastRoomUserSeqMessage", s),
        total=total,
        total_user=int(s.get("total_user", 0)),
        total_user_str=str(s.get("total_user_str", "")),
        total_str=str(s.get("total_str", total)),
        online_user_for_anchor=str(s.get("online_display", total)),
        total_pv_for_anchor=str(s.get("total_pv", "")),
    )
    return f.envelope("WebcastRoomUserSeqMessage", msg.SerializeToString())


def _room_stats(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    value = int(s.get("value", 0))
    msg = pb.RoomStatsMessage(
        common=f._common("WebcastRoomStatsMessage", s),
        display_short=str(value),
        display_middle=str(value),
        display_long=f"{value}在线观众",
        display_value=value,
        total=int(s.get("total", value)),
    )
    return f.envelope("WebcastRoomStatsMessage", msg.SerializeToString(), sync=True)


def _fansclub(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    msg = pb.FansclubMessage(
        common=f._common("WebcastFansclubMessage", s),
        type=int(s.get("type", 2)),
        content=str(s.get("content", "")),
        user=_user(s["user"]),
    )
    return f.envelope("WebcastFansclubMessage", msg.SerializeToString())


def _control(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    msg = pb.ControlMessage(common=f._common("WebcastControlMessage", s), status=int(s["status"]))
    return f.envelope("WebcastControlMessage", msg.SerializeToString())


def _room_rank(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    ranks = [pb.RoomRank(user=_user(u), score_str=str(u.get("score", ""))) for u in s.get("users", [])]
    msg = pb.RoomRankMessage(common=f._common("WebcastRoomRankMessage", s), ranks=ranks)
    return f.envelope("WebcastRoomRankMessage", msg.SerializeToString())


def _room_message(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    msg = pb.RoomMessage(common=f._common("WebcastRoomMessage", s), content=str(s.get("content", "")))
    return f.envelope("WebcastRoomMessage", msg.SerializeToString())


def _adaptation(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    msg = pb.RoomStreamAdaptationMessage(
        common=f._common("WebcastRoomStreamAdaptationMessage", s), adaptation_type=int(s.get("type", 1))
    )
    return f.envelope("WebcastRoomStreamAdaptationMessage", msg.SerializeToString())


def _unknown(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    method = str(s.get("method", "WebcastInRoomBannerMessage"))
    common = f._common(method, s)
    return f.envelope(method, common.SerializeToString() + bytes(int(s.get("extra_bytes", 0))))


def _sync(f: MessageFactory, s: Mapping[str, Any]) -> pb.Message:
    # State-sync messages may arrive with an empty payload.
    return f.envelope(str(s.get("method", "WebcastRoomDataSyncMessage")), b"", sync=True)


_BUILDERS: dict[str, Callable[[MessageFactory, Mapping[str, Any]], pb.Message]] = {
    "chat": _chat,
    "screen_chat": _screen_chat,
    "emoji_chat": _emoji_chat,
    "gift": _gift,
    "like": _like,
    "member": _member,
    "follow": _social(1),
    "share": _social(3),
    "user_seq": _user_seq,
    "room_stats": _room_stats,
    "fansclub": _fansclub,
    "control": _control,
    "room_rank": _room_rank,
    "room_message": _room_message,
    "adaptation": _adaptation,
    "unknown": _unknown,
    "sync": _sync,
}
