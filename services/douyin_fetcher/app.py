"""The fetcher process: lifecycle, health and command handlers around the room clients."""

from __future__ import annotations

from typing import Any

from shared.bus import Bus
from shared.config import Settings
from shared.errors import CommandError
from shared.worker import CommandFn


class FetcherApp:
    name = "douyin_fetcher"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._bus: Bus | None = None

    async def start(self, bus: Bus) -> None:
        self._bus = bus

    async def stop(self) -> None:
        self._bus = None

    def commands(self) -> dict[str, CommandFn]:
        return {"start_room": self._unavailable, "stop_room": self._unavailable, "rooms": self._rooms}

    def health(self) -> dict[str, Any]:
        return {"rooms": 0}

    async def _rooms(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"sessions": []}

    async def _unavailable(self, _params: dict[str, Any]) -> dict[str, Any]:
        raise CommandError(
            "unavailable", "抖音直播间抓取功能尚未安装 (Douyin room fetching is not available in this build)"
        )
