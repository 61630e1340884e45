"""The StreamCap process: its HTTP server (API + UI on 127.0.0.1) and its worker side (heartbeat, events, commands).

Commands over the bus like every worker; file bytes from this machine's StreamCap: the gateway starts, stops, lists
and gets recordings with the commands of ``shared/commands/streamcap.py`` (served below by the same manager calls as
the HTTP routes), so it needs no StreamCap of its own; the HTTP API on 127.0.0.1 stays for StreamCap's own UI (rooms,
settings) and for this machine's files.

Wiring only: the recording logic lives in ``manager.py`` and below. Recording events reach the bus as
``recording`` live events; Douyin rooms resolve through the shared Douyin code (``shared/platforms/douyin``).
Recordings are durable assignments in Redis (``shared/assignments.py``), each run under a lease by one worker
(``shared/ownership.py``, through ``ledger.py``): at start this worker adopts those its last process left, and every
2 s those placed on it or left by a dead or cut-off worker, before it finishes (remuxes) what is truly over here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from services.streamcap.api import create_router
from services.streamcap.errors import InvalidState, NotFound, StorageFull, StreamCapError
from services.streamcap.ledger import LoopLedger
from services.streamcap.manager import StreamCapManager
from services.streamcap.monitor import Monitor
from services.streamcap.recorder import StopReason
from services.streamcap.repository import SqlRepository
from services.streamcap.sources import DouyinStreams
from services.streamcap.ui import mount_streamcap_ui, ui_lifespan
from shared.assignments import Assignments, WorkItem
from shared.bus import TRANSIENT, Bus
from shared.commands import CommandTable, Empty, command_table
from shared.commands.streamcap import (
    GET_RECORDING,
    RECORDINGS,
    START_RECORDING,
    STOP_RECORDING,
    GetRecording,
    ListRecordings,
    Recording,
    RecordingList,
    RecordingStarted,
    StartRecording,
    StopRecording,
)
from shared.config import Settings
from shared.db.engine import make_engine
from shared.errors import CommandError
from shared.events import EventType, LiveEvent
from shared.ownership import WorkOwnership
from shared.platforms.douyin.errors import LiveEnded, NoStream
from shared.platforms.douyin.resolve import LiveStatus, RoomResolver
from shared.websec import LocalGuard, request_validation_handler, ui_origins
from shared.worker import SYSTEM_SESSION

__all__ = ["StreamcapApp", "create_http_app"]

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long the start waits for Redis to list the recordings to adopt before going on without them.
ADOPT_WAIT_S = 15.0


class StreamcapApp:
    name = "streamcap"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._bus: Bus | None = None
        self._monitor: Monitor | None = None
        self._own: WorkOwnership | None = None  # the recordings' leases, adoption, the registry
        self._ledger: LoopLedger | None = None
        self.worker_id = settings.effective_worker_id
        self.engine = make_engine(settings.effective_database_url)
        self.manager = StreamCapManager(
            SqlRepository(self.engine),
            settings.effective_recordings_dir,
            douyin_resolver=self.resolve_douyin,
            on_event=self._on_recording_event,
        )

    async def start(self, bus: Bus) -> None:
        self._bus = bus
        # This loop is where the threaded core meets the shell (bridge.py): resolver, monitor, ledger, events.
        self.manager.bind_loop(asyncio.get_running_loop())
        self.worker_id = bus.worker_id or self.worker_id
        work = Assignments(bus.redis, self.name)
        self._own = WorkOwnership(
            bus.redis,
            work,
            worker_id=self.worker_id,
            capacity=self.manager.settings.max_recordings,
            ttl_s=self.settings.worker_lease_ttl_s,
            adopt=self._adopt,
            on_lost=self._lease_lost,
            noun="recording",
        )
        self._ledger = LoopLedger(bus.redis, work, self._own, self.manager.bridge)
        self.manager.bind_work(self._ledger)
        # Continue the recordings a crash or a restart of this worker interrupted (and those placed here or left by
        # a dead worker), each in a new segment of the same recording; then every 2 s (shared/ownership.py).
        assigned = await self._assigned(work)
        if assigned is not None:
            with contextlib.suppress(*TRANSIENT):
                resumed = await self._own.adopt_pass()
                if resumed:
                    log.info("resumed %d recording(s) interrupted by a crash or a restart", resumed)
            assigned = await self._assigned(work)
        self._own.start()
        # Finish what a crash left (remux leftover segments) before new recordings start; a recording still
        # assigned is another worker's (or soon this one's) to continue.
        recovered = await asyncio.to_thread(self.manager.recover, {i.id for i in assigned or []})
        if recovered:
            log.info("recovered %d recordings left unfinished by a crash", len(recovered))
        self._monitor = self.manager.create_monitor(tick=1.0)
        self._monitor.start()

    async def _adopt(self, item: WorkItem) -> bool:
        assert self._ledger is not None
        self._ledger.adopted(item.id)
        return await asyncio.to_thread(self.manager.adopt_one, item)

    async def _lease_lost(self, recording_id: str, reason: str) -> None:
        """The recording's lease is gone: stopped elsewhere (its work removed) it ends here as a user stop; lost
        (expired, taken over) its ffmpeg stops before another worker may take over, and nothing more is written."""
        if reason == "work removed":
            with contextlib.suppress(StreamCapError):
                await asyncio.to_thread(self.manager.stop_recording, recording_id, StopReason.USER)
            return
        assert self._ledger is not None
        self._ledger.lost(recording_id)
        await asyncio.to_thread(self.manager.drop, recording_id, reason)

    async def _assigned(self, work: Assignments) -> list[WorkItem] | None:
        """What is assigned (None when Redis did not answer within ``ADOPT_WAIT_S``)."""
        deadline = asyncio.get_running_loop().time() + ADOPT_WAIT_S
        while True:
            try:
                return await work.list()
            except TRANSIENT as exc:
                if asyncio.get_running_loop().time() > deadline:
                    log.error("cannot read the assigned recordings (%s); none resumed this time", exc)
                    return None
                log.warning("cannot read the assigned recordings yet (%s); retrying", exc)
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        if self._own is not None:
            await self._own.stop_adopting()
        if self._monitor is not None:
            await self._monitor.stop()
        # Segments stay as playable TS; the next start remuxes them (faster shutdown, nothing lost).
        await asyncio.to_thread(self.manager.shutdown, 15.0)
        if self._own is not None:
            await self._own.close()  # the leases go back: this worker's next start, or another, continues them
        self._bus = None
        self.engine.dispose()

    def commands(self) -> CommandTable:
        return command_table(
            START_RECORDING.serve(self._start_recording),
            STOP_RECORDING.serve(self._stop_recording),
            RECORDINGS.serve(self._recordings),
            GET_RECORDING.serve(self._get_recording),
        )

    # The manager blocks on the database, the disk and (through the bridge) this very loop: each call on a thread.

    async def _start_recording(self, params: StartRecording) -> RecordingStarted:
        # Any StreamCap takes a start: the manager places it (the named worker, else the freest) via the assignments.
        recording_id = await _manager_call(
            lambda: self.manager.start_recording(
                params.platform,
                params.stream_url,
                quality=params.quality,
                segment_seconds=params.segment_seconds,
                name=params.name,
                folder=params.folder,
                worker_id=params.worker_id,
            )
        )
        return RecordingStarted(recording_id=recording_id)

    async def _stop_recording(self, params: StopRecording) -> Empty:
        # Not running here: the manager removes its assignment, so its owner stops it (or it ends now if none runs it).
        await _manager_call(lambda: self.manager.stop_recording(params.recording_id))
        return Empty()

    async def _recordings(self, params: ListRecordings) -> RecordingList:
        views = await _manager_call(lambda: self.manager.list_recordings(params.limit))
        return RecordingList(recordings=[Recording.model_validate(v) for v in views])

    async def _get_recording(self, params: GetRecording) -> Recording:
        return Recording.model_validate(await _manager_call(lambda: self.manager.get_recording(params.recording_id)))

    def health(self) -> dict[str, Any]:
        return {"worker_id": self.worker_id, "recordings": self.manager.active_count(),
                "port": self.settings.streamcap_port}  # fmt: skip

    def _on_recording_event(self, data: dict[str, Any]) -> None:
        # Called on a recorder thread: hand the event to the loop that owns the bus.
        bus = self._bus
        if bus is None:
            return
        payload = {k: v for k, v in data.items() if v is not None}
        payload.setdefault("file", None)
        event = LiveEvent.build(EventType.RECORDING, SYSTEM_SESSION, payload)
        self.manager.bridge.submit(bus.publish(event), f"recording={data.get('recording_id')} event not published")

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


async def _manager_call(call: Callable[[], T]) -> T:
    """Run a manager call on a thread; its errors become the bus's error codes (the gateway maps them to HTTP as for
    every worker: not_found 404, conflict 409, invalid 422; storage_full 507)."""
    try:
        return await asyncio.to_thread(call)
    except NotFound as exc:
        raise CommandError("not_found", str(exc)) from exc
    except InvalidState as exc:  # the wrong state, or the recording limit
        raise CommandError("conflict", str(exc)) from exc
    except StorageFull as exc:  # the disk below its free-space minimum: 507, as StreamCap's HTTP API says
        raise CommandError("storage_full", str(exc)) from exc
    except StreamCapError as exc:  # an unsafe folder, a stream that cannot be resolved, ...
        raise CommandError("invalid", str(exc)) from exc


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
