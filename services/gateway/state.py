"""Everything a request handler may need, built once at startup and kept on ``app.state.gw``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine

from services.gateway.live import LiveHub
from services.gateway.persister import Persister
from services.gateway.repo import SessionRepo
from services.gateway.subtitles.service import SubtitleService
from shared.bus import Bus
from shared.config import Settings
from shared.errors import ServiceUnavailable

__all__ = ["WORKER_NAMES", "GatewayState"]

WORKER_NAMES = ("douyin_fetcher", "streamcap", "ast")
HEARTBEAT_STALE_S = 5.0


@dataclass
class GatewayState:
    settings: Settings
    token: str
    bus: Bus
    engine: Engine
    repo: SessionRepo
    hub: LiveHub
    persister: Persister
    streamcap: httpx.AsyncClient
    # Recording subtitles and the burn job (services/gateway/subtitles); None until the gateway wires it.
    subtitles: SubtitleService | None = None

    async def require_worker(self, name: str) -> dict[str, Any]:
        """The worker's heartbeat, or ServiceUnavailable with the launcher's reason when it is not running."""
        beat = await self.bus.read_heartbeat(name)
        if beat and time.time() - float(beat.get("ts", 0)) < HEARTBEAT_STALE_S:
            return beat
        reason = "服务未运行 (service not running)"
        launcher = await self.bus.read_launcher_state()
        info = (launcher or {}).get("services", {}).get(name)
        if info:
            reason = f"服务未运行 (service not running): state={info.get('status')}"
            if info.get("reason"):
                reason += f", {info['reason']}"
        raise ServiceUnavailable(name, reason)
