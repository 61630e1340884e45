"""Room monitoring: poll each room's live status, start a recording when it goes live, stop it when it ends.

``MonitorCore`` is the whole policy as pure logic: it is told the time and answers actions. ``Monitor`` is the
asyncio driver that performs them with injected I/O. Rules:

- each room is checked every ``interval`` seconds, spread by ``jitter`` so rooms added together drift apart;
- at most ``max_concurrent_checks`` checks run at once (platforms rate-limit);
- a room with daily time windows is only checked inside them, and its recording stops when its window closes;
- at most ``max_recordings`` recordings at once; a live room over the cap waits and is re-checked when a slot frees.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as dtime
from enum import StrEnum
from typing import Any

__all__ = ["Action", "ActionKind", "Monitor", "MonitorCore", "RoomWatch", "TimeWindow"]

log = logging.getLogger(__name__)

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class TimeWindow:
    """A daily window of local time; ``end`` before ``start`` crosses midnight (``22:00-02:00``)."""

    start: dtime
    end: dtime

    @classmethod
    def parse(cls, text: str) -> TimeWindow:
        match = _WINDOW.match(text)
        if not match:
            raise ValueError(f"时间段格式应为 HH:MM-HH:MM (time window must look like 20:00-23:30): {text[:40]!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise ValueError(f"时间无效 (invalid time): {text[:40]!r}")
        end = dtime(23, 59, 59, 999999) if h2 == 24 else dtime(h2, m2)
        return cls(dtime(h1, m1), end)

    def contains(self, moment: dtime) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class ActionKind(StrEnum):
    CHECK = "check"
    START = "start"
    STOP = "stop"


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    room_id: str
    reason: str = ""


@dataclass
class RoomWatch:
    room_id: str
    interval: float = 60.0
    windows: tuple[TimeWindow, ...] = ()
    enabled: bool = True
    next_check: float = 0.0
    checking: bool = False
    live: bool | None = None
    recording: bool = False
    waiting_since: float | None = None

    def in_window(self, wall: datetime) -> bool:
        return not self.windows or any(w.contains(wall.time()) for w in self.windows)


@dataclass
class MonitorCore:
    max_concurrent_checks: int = 3
    max_recordings: int = 5
    jitter: float = 0.1
    rng: Callable[[], float] = random.random
    rooms: dict[str, RoomWatch] = field(default_factory=dict)

    # rooms

    def add(
        self,
        room_id: str,
        *,
        interval: float = 60.0,
        windows: Iterable[TimeWindow] = (),
        enabled: bool = True,
        now: float = 0.0,
    ) -> RoomWatch:
        if interval <= 0:
            raise ValueError("interval must be positive")
        watch = RoomWatch(room_id, interval, tuple(windows), enabled, next_check=now)
        self.rooms[room_id] = watch
        return watch

    def update(
        self,
        room_id: str,
        *,
        interval: float | None = None,
        windows: Iterable[TimeWindow] | None = None,
        enabled: bool | None = None,
        now: float = 0.0,
    ) -> RoomWatch:
        watch = self.rooms[room_id]
        if interval is not None:
            if interval <= 0:
                raise ValueError("interval must be positive")
            watch.interval = interval
            watch.next_check = min(watch.next_check, now + interval)
        if windows is not None:
            watch.windows = tuple(windows)
        if enabled is not None:
            watch.enabled = enabled
            if enabled:
                watch.next_check = now
        return watch

    def remove(self, room_id: str) -> list[Action]:
        watch = self.rooms.pop(room_id, None)
        if watch is not None and watch.recording:
            return [Action(ActionKind.STOP, room_id, "room_removed")]
        return []

    @property
    def recording_count(self) -> int:
        return sum(1 for w in self.rooms.values() if w.recording)

    # time

    def _next(self, watch: RoomWatch, now: float) -> float:
        spread = watch.interval * self.jitter * (2 * self.rng() - 1)
        return now + max(0.1, watch.interval + spread)

    def tick(self, now: float, wall: datetime) -> list[Action]:
        """Actions due at ``now``: stops for closed windows or disabled rooms, then checks up to the cap."""
        actions: list[Action] = []
        for watch in self.rooms.values():
            if watch.recording and not watch.enabled:
                watch.recording = False
                actions.append(Action(ActionKind.STOP, watch.room_id, "disabled"))
            elif watch.recording and not watch.in_window(wall):
                watch.recording = False
                actions.append(Action(ActionKind.STOP, watch.room_id, "window_closed"))
        running = sum(1 for w in self.rooms.values() if w.checking)
        due = sorted(
            (
                w
                for w in self.rooms.values()
                if w.enabled and not w.checking and w.next_check <= now and w.in_window(wall)
            ),
            key=lambda w: (w.waiting_since is None, w.waiting_since or 0.0, w.next_check),
        )
        for watch in due:
            if running >= self.max_concurrent_checks:
                break
            watch.checking = True
            running += 1
            actions.append(Action(ActionKind.CHECK, watch.room_id))
        return actions

    def check_done(self, room_id: str, live: bool | None, now: float, wall: datetime) -> list[Action]:
        """A check finished: ``live`` True/False, or None when the check itself failed (no change, try later)."""
        watch = self.rooms.get(room_id)
        if watch is None:
            return []
        watch.checking = False
        watch.next_check = self._next(watch, now)
        if live is None:
            return []
        watch.live = live
        if not live:
            watch.waiting_since = None
            if watch.recording:
                watch.recording = False
                return [Action(ActionKind.STOP, room_id, "offline")]
            return []
        if watch.recording or not watch.enabled or not watch.in_window(wall):
            return []
        if self.recording_count >= self.max_recordings:
            if watch.waiting_since is None:
                watch.waiting_since = now
            return []
        watch.recording = True
        watch.waiting_since = None
        return [Action(ActionKind.START, room_id)]

    def recording_ended(self, room_id: str, now: float) -> None:
        """The room's recording ended by itself (or failed to start); waiting rooms get checked at once."""
        watch = self.rooms.get(room_id)
        if watch is not None:
            watch.recording = False
        for other in self.rooms.values():
            if other.waiting_since is not None:
                other.next_check = min(other.next_check, now)


class Monitor:
    """Drives ``MonitorCore`` on an event loop. ``check_live(room_id) -> bool``; start/stop callbacks may be async."""

    def __init__(
        self,
        core: MonitorCore,
        *,
        check_live: Callable[[str], Awaitable[bool]],
        start_recording: Callable[[str], Awaitable[Any] | Any],
        stop_recording: Callable[[str, str], Awaitable[Any] | Any],
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = datetime.now,
        tick: float = 1.0,
    ) -> None:
        self.core = core
        self._check_live = check_live
        self._start = start_recording
        self._stop_rec = stop_recording
        self._clock = clock
        self._wall = wall
        self._tick = tick
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def is_running(self) -> bool:
        return self._runner is not None and not self._runner.done()

    def start(self) -> None:
        if self.is_running:
            return
        self._stopping.clear()
        self._runner = asyncio.get_running_loop().create_task(self._run(), name="streamcap-monitor")

    async def stop(self) -> None:
        self._stopping.set()
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await asyncio.gather(self._runner, *self._tasks, return_exceptions=True)
        self._runner = None

    async def join(self) -> None:
        if self._runner is not None:
            await asyncio.gather(self._runner, return_exceptions=True)

    async def step(self) -> None:
        """One tick: perform every due action (tests call this directly)."""
        for action in self.core.tick(self._clock(), self._wall()):
            await self._perform(action)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            await self.step()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._tick)

    async def _perform(self, action: Action) -> None:
        if action.kind is ActionKind.CHECK:
            task = asyncio.get_running_loop().create_task(self._check(action.room_id), name=f"check-{action.room_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif action.kind is ActionKind.START:
            log.info("room=%s is live, starting a recording", action.room_id)
            try:
                await _maybe_await(self._start(action.room_id))
            except Exception as exc:  # the room stays monitored; a failed start must not stop the monitor
                log.warning("room=%s could not start recording: %s", action.room_id, exc)
                self.core.recording_ended(action.room_id, self._clock())
        else:
            log.info("room=%s stopping its recording (%s)", action.room_id, action.reason)
            try:
                await _maybe_await(self._stop_rec(action.room_id, action.reason))
            except Exception as exc:
                log.warning("room=%s could not stop recording: %s", action.room_id, exc)

    async def _check(self, room_id: str) -> None:
        live: bool | None
        try:
            live = bool(await self._check_live(room_id))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure of a check is "unknown": keep state, try at the next interval
            log.warning("room=%s live check failed: %s", room_id, exc)
            live = None
        for action in self.core.check_done(room_id, live, self._clock(), self._wall()):
            await self._perform(action)


async def _maybe_await(value: Awaitable[Any] | Any) -> Any:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        return await value
    return value
