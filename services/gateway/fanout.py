"""Asking every live worker of a service at once, for the status routes.
See docs/contracts.md, "Workers on several machines".

A worker that died stays in the registry until its record is 6 s old (``shared/workers.py``, ``STALE_S``): waiting the
full answer time on it stalled every status refresh for up to 5 s. Records are written every second, so a worker whose
record has not been refreshed for ``SILENT_AFTER_S`` is silent: its answer is waited for ``SILENT_WAIT_S`` at most. A
busy worker that still writes its record gets the caller's full timeout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import redis.asyncio as aioredis

from shared.bus import TRANSIENT
from shared.errors import BusError, CommandError, CommandTimeout
from shared.workers import list_workers

__all__ = ["SILENT_AFTER_S", "SILENT_WAIT_S", "ask_each"]

log = logging.getLogger(__name__)

T = TypeVar("T")

SILENT_AFTER_S = 2.0  # a record this old missed its last two refreshes
SILENT_WAIT_S = 1.5  # how long a silent worker's answer is waited for
CHECK_EVERY_S = 0.25  # how often the registry is read while answers are missing


async def ask_each(
    redis: aioredis.Redis, service: str, worker_ids: Iterable[str], ask: Callable[[str], Awaitable[T]]
) -> dict[str, T]:
    """``ask(worker_id)`` for every worker at once; the answers by worker id. A worker that fails (its command timed
    out, it answered an error, Redis was cut) or stayed silent is left out: the caller shows its work as unowned.
    Any other error is raised."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks = {worker_id: asyncio.ensure_future(ask(worker_id)) for worker_id in worker_ids}
    try:
        while pending := [task for task in tasks.values() if not task.done()]:
            await asyncio.wait(pending, timeout=CHECK_EVERY_S)
            waited = loop.time() - started
            if waited < SILENT_WAIT_S or all(task.done() for task in pending):
                continue
            writing = await _writing(redis, service)
            for worker_id, task in tasks.items():
                if not task.done() and writing is not None and worker_id not in writing:
                    log.info("%s worker %s is silent: not waited for after %.1f s", service, worker_id, waited)
                    task.cancel()
    finally:
        for task in tasks.values():
            task.cancel()  # no-op for finished ones; the rest when the caller itself is cancelled
    answers: dict[str, T] = {}
    for worker_id, task in tasks.items():
        if task.cancelled():
            continue
        error = task.exception()
        if isinstance(error, CommandTimeout | CommandError | BusError):
            # Usually a worker that died a moment ago (its work shows again on the worker that adopts it); said in
            # the log, as a worker that answers errors would otherwise vanish from every status without a trace.
            log.warning("%s worker %s left out of the status: %s", service, worker_id, error)
            continue
        if error is not None:
            raise error
        answers[worker_id] = task.result()
    return answers


async def _writing(redis: aioredis.Redis, service: str) -> set[str] | None:
    """The workers whose ``service`` refreshed its record lately; None when Redis cannot say (nobody is judged)."""
    try:
        workers = await list_workers(redis, service=service, stale_s=SILENT_AFTER_S)
    except TRANSIENT:
        return None
    return {w["worker_id"] for w in workers}
