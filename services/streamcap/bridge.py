"""The one place where StreamCap's threaded core meets its asyncio shell.

The core (manager, recorders, routes in the thread pool) blocks on files, the database and ffmpeg; the shell (the
process's loop) runs the bus, the leases, the room monitor and the async Douyin resolver. Every crossing goes
through ``LoopBridge``:

- ``call_soon(fn)``: run a plain function on the loop (at once when already on it): the monitor's bookkeeping;
- ``submit(coro)``: schedule a coroutine without waiting (from the loop's own thread too): an event to publish;
- ``run(coro)``: wait for a coroutine's answer from a thread (never from the loop itself: it would wait on itself).

The loop is known once it runs (``bind``); before that, calls that need it are refused or dropped as each says.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["LoopBridge", "NoLoop"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class NoLoop(RuntimeError):
    """The loop is not bound yet, or a blocking call came from the loop's own thread."""


class LoopBridge:
    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop
        self._pending: set[asyncio.Future[Any] | concurrent.futures.Future[Any]] = set()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def on_loop(self) -> bool:
        """True when called from the bound loop's own thread."""
        running = None
        with contextlib.suppress(RuntimeError):
            running = asyncio.get_running_loop()
        return running is not None and running is self.loop

    def call_soon(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(*args)`` on the loop: now when on it, else as soon as the loop gets to it."""
        loop = self.loop
        if loop is None:
            raise NoLoop("no loop bound")
        if self.on_loop():
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    def submit(self, coro: Coroutine[Any, Any, Any], what: str) -> None:
        """Schedule ``coro`` on the loop without waiting; its failure is logged with ``what``. Dropped (and closed)
        when no loop is bound or it is closed."""
        loop = self.loop
        if loop is None or loop.is_closed():
            coro.close()
            return
        future: asyncio.Future[Any] | concurrent.futures.Future[Any] = (
            loop.create_task(coro) if self.on_loop() else asyncio.run_coroutine_threadsafe(coro, loop)
        )
        self._pending.add(future)
        future.add_done_callback(lambda f: self._done(f, what))

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Wait up to ``timeout`` seconds for ``coro`` run on the loop, from another thread. Raises NoLoop on the
        loop's own thread or without a loop, TimeoutError past the timeout, and whatever ``coro`` raises."""
        loop = self.loop
        if loop is None or self.on_loop():
            coro.close()
            raise NoLoop("a blocking call on the loop's own thread" if loop else "no loop bound")
        try:
            return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)
        except concurrent.futures.TimeoutError as exc:
            raise TimeoutError(f"no answer from the loop within {timeout:g} s") from exc

    def _done(self, future: asyncio.Future[Any] | concurrent.futures.Future[Any], what: str) -> None:
        self._pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.warning("%s: %s", what, future.exception())
