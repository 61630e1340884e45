"""The StreamCap process: its HTTP server (API + UI on 127.0.0.1) and its worker side (heartbeat, events).

Wiring only: the recording logic lives in ``manager.py`` and below. Recording events reach the bus as
``recording`` live events; Douyin rooms resolve through the shared Douyin code (``shared/platforms/douyin``).
Recordings are durable assignments in Redis (``shared/assignments.py``); at start the manager adopts those a
crash or a restart left, before it finishes (remuxes) what is truly over.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
from collections.abc import Coroutine
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from services.streamcap.api import create_router
from services.streamcap.manager import StreamCapManager
from services.streamcap.monitor import Monitor
from services.streamcap.repository import SqlRepository
from services.streamcap.sources import DouyinStreams
from services.streamcap.ui import mount_streamcap_ui, ui_lifespan
from shared.assignments import Assignments, WorkItem
from shared.bus import TRANSIENT, Bus
from shared.commands import CommandTable
from shared.config import Settings
from shared.db.engine import make_engine
from shared.events import EventType, LiveEvent
from shared.platforms.douyin.errors import LiveEnded, NoStream
from shared.platforms.douyin.resolve import LiveStatus, RoomResolver
from shared.websec import LocalGuard, request_validation_handler, ui_origins
from shared.worker import SYSTEM_SESSION

__all__ = ["StreamcapApp", "create_http_app"]

log = logging.getLogger(__name__)

# How long the start waits for Redis to list the recordings to adopt before going on without them.
ADOPT_WAIT_S = 15.0
LEDGER_TIMEOUT_S = 5.0


class _LoopLedger:
    """The manager's blocking ``WorkLedger`` over the async assignments of the process's loop. From the loop's own
    thread the write is scheduled, not awaited (it would wait on itself); Redis trouble is logged, never raised:
    a recording goes on without its durable copy rather than not at all."""

    def __init__(self, work: Assignments, loop: asyncio.AbstractEventLoop) -> None:
        self._work = work
        self._loop = loop
        self._pending: set[asyncio.Task[Any]] = set()

    def assign(self, item_id: str, spec: dict[str, Any]) -> None:
        self._call(self._work.put(item_id, spec), f"recording={item_id} not assigned")

    def release(self, item_id: str) -> None:
        self._call(self._work.remove(item_id), f"recording={item_id} not released")

    def _call(self, coro: Coroutine[Any, Any, Any], failure: str) -> None:
        running = None
        with contextlib.suppress(RuntimeError):
            running = asyncio.get_running_loop()
        if running is self._loop:
            task = self._loop.create_task(coro)
            self._pending.add(task)
            task.add_done_callback(lambda t: self._done(t, failure))
            return
        try:
            asyncio.run_coroutine_threadsafe(coro, self._loop).result(LEDGER_TIMEOUT_S)
        except (*TRANSIENT, concurrent.futures.TimeoutError) as exc:
            log.warning("%s: %s", failure, exc)

    def _done(self, task: asyncio.Task[Any], failure: str) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s: %s", failure, task.exception())


class StreamcapApp:
    name = "streamcap"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._bus: Bus | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._monitor: Monitor | None = None
        self.engine = make_engine(settings.effective_database_url)
        self.manager = StreamCapManager(
            SqlRepository(self.engine),
            settings.effective_recordings_dir,
            douyin_resolver=self.resolve_douyin,
            on_event=self._on_recording_event,
        )

    async def start(self, bus: Bus) -> None:
        self._bus = bus
        self._loop = asyncio.get_running_loop()
        self.manager.bind_loop(self._loop)  # the Douyin resolver is async and runs on this loop
        work = Assignments(bus.redis, self.name)
        self.manager.bind_work(_LoopLedger(work, self._loop))
        # Continue the recordings a crash or a restart interrupted, each in a new segment of the same recording.
        resumed = await asyncio.to_thread(self.manager.adopt, await self._assigned(work))
        if resumed:
            log.info("resumed %d recording(s) interrupted by a crash or a restart", len(resumed))
        # Finish what a crash left (remux leftover segments) before new recordings start.
        recovered = await asyncio.to_thread(self.manager.recover)
        if recovered:
            log.info("recovered %d recordings left unfinished by a crash", len(recovered))
        self._monitor = self.manager.create_monitor(tick=1.0)
        self._monitor.start()

    async def _assigned(self, work: Assignments) -> list[WorkItem]:
        deadline = asyncio.get_running_loop().time() + ADOPT_WAIT_S
        while True:
            try:
                return await work.list()
            except TRANSIENT as exc:
                if asyncio.get_running_loop().time() > deadline:
                    log.error("cannot read the assigned recordings (%s); none resumed this time", exc)
                    return []
                log.warning("cannot read the assigned recordings yet (%s); retrying", exc)
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        if self._monitor is not None:
            await self._monitor.stop()
        # Segments stay as playable TS; the next start remuxes them (faster shutdown, nothing lost).
        await asyncio.to_thread(self.manager.shutdown, 15.0)
        self._bus = None
        self.engine.dispose()

    def commands(self) -> CommandTable:
        # StreamCap's door is its own HTTP API: over the bus it answers only ping and status (shared/commands).
        return {}

    def health(self) -> dict[str, Any]:
        return {"recordings": self.manager.active_count(), "port": self.settings.streamcap_port}

    def _on_recording_event(self, data: dict[str, Any]) -> None:
        # Called on a recorder thread: hand the event to the loop that owns the bus.
        bus, loop = self._bus, self._loop
        if bus is None or loop is None:
            return
        payload = {k: v for k, v in data.items() if v is not None}
        payload.setdefault("file", None)
        event = LiveEvent.build(EventType.RECORDING, SYSTEM_SESSION, payload)
        asyncio.run_coroutine_threadsafe(bus.publish(event), loop)

    async def resolve_douyin(self, room: str) -> DouyinStreams:
        """Stream candidates per quality for a Douyin room; an empty mapping while it is not live."""
        resolver = RoomResolver.from_settings(self.settings)
        try:
            resolved = await resolver.resolve(room)  # any link a user has (docs/protocol/douyin.md §1.6)
        except LiveEnded:
            return DouyinStreams(streams={})
        finally:
            await resolver.aclose()
        anchor = resolved.anchor.nickname if resolved.anchor else ""
        if resolved.status is not LiveStatus.LIVE or resolved.enter is None:
            return DouyinStreams(streams={}, anchor=anchor, title=resolved.title)
        try:
            variants = resolved.enter.streams().variants
        except NoStream:
            return DouyinStreams(streams={}, anchor=anchor, title=resolved.title)
        streams: dict[str, list[str]] = {}
        for quality, variant in variants.items():
            # FLV first (one long HTTP response, cheapest to record); HLS first for H.265, which FLV cannot carry.
            order = [variant.hls, variant.flv] if variant.codec == "h265" else [variant.flv, variant.hls]
            urls = [u for u in order if u]
            if urls:
                streams[quality] = urls
        return DouyinStreams(streams=streams, anchor=anchor, title=resolved.title)


def create_http_app(settings: Settings, worker: StreamcapApp) -> FastAPI:
    # No /docs, /redoc or /openapi.json: Swagger UI would load CDN scripts on this origin (see the gateway's app).
    app = FastAPI(
        title="TalkingCat StreamCap",
        version="0.1.0",
        lifespan=ui_lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_exception_handler(RequestValidationError, request_validation_handler)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "service": "streamcap", "pid": os.getpid(), **worker.health()}

    app.include_router(create_router(worker.manager), prefix="/api")
    token = settings.resolve_token()
    origins = ui_origins(settings.streamcap_port, [f"http://127.0.0.1:{settings.gateway_port}"])
    # The Flet UI at / (its session socket is /ui/ws): Host/Origin checked, and a sign-in with the token (a cookie).
    mount_streamcap_ui(app, worker.manager, token=token, port=settings.streamcap_port, frame_ancestors=origins)
    app.add_middleware(LocalGuard, token=token, allowed_origins=origins)
    return app
