"""The push WebSocket URL (docs/protocol/douyin.md §2.2; what changed by 2026 in §6).

Parameters go in the browser's order; values are percent-encoded (a ``+`` in the signature becomes ``%2B`` so no
server can read it as a space). ``internal_ext`` is sent only when resuming with the last frame's value.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from shared.platforms.douyin.constants import AID, APP_NAME, SDK_VERSION, USER_AGENT, VERSION_CODE
from shared.platforms.douyin.signer import Signer, x_ms_stub

__all__ = ["build_ws_url", "signed_ws_url", "ws_params"]


def ws_params(
    room_id: str,
    user_unique_id: str,
    *,
    cursor: str = "",
    internal_ext: str = "",
    user_agent: str = USER_AGENT,
    now_ms: int | None = None,
) -> dict[str, str]:
    """The query parameters in the order the web client sends them (without the signature)."""
    now = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    browser_version = user_agent.split("/", 1)[1] if "/" in user_agent else user_agent
    params = {
        "app_name": APP_NAME,
        "version_code": VERSION_CODE,
        "webcast_sdk_version": SDK_VERSION,
        "update_version_code": SDK_VERSION,
        "compress": "gzip",
        "cursor": cursor or f"h-1_t-{now}_r-1_d-1_u-1",
        "host": "https://live.douyin.com",
        "aid": AID,
        "live_id": "1",
        "did_rule": "3",
        "debug": "false",
        "maxCacheMessageNumber": "20",
        "endpoint": "live_pc",
        "support_wrds": "1",
        "im_path": "/webcast/im/fetch/",
        "user_unique_id": user_unique_id,
        "device_platform": "web",
        "cookie_enabled": "true",
        "screen_width": "1920",
        "screen_height": "1080",
        "browser_language": "zh-CN",
        "browser_platform": "Win32",
        "browser_name": "Mozilla",
        "browser_version": browser_version,
        "browser_online": "true",
        "tz_name": "Asia/Shanghai",
        "identity": "audience",
        "room_id": room_id,
        "need_persist_msg_count": "15",
        "heartbeatDuration": "0",
    }
    if internal_ext:
        params["internal_ext"] = internal_ext
    return params


def build_ws_url(base: str, params: Mapping[str, str], signature: str | None) -> str:
    query = dict(params)
    if signature:
        query["signature"] = signature
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}{urlencode(query, quote_via=quote, safe='')}"


async def signed_ws_url(
    base: str,
    signer: Signer,
    room_id: str,
    user_unique_id: str,
    *,
    cursor: str = "",
    internal_ext: str = "",
    user_agent: str = USER_AGENT,
) -> str:
    """Build and sign the URL. Raises SignatureError when the signer fails."""
    params = ws_params(room_id, user_unique_id, cursor=cursor, internal_ext=internal_ext, user_agent=user_agent)
    signature = await signer.sign(x_ms_stub(params))
    return build_ws_url(base, params, signature)
