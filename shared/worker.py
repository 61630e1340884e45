"""The process shell every service shares: bus connection, heartbeat, command dispatch, signals, clean stop.

A service supplies a ``WorkerApp`` (its lifecycle and command handlers); ``run_worker`` does the rest, so every
service starts, reports health, obeys commands and stops the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from shared.bus import TRANSIENT, Bus, heartbeat_key
from shared.commands import UNKNOWN_COMMAND, CommandTable, Empty, command_table
from shared.commands.worker import PING, STATUS, Pong, WorkerStatus
from shared.config import Settings
from shared.errors import CommandError, ConfigError
from shared.events import EventType, LiveEvent

__all__ = ["SYSTEM_SESSION", "WorkerApp", "run_worker", "service_event"]

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 1.0
HEARTBEAT_TTL_S = 5.0
# Service-level events (not tied to a live room) are filed under this session id.
SYSTEM_SESSION = "system"


class WorkerApp(Protocol):
    name: str

    async def start(self, bus: Bus) -> None: ...

    async def stop(self) -> None: ...

    def commands(self) -> CommandTable:
        """The commands this worker serves, each bound to its handler (``shared/commands``); ``ping`` and
        ``status`` are answered for every worker."""
        ...

    def health(self) -> dict[str, Any]: ...


def service_event(service: str, state: str, **extra: Any) -> LiveEvent:
    return LiveEvent.build(EventType.SERVICE, SYSTEM_SESSION, {"service": service, "state": state, **extra})


async def _heartbeat_loop(bus: Bus, app: WorkerApp, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await bus.heartbeat({"pid": os.getpid(), "state": "running", **app.health()}, ttl_s=HEARTBEAT_TTL_S)
        except TRANSIENT as exc:
            log.warning("heartbeat failed: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), HEARTBEAT_INTERVAL_S)


def _dispatcher(app: WorkerApp) -> Callable[[str, Any], Awaitable[dict[str, Any]]]:
    """Every command through its model (shared/commands): params validated before the handler runs (a malformed one
    is a ``bad_command`` error with the field list), a name nobody serves an ``unknown_command`` error."""

    async def ping(_params: Empty) -> Pong:
        return Pong(pong=True, pid=os.getpid())

    async def status(_params: Empty) -> WorkerStatus:
        return WorkerStatus.model_validate(app.health())

    handlers = {**app.commands(), **command_table(PING.serve(ping), STATUS.serve(status))}

    async def dispatch(command: str, params: Any) -> dict[str, Any]:
        served = handlers.get(command)
        if served is None:
            raise CommandError(UNKNOWN_COMMAND, f"{app.name} 没有命令 {command!r} (unknown command)")
        return await served(params)

    return dispatch


async def run_worker(app: WorkerApp, settings: Settings, *, ready: Callable[[], Awaitable[None]] | None = None) -> None:
    """Run ``app`` until SIGTERM/SIGINT. ``ready`` (optional) is awaited after start, before the first heartbeat."""
    if not settings.redis_url:
        raise ConfigError("TIMAO_REDIS_URL is not set: start the services with `timao up`, or set it to a Redis URL")
    bus = Bus(settings.redis_url, service=app.name, worker_id=settings.effective_worker_id)
    await bus.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows: no signal handlers in the loop
            loop.add_signal_handler(sig, stop.set)
    await app.start(bus)
    if ready is not None:
        await ready()
    await bus.publish(service_event(app.name, "running", pid=os.getpid()))
    log.info("%s running (pid %d)", app.name, os.getpid())
    tasks = [
        asyncio.create_task(_heartbeat_loop(bus, app, stop), name="heartbeat"),
        asyncio.create_task(bus.serve_commands(_dispatcher(app), stop=stop), name="commands"),
    ]
    try:
        await stop.wait()
    finally:
        log.info("%s stopping", app.name)
        await app.stop()
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(*TRANSIENT):
            await bus.publish(service_event(app.name, "stopped", pid=os.getpid()))
            await bus.redis.delete(heartbeat_key(app.name, bus.worker_id))
            beat = await bus.read_heartbeat(app.name)
            if beat is not None and beat.get("pid") == os.getpid():  # the service's beat is another worker's
                await bus.redis.delete(heartbeat_key(app.name))
        await bus.close()
        log.info("%s stopped", app.name)
