"""HTTP bodies of the fake Douyin server in the real shapes (docs/protocol/douyin.md §1.2–§1.4, §7.1)."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

__all__ = [
    "RoomInfo",
    "challenge_page",
    "ended_page",
    "enter_answer",
    "enter_not_found",
    "missing_page",
    "nonce_cookie",
    "risk_page",
    "room_page",
    "ttwid_cookie",
]


@dataclass(slots=True)
class RoomInfo:
    web_rid: str
    room_id: str
    title: str = "提猫测试直播间"
    anchor_id: str = "98870923112"
    anchor_name: str = "测试主播"
    live: bool = True
    user_count: int = 68
    flv_base: str = "http://127.0.0.1:9/media/stream-1"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def ttwid_cookie() -> str:
    token = secrets.token_urlsafe(24)
    return (
        f"ttwid=1%7C{token}%7C{int(time.time())}%7C{secrets.token_hex(32)}; Domain=.douyin.com; Path=/; "
        "HttpOnly; Secure; SameSite=None"
    )


def new_nonce() -> str:
    return secrets.token_hex(11)[:21]


def nonce_cookie(nonce: str) -> str:
    return f"__ac_nonce={nonce}; Path=/; Secure"


def _anchor(room: RoomInfo) -> dict[str, Any]:
    return {
        "id_str": room.anchor_id,
        "sec_uid": "MS4wLjABAAAA" + room.anchor_id,
        "nickname": room.anchor_name,
        "avatar_thumb": {"url_list": ["https://p3.douyinpic.com/aweme/100x100/avatar.jpeg"]},
    }


def _compact(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _pace_chunk(payload: str) -> str:
    # The state is JSON inside a JS string literal: quotes come out backslash-escaped, as on the real page.
    return f'<script nonce="timao">self.__pace_f.push([1,{json.dumps(payload, ensure_ascii=False)}])</script>'


def room_page(room: RoomInfo, user_unique_id: str) -> str:
    status = 2 if room.live else 4
    early = {"roomStore": {"roomInfo": {}, "emojiList": []}, "roomId": "$undefined"}
    state = {
        "state": {
            "roomStore": {
                "roomInfo": {
                    "room": {
                        "id_str": room.room_id,
                        "status": status,
                        "status_str": str(status),
                        "title": room.title,
                        "user_count_str": str(room.user_count),
                        "owner": _anchor(room),
                    },
                    "roomId": room.room_id,
                    "web_rid": room.web_rid,
                    "anchor": _anchor(room),
                },
                "emojiList": [],
                "liveStatus": "normal",
            },
            "userStore": {"odin": {"user_id": "0", "user_unique_id": user_unique_id}},
        }
    }
    chunks = [
        _pace_chunk("5:" + _compact(early)),
        _pace_chunk('6:["$","$L1",null,' + _compact(state) + "]"),
    ]
    ended = f'<div id="gift_effect_bg_{room.room_id}">直播已结束</div>' if not room.live else ""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>'
        f"{room.anchor_name}的抖音直播间 - 抖音直播</title></head><body>{ended}"
        f"{''.join(chunks)}</body></html>"
    )


def ended_page(room: RoomInfo) -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        f'<div id="gift_effect_bg_{room.room_id}"></div><p>直播已结束</p></body></html>'
    )


def challenge_page() -> str:
    return (
        '<html><head><meta charset="utf-8"></head><body><script>'
        "window.byted_acrawler&&window.byted_acrawler.init({aid:99999999,dfp:0});"
        "document.cookie='__ac_signature=_02B4Z6wo00f01'; location.reload();</script></body></html>"
    )


def risk_page() -> str:
    return '<html><head><meta charset="utf-8"></head><body><div id="root"></div>验证码中间页</body></html>'


def missing_page() -> str:
    return '<html><head><meta charset="utf-8"></head><body><p>直播间不存在</p></body></html>'


def enter_answer(room: RoomInfo, stream_base: str | None = None) -> dict[str, Any]:
    base = stream_base or room.flv_base
    if not room.live:
        entry: dict[str, Any] = {
            "id_str": room.room_id,
            "status": 4,
            "status_str": "4",
            "title": room.title,
            "user_count_str": "0",
            "like_count": 0,
        }
        return {
            "data": {"data": [entry], "enter_room_id": room.room_id, "user": _anchor(room), "room_status": 2},
            "extra": {"now": _now_ms()},
            "status_code": 0,
        }
    stream_data = {
        "common": {"stream": room.room_id},
        "data": {
            key: {
                "main": {
                    "flv": f"{base}{suffix}.flv",
                    "hls": f"{base}{suffix}.m3u8",
                    "sdk_params": json.dumps({"VCodec": "h264", "resolution": res}),
                }
            }
            for key, suffix, res in (
                ("origin", "", "1920x1080"),
                ("hd", "_hd", "1920x1080"),
                ("sd", "_sd", "1280x720"),
                ("ld", "_ld", "853x480"),
            )
        },
    }
    entry = {
        "id_str": room.room_id,
        "status": 2,
        "status_str": "2",
        "title": room.title,
        "user_count_str": str(room.user_count),
        "owner": _anchor(room),
        "stats": {"total_user_str": "1万+", "user_count_str": str(room.user_count)},
        "room_view_stats": {
            "display_short": str(room.user_count),
            "display_long": f"{room.user_count}在线观众",
            "display_value": room.user_count,
        },
        "like_count": 756,
        "stream_url": {
            "flv_pull_url": {
                "FULL_HD1": f"{base}.flv",
                "HD1": f"{base}_hd.flv",
                "SD1": f"{base}_ld.flv",
                "SD2": f"{base}_sd.flv",
            },
            "default_resolution": "HD1",
            "hls_pull_url_map": {
                "FULL_HD1": f"{base}.m3u8",
                "HD1": f"{base}_hd.m3u8",
                "SD1": f"{base}_ld.m3u8",
                "SD2": f"{base}_sd.m3u8",
            },
            "extra": {"height": 1080, "width": 1920, "h265_enable": False},
            "live_core_sdk_data": {"pull_data": {"stream_data": json.dumps(stream_data)}},
        },
    }
    return {
        "data": {"data": [entry], "enter_room_id": room.room_id, "user": _anchor(room), "room_status": 0},
        "extra": {"now": _now_ms()},
        "status_code": 0,
    }


def enter_not_found() -> dict[str, Any]:
    return {"data": {"prompts": "该内容暂时无法无法查看"}, "extra": {"now": _now_ms()}, "status_code": 4001038}
