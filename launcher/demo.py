"""``timao up --demo``: stand-ins that let a newcomer see the suite work without internet.

The demo adds the fake Douyin server (every room id is a lively room) as a supervised service, points the
suite's Douyin URLs at it, and once everything runs, starts watching a demo room through the gateway — the
same door the UI uses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from launcher.redis_embedded import free_port
from launcher.specs import ServiceSpec, service_argv
from shared.config import Settings

__all__ = ["DEMO_LIVE_ID", "Demo", "plan_demo"]

log = logging.getLogger(__name__)

DEMO_LIVE_ID = "100000000001"


@dataclass
class Demo:
    specs: list[ServiceSpec]
    settings_overrides: dict[str, Any] = field(default_factory=dict)

    def kick_off(self, settings: Settings) -> list[str]:
        """Start the demo room (and, as they land, a recording and a transcription); answers what it did."""
        base = f"http://127.0.0.1:{settings.gateway_port}"
        headers = {"Authorization": f"Bearer {settings.resolve_token()}"}
        done: list[str] = []
        try:
            answer = httpx.post(f"{base}/api/douyin/start", json={"live_id": DEMO_LIVE_ID}, headers=headers, timeout=20)
        except httpx.HTTPError as exc:
            return [f"演示直播间启动失败 (demo room failed): {exc}"]
        if answer.status_code == 200:
            done.append(f"演示直播间 (demo room) {DEMO_LIVE_ID}: session {answer.json()['session_id']}")
        else:
            done.append(f"演示直播间启动失败 (demo room failed): HTTP {answer.status_code} {answer.text[:200]}")
        return done


def plan_demo(settings: Settings, deps: tuple[str, ...]) -> Demo:
    del deps  # the stand-ins need nothing of the suite
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    fake = ServiceSpec(
        "fake_douyin",
        service_argv("services.douyin_fetcher.fake_server", "--port", str(port), "--demo"),
        health="tcp",
        port=port,
    )
    overrides = {
        "douyin_live_url": base,
        "douyin_www_url": f"{base}/www",
        "douyin_ws_url": f"ws://127.0.0.1:{port}/webcast/im/push/v2/",
        # The fake server checks no signature in demo mode; a real room needs TIMAO_DOUYIN_SIGNER.
        "douyin_signer": "none",
    }
    return Demo(specs=[fake], settings_overrides=overrides)
