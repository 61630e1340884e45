"""HTTP bodies of the fake Douyin server in the real shapes (docs/protocol/douyin.md §1.2–§1.4, §7.1)."""

from __future__ import annotations

import html
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

__all__ = [
    "SDK_PATH",
    "RoomInfo",
    "account_answer",
    "anchor_sec_uid",
    "captcha_page",
    "challenge_page",
    "ended_page",
    "enter_answer",
    "enter_not_found",
    "home_page",
    "missing_page",
    "nonce_cookie",
    "profile_page",
    "reflow_answer",
    "reflow_not_found",
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


SDK_PATH = "/fake-sdk/webmssdk.js"


def ttwid_cookie() -> str:
    # The real one carries Domain=.douyin.com, Secure and SameSite=None; without them a browser on http://127.0.0.1
    # keeps it, so the page's own fetch of web/enter works in a browser too.
    token = secrets.token_urlsafe(24)
    return f"ttwid=1%7C{token}%7C{int(time.time())}%7C{secrets.token_hex(32)}; Path=/; HttpOnly"


def new_nonce() -> str:
    return secrets.token_hex(11)[:21]


def nonce_cookie(nonce: str) -> str:
    return f"__ac_nonce={nonce}; Path=/"  # no Secure: a browser on http://127.0.0.1 must keep it


def anchor_sec_uid(room: RoomInfo) -> str:
    return "MS4wLjABAAAA" + room.anchor_id


def _anchor(room: RoomInfo) -> dict[str, Any]:
    return {
        "id_str": room.anchor_id,
        "sec_uid": anchor_sec_uid(room),
        "nickname": room.anchor_name,
        "avatar_thumb": {"url_list": ["https://p3.douyinpic.com/aweme/100x100/avatar.jpeg"]},
    }


def _compact(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _pace_chunk(payload: str) -> str:
    # The state is JSON inside a JS string literal: quotes come out backslash-escaped, as on the real page.
    return f'<script nonce="timao">self.__pace_f.push([1,{json.dumps(payload, ensure_ascii=False)}])</script>'


def _script_json(obj: Any) -> str:
    return _compact(obj).replace("</", "<\\/")


def _page_head(title: str, config: dict[str, Any]) -> str:
    # The page's own script (sdk.js) reads its settings from window.__FAKE_PAGE__: login state, and for a room page
    # where its push client connects.
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<script>window.__FAKE_PAGE__={_script_json(config)}</script>"
        f'<script src="{SDK_PATH}"></script></head>'
    )


def _login_bar(nickname: str | None) -> str:
    if nickname is not None:
        return f'<div id="login_state" data-logged-in="1">{html.escape(nickname)}</div>'
    return '<div id="login_state" data-logged-in="0"><button id="login_button" type="button">登录</button></div>'


def home_page(nickname: str | None) -> str:
    config = {"logged_in": nickname is not None, "nickname": nickname, "room": None}
    return f"{_page_head('抖音直播', config)}<body>{_login_bar(nickname)}<p>抖音直播</p></body></html>"


def room_page(
    room: RoomInfo, user_unique_id: str, *, nickname: str | None = None, push: dict[str, Any] | None = None
) -> str:
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
    page_room = {"room_id": room.room_id, "web_rid": room.web_rid, "title": room.title, "live": room.live}
    config = {
        "logged_in": nickname is not None,
        "nickname": nickname,
        "room": {**page_room, **push} if push is not None else None,
    }
    return (
        f"{_page_head(f'{room.anchor_name}的抖音直播间 - 抖音直播', config)}<body>{_login_bar(nickname)}{ended}"
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


def captcha_page() -> str:
    """The platform's verification middle page (a slider captcha in real life)."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>验证码中间页</title></head><body>'
        '<div id="captcha_container"><p>请完成下列验证后继续</p></div></body></html>'
    )


def account_answer(user_id: str | None, nickname: str | None) -> dict[str, Any]:
    """``/webcast/user/me/``: the logged-in account, or the platform's "not logged in" (20003)."""
    if user_id is None:
        return {"data": {"prompts": "用户未登录"}, "extra": {"now": _now_ms()}, "status_code": 20003}
    return {
        "data": {
            "id_str": user_id,
            "nickname": nickname,
            "avatar_thumb": {"url_list": ["https://p3.douyinpic.com/aweme/100x100/avatar.jpeg"]},
        },
        "extra": {"now": _now_ms()},
        "status_code": 0,
    }


def reflow_answer(room: RoomInfo) -> dict[str, Any]:
    """The app-side room API (``/webcast/room/reflow/info/``) in the shape of tests/fixtures/douyin/S05-reflow-*:
    ``data.room`` with ids, status 2 (live) or 4 (ended), title and the owner with its ``web_rid``."""
    owner = {**_anchor(room), "id": int(room.anchor_id), "web_rid": room.web_rid, "display_id": room.anchor_id}
    return {
        "data": {
            "room": {
                "id": int(room.room_id),
                "id_str": room.room_id,
                "status": 2 if room.live else 4,
                "owner_user_id": int(room.anchor_id),
                "title": room.title,
                "user_count": room.user_count if room.live else 0,
                "live_id": 1,
                "share_url": f"https://webcast.amemv.com/douyin/webcast/reflow/{room.room_id}",
                "owner": owner,
            },
            "user": {"id": 0, "nickname": "", "sec_uid": "", "web_rid": ""},
        },
        "extra": {"now": _now_ms()},
        "status_code": 0,
    }


def reflow_not_found() -> dict[str, Any]:
    return {"data": {"prompts": "直播间不存在"}, "extra": {"now": _now_ms()}, "status_code": 4001038}


def profile_page(room: RoomInfo | None, sec_uid: str) -> str:
    """A streamer's profile page (www.douyin.com/user/<sec_uid>). Like the real one, its state travels in
    ``self.__pace_f`` chunks; a live streamer's user object carries ``roomIdStr`` and ``roomData``, a JSON string
    whose ``owner.web_rid`` is the live room's id (docs/protocol/douyin.md §7.6)."""
    if room is None:
        return missing_page()
    live = room.live
    user: dict[str, Any] = {
        "uid": room.anchor_id,
        "secUid": sec_uid,
        "nickname": room.anchor_name,
        "roomId": int(room.room_id) if live else 0,
        "roomIdStr": room.room_id if live else "0",
        "liveStatus": 1 if live else 0,
    }
    if live:
        user["roomData"] = _compact(
            {"status": 2, "id_str": room.room_id, "owner": {"web_rid": room.web_rid, "sec_uid": sec_uid}}
        )
    state = {"user": {"user": user, "statusCode": 0}}
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(room.anchor_name)}的抖音 - 抖音</title></head><body>"
        f"{_pace_chunk('7:' + _compact(state))}</body></html>"
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
