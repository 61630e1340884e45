"""The gateway process: the FastAPI app, its background parts (persister, live hub) and their lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException, Request
from fastapi.routing import APIRoute
from sqlalchemy import Connection
from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles

from services.gateway.analytics import AnalyticsWorker
from services.gateway.analytics.context import AnalyticsContext
from services.gateway.api.errors import allowed_methods, install_error_handlers
from services.gateway.api.routes import analytics as analytics_routes
from services.gateway.api.routes import (
    ast,
    dead_letters,
    douyin,
    douyin_account,
    draws,
    health,
    overlay,
    sessions,
    streamcap,
    viewers,
    workers,
    ws,
)
from services.gateway.api.routes import settings as settings_routes
from services.gateway.api.schemas import document_bad_bodies
from services.gateway.live import LiveHub
from services.gateway.persister import Persister
from services.gateway.repo import SessionRepo
from services.gateway.state import GatewayState
from services.gateway.subtitles.service import SubtitleService
from shared.bus import Bus
from shared.config import Settings
from shared.db.engine import make_engine
from shared.db.store import EventStore
from shared.errors import ConfigError
from shared.websec import LocalGuard, parse_origins, ui_origins

__all__ = ["create_app", "frontend_dist"]

log = logging.getLogger(__name__)

SHUTDOWN_WAIT_S = 3.0  # for the background loops; with the cancel and the bus, within the launcher's 5 s stop grace


def frontend_dist() -> Path | None:
    """The built UI: next to the package in development, or where a frozen build unpacked it."""
    import sys

    roots = [Path(__file__).resolve().parents[2]]
    if getattr(sys, "frozen", False):
        roots.insert(0, Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)))
    for root in roots:
        dist = root / "frontend" / "dist"
        if (dist / "index.html").is_file():
            return dist
    return None


def _operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def create_app(settings: Settings) -> FastAPI:
    if not settings.redis_url:
        raise ConfigError("TIMAO_REDIS_URL is not set: start the suite with `timao up`, or set it to a Redis URL")
    token = settings.resolve_token()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        bus = Bus(settings.redis_url, service="gateway")
        await bus.start()
        engine = make_engine(settings.effective_database_url)
        analytics = AnalyticsContext.create(engine, settings.home / "reports")
        streamcap_client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{settings.streamcap_port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(15.0, connect=2.0),
        )
        subtitles = SubtitleService(engine, streamcap_client, settings.effective_recordings_dir)

        def on_new(conn: Connection, events: list[dict[str, Any]]) -> None:
            analytics.aggregator.on_new(conn, events)
            subtitles.on_new(conn, events)  # a remuxed recording file gets its subtitles

        persister = Persister(bus, EventStore(engine, on_new=on_new))
        hub = LiveHub(bus)
        analytics_worker = AnalyticsWorker(
            engine, analytics.aggregator, analytics.segmenter, dispatch=hub.dispatch, reports_dir=analytics.reports_dir
        )
        analytics.aggregator.on_live_end = analytics_worker.live_ended
        app.state.analytics = analytics
        app.state.gw = GatewayState(
            settings=settings,
            token=token,
            bus=bus,
            engine=engine,
            repo=SessionRepo(engine),
            hub=hub,
            persister=persister,
            streamcap=streamcap_client,
            subtitles=subtitles,
        )
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(persister.run(stop), name="persister"),
            asyncio.create_task(hub.run(), name="live-hub"),
            asyncio.create_task(analytics_worker.run(stop), name="analytics"),
            asyncio.create_task(subtitles.run(stop), name="subtitles"),
        ]
        for task in tasks:
            task.add_done_callback(_log_crash)
        try:
            yield
        finally:
            stop.set()
            tasks[1].cancel()
            await _finish(tasks, SHUTDOWN_WAIT_S)
            await asyncio.to_thread(subtitles.burns.close)
            await streamcap_client.aclose()
            try:
                await asyncio.wait_for(bus.close(), 1.0)
            except TimeoutError:
                log.warning("gateway shutdown: the bus did not close in 1s")
            engine.dispose()

    # No /docs, /redoc or /openapi.json in the running product: Swagger UI loads its scripts from a CDN, and they
    # would run on the UI's own origin (which the Origin check trusts) next to a page holding the token. The
    # reference lives in docs/api/ instead (scripts/gen_api_docs.py calls app.openapi(), which needs no route).
    app = FastAPI(
        title="TalkingCat gateway",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_error_handlers(app)
    document_bad_bodies(app)
    for module in (
        health,
        sessions,
        analytics_routes,
        douyin,
        douyin_account,
        streamcap,
        ast,
        settings_routes,
        dead_letters,
        draws,
        viewers,
        overlay,
        workers,
        ws,
    ):
        app.include_router(module.router)
    # The UI is served by the gateway itself (or proxied to it by the Vite dev server), so it needs no CORS. A UI on
    # another origin (the Electron shell on the Vite dev server) is trusted only once the user lists it in
    # TIMAO_ALLOWED_ORIGINS; the guard then answers its preflights.
    extra = parse_origins(settings.allowed_origins.split(","))
    app.add_middleware(LocalGuard, token=token, allowed_origins=ui_origins(settings.gateway_port), cors_origins=extra)
    _mount_frontend(app)
    return app


def _mount_frontend(app: FastAPI) -> None:
    dist = frontend_dist()
    if dist is None:
        return
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")
    index = dist / "index.html"

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(path: str, request: Request) -> FileResponse:
        # A NUL (%00) is no file name: the path lookup below would raise ValueError on it.
        if path.startswith(("api/", "ws", "overlay/")) or "\x00" in path:
            # An API path asked with a method it does not take (GET /api/douyin/start): 405, as without the UI.
            if path.startswith("api/") and allowed_methods(request.app, request.scope["path"]):
                raise HTTPException(405, "Method Not Allowed")
            raise HTTPException(404, "Not Found")
        # Client-side routes (/dashboard, /settings, ...) all load the SPA; real files are served as they are.
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        return FileResponse(index)


async def _finish(tasks: list[asyncio.Task[None]], timeout: float) -> None:
    """Wait for the background loops to see ``stop``; one that does not within ``timeout`` is cancelled and named, so
    a stuck loop (a database call that never returns, a lost Redis reply) cannot hold the gateway's shutdown forever."""
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        log.warning("gateway shutdown: %s did not stop in %.0fs; cancelled", task.get_name(), timeout)
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=1.0)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s crashed", task.get_name(), exc_info=task.exception())
