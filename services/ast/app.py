"""The transcription worker process: lifecycle, health and command handlers around the transcription jobs."""

from __future__ import annotations

from typing import Any

from shared.bus import Bus
from shared.config import Settings
from shared.errors import CommandError
from shared.worker import CommandFn


class AstApp:
    name = "ast"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._bus: Bus | None = None

    async def start(self, bus: Bus) -> None:
        self._bus = bus

    async def stop(self) -> None:
        self._bus = None

    def commands(self) -> dict[str, CommandFn]:
        return {"start_job": self._unavailable, "stop_job": self._unavailable, "jobs": self._jobs}

    def health(self) -> dict[str, Any]:
        return {"jobs": 0}

    async def _jobs(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"jobs": [], "engine": None, "model": None, "rtf": None, "queue_depth": 0, "last_error": None}

    async def _unavailable(self, _params: dict[str, Any]) -> dict[str, Any]:
        raise CommandError("unavailable", "语音转写功能尚未安装 (transcription is not available in this build)")
