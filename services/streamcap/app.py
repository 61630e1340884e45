"""The StreamCap process: its HTTP server (API + Flet UI on 127.0.0.1) and its worker side (heartbeat, commands)."""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI

from shared.bus import Bus
from shared.config import Settings
from shared.websec import LocalGuard, ui_origins
from shared.worker import CommandFn

__all__ = ["StreamcapApp", "create_http_app"]


class StreamcapApp:
    name = "streamcap"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._bus: Bus | None = None

    async def start(self, bus: Bus) -> None:
        self._bus = bus

    async def stop(self) -> None:
        self._bus = None

    def commands(self) -> dict[str, CommandFn]:
        return {}

    def health(self) -> dict[str, Any]:
        return {"recordings": 0, "port": self.settings.streamcap_port}


def create_http_app(settings: Settings, worker: StreamcapApp) -> FastAPI:
    app = FastAPI(title="TalkingCat StreamCap", version="0.1.0")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "service": "streamcap", "pid": os.getpid(), **worker.health()}

    token = settings.resolve_token()
    origins = ui_origins(settings.streamcap_port, [f"http://127.0.0.1:{settings.gateway_port}"])
    app.add_middleware(LocalGuard, token=token, allowed_origins=origins)
    return app
