"""A worker stand-in for the gateway's tests: serves one service's bus commands over the real Redis from a thread of
its own (an event loop of its own, as a worker process has), beats like the worker, and records every command."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Self

from shared.bus import Bus


class StandInService:
    """Answers ``service``'s commands (on its own queue too when ``worker_id`` is given) until the ``with`` block ends.

    Subclasses say what the worker answers (``answer``), what it does on each beat (``beat``, every 0.2 s; the first
    one before the block starts) and on the way out (``gone``)."""

    def __init__(self, redis_url: str, service: str, *, worker_id: str | None = None, ready_s: float = 10.0) -> None:
        self.redis_url, self.service, self.worker_id, self.ready_s = redis_url, service, worker_id, ready_s
        self.commands: list[tuple[str, dict[str, Any]]] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def answer(self, bus: Bus, command: str, params: dict[str, Any]) -> dict[str, Any]:
        return {}

    async def beat(self, bus: Bus) -> None:
        await bus.heartbeat({"pid": 1, "state": "running"})

    async def gone(self, bus: Bus) -> None:
        """After the last command and beat, before the bus closes."""

    def got(self, command: str) -> list[dict[str, Any]]:
        """The parameters of every ``command`` received, in order."""
        return [p for c, p in self.commands if c == command]

    async def _run(self) -> None:
        bus = Bus(self.redis_url, service=self.service, worker_id=self.worker_id or "")  # "" = no queue of its own
        await bus.start()
        stop = asyncio.Event()

        async def handler(command: str, params: dict[str, Any]) -> dict[str, Any]:
            self.commands.append((command, params))
            return await self.answer(bus, command, params)

        serve = asyncio.create_task(bus.serve_commands(handler, stop=stop))
        while not self._stop.is_set():
            await self.beat(bus)
            self._ready.set()
            await asyncio.sleep(0.2)
        stop.set()
        await serve
        await self.gone(bus)
        await bus.close()

    def __enter__(self) -> Self:
        self._thread.start()
        assert self._ready.wait(self.ready_s), f"the stand-in {self.service} did not start"
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
