"""``timao up --demo``: stand-ins that let a newcomer see the suite work without internet.

The demo adds two supervised stand-ins — a synthetic live stream (test pattern + looped speech) and the fake
Douyin server, whose rooms all point at that stream — and points the suite's Douyin URLs at the fake server. Once
everything runs it logs in to the fake (gifts reach logged-in viewers only, as on the real platform), then starts,
through the gateway (the same door the UI uses): watching a demo room, recording it, and transcribing what its
"streamer" says.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from launcher.redis_embedded import free_port
from launcher.specs import ServiceSpec, service_argv
from shared.config import Settings
from shared.platforms.douyin.account import load_account

__all__ = ["DEMO_LIVE_ID", "Demo", "plan_demo"]

log = logging.getLogger(__name__)

DEMO_LIVE_ID = "100000000001"
# The demo's own login on the fake; an account saved under another name is the user's and is left alone.
DEMO_ACCOUNT_NICKNAME = "提猫演示账号"


@dataclass
class Demo:
    specs: list[ServiceSpec]
    settings_overrides: dict[str, Any] = field(default_factory=dict)

    def kick_off(self, settings: Settings, out: Callable[[str], None]) -> None:
        """Start the demo room, its recording and its transcription; says what happened, never raises."""
        base = f"http://127.0.0.1:{settings.gateway_port}"
        headers = {"Authorization": f"Bearer {settings.resolve_token()}"}

        def post(what: str, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
            try:
                answer = httpx.post(base + path, json=body, headers=headers, timeout=60)
            except httpx.HTTPError as exc:
                out(f"{what}启动失败 (failed): {exc}")
                return None
            if answer.status_code == 409 and path == "/api/ast/start":
                # A suite restarted on the same home resumed the demo's transcription already.
                out(f"{what}已在进行 (already running)")
                return None
            if answer.status_code != 200:
                out(f"{what}启动失败 (failed): HTTP {answer.status_code} {answer.text[:300]}")
                return None
            result: dict[str, Any] = answer.json()
            return result

        self._log_in(settings, base, headers, out)
        room = post("演示直播间 demo room ", "/api/douyin/start", {"live_id": DEMO_LIVE_ID})
        if room is None:
            return
        session_id = room["session_id"]
        out(f"演示直播间 (demo room) {DEMO_LIVE_ID} 「{room.get('title', '')}」: session {session_id}")
        recording = post("录制 recording ", "/api/streamcap/start", {"platform": "douyin", "stream_url": DEMO_LIVE_ID})
        if recording is not None:
            out(f"录制中 (recording) {recording['recording_id']} → {settings.effective_recordings_dir}")
        ast = post(
            "转写 transcription ",
            "/api/ast/start",
            {"audio_config": {"source": "session", "session_id": session_id}, "model_config": {"language": "en"}},
        )
        if ast is not None:
            out("语音转写已开始 (transcribing the demo room's speech)")

    @staticmethod
    def _log_in(settings: Settings, base: str, headers: dict[str, str], out: Callable[[str], None]) -> None:
        """Log in to the fake as a QR scan would, and save it as the suite's account (source "cookie")."""
        saved = load_account(settings.home)
        if saved is not None and saved.logged_in and saved.nickname != DEMO_ACCOUNT_NICKNAME:
            out("已有抖音账号，演示不替换它；演示直播间的礼物需要在假服务器上登录 (an account is saved; left as is)")
            return
        try:
            issued = httpx.post(
                f"{settings.douyin_live_url}/__fake__/login/issue", json={"nickname": DEMO_ACCOUNT_NICKNAME}, timeout=10
            )
            cookie = issued.json()["cookie"]
            answer = httpx.put(base + "/api/douyin/account", json={"cookie": cookie}, headers=headers, timeout=30)
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            out(f"演示账号登录失败，礼物将不可见 (demo login failed): {type(exc).__name__}")
            return
        if answer.status_code != 200:
            out(f"演示账号登录失败，礼物将不可见 (demo login failed): HTTP {answer.status_code}")
            return
        out(f"已登录演示账号 (logged in to the fake site): {DEMO_ACCOUNT_NICKNAME}")


def plan_demo(settings: Settings, deps: tuple[str, ...]) -> Demo:
    del settings, deps  # the stand-ins need nothing of the suite
    stream_port, douyin_port = free_port(), free_port()
    stream = ServiceSpec(
        "demo_stream",
        service_argv("services.streamcap.synthetic", "--port", str(stream_port), "--no-hls", "--speech"),
        health="tcp",
        port=stream_port,
    )
    fake = ServiceSpec(
        "fake_douyin",
        service_argv(
            "services.douyin_fetcher.fake_server",
            "--port", str(douyin_port),
            "--demo",
            "--stream-base", f"http://127.0.0.1:{stream_port}/live/live",
        ),
        health="tcp",
        port=douyin_port,
    )  # fmt: skip
    base = f"http://127.0.0.1:{douyin_port}"
    overrides = {
        "douyin_live_url": base,
        "douyin_www_url": f"{base}/www",
        # Share links and the app-side room API stay on the fake too: the demo never reaches the real site.
        "douyin_share_url": f"{base}/v",
        "douyin_reflow_url": base,
        "douyin_ws_url": f"ws://127.0.0.1:{douyin_port}/webcast/im/push/v2/",
        # The fake server checks no signature in demo mode; a real room needs TIMAO_DOUYIN_SIGNER.
        "douyin_signer": "none",
    }
    return Demo(specs=[stream, fake], settings_overrides=overrides)
