"""The fetcher process: lifecycle, health and command handlers around the room clients.

Commands (from the gateway, over the bus):
    start_room {live_id, session_id, config?} → {session_id, live_id, room_id, title, anchor_name, status}
    stop_room  {session_id}                   → {}
    rooms      {}                             → {sessions: [...]}
Every event a room client produces goes to the bus's durable log as it is (the decoder already shaped it).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.douyin_fetcher.client import ClientOptions
from services.douyin_fetcher.rooms import RoomManager, UnknownSession
from shared.bus import Bus
from shared.config import Settings
from shared.errors import CommandError
from shared.platforms.douyin.errors import BadRoomInput, DouyinError, RoomNotFound
from shared.platforms.douyin.resolve import RoomResolver, parse_live_id
from shared.retry import exponential
from shared.worker import CommandFn

__all__ = ["FetcherApp"]

log = logging.getLogger(__name__)

# A first resolution answers the user quickly (unknown room → 404); past this the client keeps trying on its own.
PRECHECK_TIMEOUT_S = 8.0


class RoomConfig(BaseModel):
    """Per-room tuning a caller may pass as ``config`` (all optional, bounded)."""

    model_config = ConfigDict(extra="forbid")

    heartbeat_interval: float = Field(default=10.0, ge=0.1, le=60)
    stall_timeout: float = Field(default=60.0, ge=0.5, le=600)
    device_blocked_backoff: float = Field(default=300.0, ge=0.1, le=3600)
    retry_base: float = Field(default=1.0, ge=0.05, le=60)
    retry_cap: float = Field(default=60.0, ge=0.1, le=3600)

    def client_options(self) -> ClientOptions:
        return ClientOptions(
            heartbeat_interval=self.heartbeat_interval,
            stall_timeout=self.stall_timeout,
            device_blocked_backoff=self.device_blocked_backoff,
        )


class FetcherApp:
    name = "douyin_fetcher"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._bus: Bus | None = None
        self._rooms: RoomManager | None = None

    async def start(self, bus: Bus) -> None:
        self._bus = bus
        self._rooms = RoomManager.from_settings(self.settings, self._emit, emit_batch=self._emit_batch)

    async def stop(self) -> None:
        if self._rooms is not None:
            await self._rooms.stop_all()
        self._bus = None

    async def _emit(self, event: dict[str, Any]) -> None:
        assert self._bus is not None
        await self._bus.publish(orjson.dumps(event))

    async def _emit_batch(self, events: list[dict[str, Any]]) -> None:
        assert self._bus is not None
        await self._bus.publish_many([orjson.dumps(e) for e in events])

    def commands(self) -> dict[str, CommandFn]:
        return {"start_room": self._start_room, "stop_room": self._stop_room, "rooms": self._list_rooms}

    def health(self) -> dict[str, Any]:
        rooms = self._rooms.status() if self._rooms else []
        return {"rooms": len(rooms), "connected": sum(1 for r in rooms if r["state"] == "connected")}

    @property
    def rooms(self) -> RoomManager:
        if self._rooms is None:
            raise CommandError("unavailable", "fetcher not started")
        return self._rooms

    async def _start_room(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            live_id = parse_live_id(str(params.get("live_id", "")))
            config = RoomConfig.model_validate(params.get("config") or {})
        except BadRoomInput as exc:
            raise CommandError("invalid", str(exc)) from exc
        except ValidationError as exc:
            problems = "; ".join(f"config.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise CommandError("invalid", problems) from exc
        info: dict[str, Any] = {"live_id": live_id}
        resolver = RoomResolver.from_settings(self.settings)
        try:
            room = await asyncio.wait_for(resolver.resolve(live_id), PRECHECK_TIMEOUT_S)
            anchor = room.anchor.nickname if room.anchor else ""
            info.update(room_id=room.room_id, title=room.title, anchor_name=anchor, status=room.status.value)
        except RoomNotFound as exc:
            raise CommandError("not_found", f"直播间不存在 (room not found): {live_id}: {exc}") from exc
        except (DouyinError, OSError, TimeoutError) as exc:
            # Network trouble or a challenge page: the client retries with its policy; say why in the status.
            info["status"] = "unresolved"
            info["reason"] = f"{type(exc).__name__}: {exc}"
            log.warning("room=%s first resolution failed (%s); the client keeps trying", live_id, info["reason"])
        finally:
            await resolver.aclose()
        session_id = await self.rooms.start(
            live_id,
            session_id=params.get("session_id") or None,
            options=config.client_options(),
            retry_policy=exponential(base=config.retry_base, cap=config.retry_cap, jitter=0.3),
        )
        return {"session_id": session_id, **info}

    async def _stop_room(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            await self.rooms.stop(str(params.get("session_id", "")))
        except UnknownSession as exc:
            raise CommandError("not_found", str(exc)) from exc
        return {}

    async def _list_rooms(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"sessions": self.rooms.status()}
