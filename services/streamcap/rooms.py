"""Monitored rooms: their rows, the monitor that starts and stops their recordings, and each room's status.

A part of ``StreamCapManager`` (mixed in): it uses the manager's repository, source factory, clock, recordings and
loop bridge (``bridge.py``), declared below. The monitor runs on the loop; every call into it from a thread goes
through the bridge.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from services.streamcap.bridge import LoopBridge
from services.streamcap.errors import NotFound, StreamOffline
from services.streamcap.monitor import Monitor, MonitorCore, TimeWindow
from services.streamcap.recorder import StopReason
from services.streamcap.repository import RoomRecord, StreamCapRepository
from services.streamcap.settings import StreamCapSettings
from services.streamcap.sources import StreamSource
from services.streamcap.storage import check_component

__all__ = ["RoomStatus", "RoomsPart"]

# recording: being recorded; checking: a live-status check is under way; offline: the last check said not live;
# waiting: watched, not checked yet; outside_window: outside its daily time windows; paused: not monitored.
RoomStatus = Literal["recording", "checking", "offline", "waiting", "outside_window", "paused"]


class RoomsPart:
    repository: StreamCapRepository
    _bridge: LoopBridge
    _clock: Callable[[], float]
    _lock: threading.RLock
    _room_of: dict[str, str]
    _monitor: Monitor | None
    _source_factory: Callable[[str, str, str | None], StreamSource]

    if TYPE_CHECKING:  # the manager's own

        @property
        def settings(self) -> StreamCapSettings: ...

        def start_recording(
            self,
            platform: str,
            stream_url: str,
            *,
            quality: str | None = None,
            segment_seconds: float | None = None,
            name: str | None = None,
            folder: str | None = None,
            room_id: str | None = None,
            worker_id: str | None = None,
        ) -> str: ...

        def stop_recording(
            self, recording_id: str, reason: StopReason | str = StopReason.USER, *, wait: float = 0
        ) -> None: ...

    def add_room(self, room: RoomRecord) -> RoomRecord:
        if room.folder:
            check_component(room.folder)
        for window in room.windows:
            TimeWindow.parse(window)
        self._source_factory(room.platform, room.url, room.quality)  # validates platform and URL now
        room.id = room.id or uuid.uuid4().hex
        self.repository.add_room(room)
        self._sync_monitor_room(room)
        return room

    def update_room(self, room_id: str, changes: dict[str, Any]) -> RoomRecord:
        if changes.get("folder"):
            check_component(changes["folder"])
        for window in changes.get("windows") or []:
            TimeWindow.parse(window)
        current = self.repository.get_room(room_id)
        if current is None:
            raise NotFound(f"直播间不存在 (no room {room_id})")
        if "platform" in changes or "url" in changes:
            self._source_factory(changes.get("platform", current.platform), changes.get("url", current.url), None)
        room = self.repository.update_room(room_id, **changes)
        self._sync_monitor_room(room)
        return room

    def remove_room(self, room_id: str) -> None:
        self.repository.delete_room(room_id)
        if self._monitor is not None:
            self._bridge.call_soon(self._monitor_remove, room_id)

    def list_rooms(self) -> list[RoomRecord]:
        return self.repository.list_rooms()

    def room_recording(self, room_id: str) -> str | None:
        with self._lock:
            return next((rid for rid, room in self._room_of.items() if room == room_id), None)

    def room_status(self, room: RoomRecord) -> RoomStatus:
        """What a monitored room is doing right now, for the UIs."""
        if self.room_recording(room.id):
            return "recording"
        if not (room.enabled and room.auto_record):
            return "paused"
        watch = self._monitor.core.rooms.get(room.id) if self._monitor is not None else None
        if watch is None:
            return "waiting"
        if watch.checking:
            return "checking"
        if not watch.in_window(datetime.now()):
            return "outside_window"
        if watch.live is False:
            return "offline"
        return "waiting"

    # monitor

    def create_monitor(self, *, tick: float = 1.0) -> Monitor:
        """Build the room monitor on the running loop; the caller starts and stops it."""
        settings = self.settings
        core = MonitorCore(max_concurrent_checks=settings.max_concurrent_checks, max_recordings=settings.max_recordings)
        monitor = Monitor(
            core,
            check_live=self._check_live,
            start_recording=self._start_room,
            stop_recording=self._stop_room,
            clock=self._clock,
            tick=tick,
        )
        self._monitor = monitor
        self._bridge.bind(asyncio.get_running_loop())  # the shell's loop: the monitor lives on it
        for room in self.repository.list_rooms():
            self._sync_monitor_room(room)
        with self._lock:
            recording = set(self._room_of.values())
        for room_id in recording:  # resumed recordings: the monitor must not start a second one for their rooms
            watch = core.rooms.get(room_id)
            if watch is not None:
                watch.recording = True
        return monitor

    def _sync_monitor_room(self, room: RoomRecord) -> None:
        if self._monitor is None:
            return
        core = self._monitor.core

        def apply() -> None:
            windows = [TimeWindow.parse(w) for w in room.windows]
            enabled = room.enabled and room.auto_record
            if room.id in core.rooms:
                core.update(room.id, interval=room.check_interval, windows=windows, enabled=enabled, now=self._clock())
            else:
                core.add(room.id, interval=room.check_interval, windows=windows, enabled=enabled, now=self._clock())

        self._bridge.call_soon(apply)

    def _monitor_remove(self, room_id: str) -> None:
        assert self._monitor is not None
        for action in self._monitor.core.remove(room_id):
            recording_id = self.room_recording(action.room_id)
            if recording_id:
                self.stop_recording(recording_id, StopReason.USER)

    def _notify_monitor_ended(self, room_id: str) -> None:
        if self._monitor is not None:
            self._bridge.call_soon(self._monitor.core.recording_ended, room_id, self._clock())

    async def _check_live(self, room_id: str) -> bool:
        room = await asyncio.to_thread(self.repository.get_room, room_id)
        if room is None:
            return False
        source = self._source_factory(room.platform, room.url, room.quality)
        try:
            await asyncio.to_thread(source.resolve, 0)
        except StreamOffline:
            return False
        return True

    async def _start_room(self, room_id: str) -> None:
        room = await asyncio.to_thread(self.repository.get_room, room_id)
        if room is None:
            raise NotFound(f"直播间不存在 (no room {room_id})")
        await asyncio.to_thread(
            self.start_recording,
            room.platform,
            room.url,
            quality=room.quality,
            segment_seconds=room.segment_seconds,
            name=room.name or None,
            folder=room.folder,
            room_id=room.id,
        )

    async def _stop_room(self, room_id: str, reason: str) -> None:
        recording_id = self.room_recording(room_id)
        if recording_id:
            why = (
                StopReason.WINDOW
                if reason == "window_closed"
                else StopReason.OFFLINE
                if reason == "offline"
                else StopReason.USER
            )
            self.stop_recording(recording_id, why)
