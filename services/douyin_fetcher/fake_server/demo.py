"""A lively room forever: the demo mode's endless scenario (chats with emoji and rare Unicode, combo gifts,
likes, joins, follows and shares, viewer stats, fan club, masked users and unknown methods), one frame ~600 ms."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Any

__all__ = ["demo_steps"]

PHRASES = (
    "主播好！",
    "来了来了",
    "666",
    "这个讲得太清楚了👍",
    "[赞][赞][赞]",
    "求链接",
    "今天穿搭好看",
    "哈哈哈哈哈",
    "𠮷野家的𠮷字",
    "𝓗𝓮𝓵𝓵𝓸 主播",
    "家人们点点关注",
    "第一次来，支持一下",
    "多少钱？",
    "🐱提猫来啦",
    "ｆｕｌｌｗｉｄｔｈ　测试",
    "Ünïcödé ✓",
    "上链接上链接",
    "主播声音好好听",
    "[玫瑰][玫瑰]",
    "👀",
)
NAMES = ("小鱼干", "猫猫头", "Tom", "阿强", "🌸花花🌸", "夜猫子", "晨光", "路人甲", "老铁666", "Ｌｕｃｙ")
GIFTS = ((463, "小心心", 1, True), (3389, "玫瑰", 1, True), (685, "粉丝团灯牌", 1, False), (4210, "跑车", 1200, False))


def _user(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.15:
        return {"masked": True, "nickname": rng.choice("薛李王张赵") + "***"}
    i = rng.randrange(len(NAMES))
    return {"id": 10_000_000_000 + i * 7919, "nickname": NAMES[i], "gender": rng.choice((0, 1, 2))}


def demo_steps(rng: random.Random) -> Iterator[dict[str, Any]]:
    online = 120
    likes = 0
    combos: list[dict[str, Any]] = []
    group_ids = itertools.count(1_800_000_000_000)
    for tick in itertools.count():
        events: list[dict[str, Any]] = []
        for _ in range(rng.randint(1, 6)):
            roll = rng.random()
            user = _user(rng)
            if roll < 0.45:
                events.append({"kind": "chat", "user": user, "content": rng.choice(PHRASES)})
            elif roll < 0.6:
                online += rng.randint(-1, 3)
                events.append({"kind": "member", "user": user, "member_count": online})
            elif roll < 0.72:
                count = rng.randint(1, 15)
                likes += count
                events.append({"kind": "like", "user": user, "count": count, "total": likes})
            elif roll < 0.78:
                events.append({"kind": "follow" if rng.random() < 0.6 else "share", "user": user})
            elif roll < 0.86 and len(combos) < 3:
                gift_id, name, diamonds, comboable = rng.choice(GIFTS)
                combos.append(
                    {
                        "user": user,
                        "gift_id": gift_id,
                        "name": name,
                        "diamonds": diamonds,
                        "combo": comboable,
                        "group_id": next(group_ids),
                        "count": 0,
                        "left": rng.randint(1, 8) if comboable else 1,
                    }
                )
            elif roll < 0.9:
                events.append({"kind": "emoji_chat", "user": user, "emoji_id": rng.randint(1, 90), "content": "[捂脸]"})
            elif roll < 0.93:
                events.append(
                    {
                        "kind": "fansclub",
                        "user": user,
                        "type": 2,
                        "content": f"恭喜 {user.get('nickname', '')} 成为粉丝团第{rng.randint(100, 999)}名成员",
                    }
                )
            else:
                events.append(
                    {
                        "kind": "unknown",
                        "method": rng.choice(
                            ("WebcastInRoomBannerMessage", "WebcastGiftSortMessage", "WebcastHotChatMessage")
                        ),
                    }
                )
        for running in list(combos):
            running["count"] += rng.choice((1, 1, 2))  # cumulative, sometimes skipping a value
            running["left"] -= 1
            done = running["left"] <= 0
            spec = {
                "kind": "gift",
                "user": running["user"],
                "gift_id": running["gift_id"],
                "name": running["name"],
                "diamonds": running["diamonds"],
                "combo": running["combo"],
                "group_id": running["group_id"],
                "repeat_count": running["count"],
                "repeat_end": 0,
            }
            events.append(spec)
            if done:
                events.append({**spec, "repeat_end": 1})
                combos.remove(running)
        if tick % 5 == 0:
            events.append(
                {
                    "kind": "user_seq",
                    "total": online,
                    "total_user": online * 40 + tick,
                    "total_pv": f"{online * 40 / 10000:.1f}万",
                }
            )
            events.append({"kind": "room_stats", "value": online})
        yield {"op": "frame", "events": events}
        yield {"op": "sleep", "s": 0.6}
