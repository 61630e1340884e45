"""``python -m services.streamcap``: the recorder on 127.0.0.1 (HTTP API under /api, UI at /)."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn

from shared.config import Settings
from shared.entry import service_main
from shared.worker import run_worker


async def _run(settings: Settings) -> None:
    from services.streamcap.app import StreamcapApp, create_http_app

    worker = StreamcapApp(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            create_http_app(settings, worker),
            host="127.0.0.1",
            port=settings.streamcap_port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=3,
        )
    )
    # uvicorn must not install its own signal handlers: run_worker owns SIGTERM and stops the server after the worker.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    serving = asyncio.create_task(server.serve(), name="http")

    async def http_ready() -> None:
        while not server.started:
            if serving.done():
                serving.result()  # re-raises why the server could not start (e.g. port in use)
            await asyncio.sleep(0.05)

    try:
        await run_worker(worker, settings, ready=http_ready)
    finally:
        server.should_exit = True
        await serving


def main() -> None:
    service_main("streamcap", _run)


if __name__ == "__main__":
    main()
