"""A scripted show with known truth, as stored events (what the persister hands the EventStore)."""

from __future__ import annotations

from typing import Any

T0 = 1_800_000_000_000 - 1_800_000_000_000 % 60_000  # a minute boundary


def ev(kind: str, msg_id: str, ts: int, data: dict[str, Any], user: tuple[str, str] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "session_id": "show",
        "live_id": "1",
        "msg_id": msg_id,
        "ts": ts,
        "data": data,
    }
    if user is not None:
        event["user"] = {"id": user[0], "nickname": user[1]}
    return event


A, B, C = ("u1", "小鱼干"), ("u2", "猫猫头"), ("u3", "<script>alert(1)</script>")


def gift(msg_id: str, ts: int, user: tuple[str, str], delta: int, price: int, **extra: Any) -> dict[str, Any]:
    return ev(
        "gift", msg_id, ts, {"gift_id": "1", "gift_name": "礼物", "diamond_count": price, "delta": delta, **extra}, user
    )


def show() -> list[dict[str, Any]]:
    """Minute 0: 3 comments (2 chatters), a combo 1→3 (3 gifts × 1), 2 likes messages, viewers 100 then 120.
    Minute 1: 2 comments (1 new chatter), a rose bundle of 66 with diamond_delta, follow, share, 2 joins.
    Minute 3: the end."""
    return [
        ev("room_stats", "rs1", T0 + 1_000, {"online": 100, "total_pv": 5}),
        ev("chat", "c1", T0 + 2_000, {"content": "主播好"}, A),
        ev("chat", "c2", T0 + 3_000, {"content": "这个多少钱"}, B),
        gift("g1", T0 + 4_000, A, 1, 1, repeat_count=1),
        gift("g2", T0 + 5_000, A, 1, 1, repeat_count=2),
        gift("g3", T0 + 6_000, A, 1, 1, repeat_count=3),
        gift("g4", T0 + 7_000, A, 0, 1, repeat_count=3, repeat_end=1),  # the summary adds nothing
        ev("like", "l1", T0 + 8_000, {"count": 12, "total": 1012}, B),
        ev("like", "l2", T0 + 9_000, {"count": 3, "total": 1015}, A),
        ev("emoji_chat", "e1", T0 + 10_000, {"emoji_id": "1", "content": "[赞]"}, A),
        ev("room_stats", "rs2", T0 + 50_000, {"online": 120, "total_pv": 9}),
        ev("chat", "c3", T0 + 61_000, {"content": "口红有货吗"}, C),
        ev("chat", "c4", T0 + 62_000, {"content": "口红口红"}, A),
        gift("g5", T0 + 63_000, B, 66, 1, diamond_delta=66, group_count=66),
        ev("follow", "f1", T0 + 64_000, {}, C),
        ev("share", "s1", T0 + 65_000, {}, B),
        ev("member", "m1", T0 + 66_000, {"member_count": 130}, ("u4", "路人")),
        ev("member", "m2", T0 + 67_000, {"member_count": 0}, ("u5", "路人乙")),
        ev("control", "end", T0 + 190_000, {"status": "ended"}),
    ]


TOTALS = {
    "comments": 5, "likes": 15, "follows": 1, "shares": 1, "members": 2, "gifts": 69, "diamonds": 69, "chatters": 3,
    "peak_online": 130, "online": 130,
}  # fmt: skip
RANKING = [
    {"user_id": "u2", "nickname": "猫猫头", "diamonds": 66, "gifts": 66},
    {"user_id": "u1", "nickname": "小鱼干", "diamonds": 3, "gifts": 3},
]
CHATTERS = [
    {"user_id": "u1", "nickname": "小鱼干", "count": 3},
    {"user_id": "u2", "nickname": "猫猫头", "count": 1},
    {"user_id": "u3", "nickname": "<script>alert(1)</script>", "count": 1},
]
