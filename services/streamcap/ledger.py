"""StreamCap's recordings in the shared store: the manager's blocking ``WorkLedger`` (what it needs), and
``LoopLedger``, backed by the recordings' assignments (``shared/assignments.py``) and their leases
(``shared/ownership.py``) on the process's loop.

docs/contracts.md, "Workers on several machines". Every call from the manager (a route's thread, a recorder's
thread) runs its coroutine on the loop through ``bridge.py`` and waits for it; from the loop's own thread a write is
scheduled instead (it would wait on itself). Redis trouble is logged, never raised: a recording goes on without its
durable copy rather than not at all. Whether this process may still write a recording (``may_write``) is answered
from memory, on the lease keeper's own clock, so it holds during a partition too.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar

import redis.asyncio as aioredis

from services.streamcap.bridge import LoopBridge, NoLoop
from services.streamcap.errors import NotFound, RecordingLimit
from shared.assignments import Assignments
from shared.bus import TRANSIENT
from shared.leases import worker_of
from shared.ownership import WorkOwnership
from shared.workers import NoSuchWorker, list_workers, pick_worker

__all__ = ["LoopLedger", "WorkLedger", "stream_key"]

log = logging.getLogger(__name__)

CALL_TIMEOUT_S = 5.0
SERVICE = "streamcap"

T = TypeVar("T")


def stream_key(platform: str, stream_url: str) -> str:
    """What may be recorded once across workers: one platform's stream (the assignments' unique key)."""
    return f"stream:{platform.strip().lower()}:{stream_url.strip()}"


class WorkLedger(Protocol):
    """Where the recordings asked for are kept durably and who runs each (blocking calls; transient errors are the
    ledger's to log)."""

    worker_id: str

    def assign(self, item_id: str, spec: dict[str, Any], *, stream: str = "") -> str | None:
        """Assign the recording; with ``stream`` (``stream_key``) only while no other recording holds that stream.
        Answers the recording that holds it now (``item_id`` when this call assigned it), None when not known."""

    def release(self, item_id: str) -> None:
        """The recording ended on purpose: its assignment and its lease go."""

    def claim(self, item_id: str) -> bool:
        """Take the lease of a recording started here. False when it could not be taken."""

    def may_write(self, item_id: str) -> bool:
        """False once this process lost the recording's lease (another worker may run it now)."""

    def progress(self, item_id: str, progress: dict[str, Any]) -> bool:
        """Record how far it got, fenced by its lease. False when another worker owns it now."""

    def place(self, requested: str | None) -> str:
        """The worker a new recording goes to (``requested``, else the most free capacity). Raises NotFound for an
        unknown worker, RecordingLimit when the chosen worker is full."""

    def owner(self, item_id: str) -> str | None:
        """The worker whose lease the recording is under now, or None."""

    def recording_of(self, stream: str) -> str | None:
        """The assigned recording (on any worker) holding ``stream`` (``stream_key``), or None."""

    def set_capacity(self, recordings: int) -> None: ...


class LoopLedger:
    """``WorkLedger`` over the process's loop (``bridge.py``), the assignments and the leases of ``streamcap``."""

    def __init__(self, redis: aioredis.Redis, work: Assignments, own: WorkOwnership, bridge: LoopBridge) -> None:
        self._redis = redis
        self._work = work
        self._own = own
        self._bridge = bridge
        self._lost: set[str] = set()  # leases this process lost (expired, taken over, refused): never written again
        self.worker_id = own.worker_id

    # -- durable state --------------------------------------------------------------------------------

    def assign(self, item_id: str, spec: dict[str, Any], *, stream: str = "") -> str | None:
        return self._call(self._work.put(item_id, spec, unique=stream), f"recording={item_id} not assigned", None)

    def release(self, item_id: str) -> None:
        self._call(self._release(item_id), f"recording={item_id} not released", None)

    async def _release(self, item_id: str) -> None:
        await self._work.remove(item_id)  # first: a crash while it stops must not resume it
        await self._own.release(item_id)

    def progress(self, item_id: str, progress: dict[str, Any]) -> bool:
        if item_id in self._lost:
            return False
        return self._call(self._progress(item_id, progress), f"recording={item_id} progress not recorded", True)

    async def _progress(self, item_id: str, progress: dict[str, Any]) -> bool:
        fence = self._own.fence(item_id)
        if fence is None:
            return True  # not leased here (its lease was released as it ended): nothing to record
        if await self._work.update_progress(item_id, progress, fence=fence):
            return True
        if await self._work.get(item_id) is None:
            return True  # removed (stopped): its end is still this process's to write
        self.lost(item_id)
        return False  # another worker holds the lease now

    # -- leases ---------------------------------------------------------------------------------------

    def claim(self, item_id: str) -> bool:
        return self._call(self._own.claim(item_id), f"recording={item_id} lease not taken", False)

    def may_write(self, item_id: str) -> bool:
        if item_id in self._lost:
            return False
        if self._own.keeper.held(item_id) is None:
            return True  # released after it ended, or never leased (Redis was away): nobody else runs it
        return self._own.keeper.valid(item_id) is not None

    def lost(self, item_id: str) -> None:
        """The lease keeper gave the lease up (expired, taken over): nothing more is written for it here."""
        self._lost.add(item_id)
        self._own.keeper.forget(item_id)

    def adopted(self, item_id: str) -> None:
        """Leased again by this process (an adoption): it may write again."""
        self._lost.discard(item_id)

    def owner(self, item_id: str) -> str | None:
        found = self._call(self._own.keeper.leases.owner(item_id), f"recording={item_id} owner unknown", None)
        return worker_of(found[0]) if found else None

    def recording_of(self, stream: str) -> str | None:
        return self._call(self._work.holder(stream), "recordings not looked up", None)

    def set_capacity(self, recordings: int) -> None:
        self._own.capacity = recordings

    # -- placement ------------------------------------------------------------------------------------

    def place(self, requested: str | None) -> str:
        if requested == self.worker_id:
            return self.worker_id
        workers = self._call(list_workers(self._redis, service=SERVICE), "workers not listed", None)
        if workers is None:
            if requested:
                raise NotFound(f"工作节点列表暂不可用 (cannot list the workers to find {requested!r})")
            return self.worker_id
        if not any(w["worker_id"] == self.worker_id for w in workers):
            workers.append({"worker_id": self.worker_id, "recordings": self._own.keeper.items, "capacity": 0,
                            "capacity_of": {SERVICE: self._own.capacity}})  # fmt: skip
        try:
            chosen = pick_worker(workers, requested, service=SERVICE)
        except NoSuchWorker as exc:
            raise NotFound(str(exc)) from exc
        view = next(w for w in workers if w["worker_id"] == chosen)
        free = _free(view)
        if not requested and chosen != self.worker_id:
            here = next(w for w in workers if w["worker_id"] == self.worker_id)
            if _free(here) >= free:
                return self.worker_id  # as free as any: no need to send it away
        if chosen != self.worker_id and free <= 0:
            raise RecordingLimit(f"工作节点 {chosen} 的录制数已达上限 (worker {chosen} records all it may)")
        return chosen

    # -- the loop -------------------------------------------------------------------------------------

    def _call(self, coro: Coroutine[Any, Any, T], failure: str, fallback: T) -> T:
        """Wait for ``coro`` from a thread; on the loop's own thread schedule it and answer ``fallback`` (as on
        Redis trouble, which is logged)."""
        if self._bridge.on_loop():
            self._bridge.submit(coro, failure)
            return fallback
        try:
            return self._bridge.run(coro, CALL_TIMEOUT_S)
        except (*TRANSIENT, TimeoutError, NoLoop) as exc:
            log.warning("%s: %s", failure, exc)
            return fallback


def _free(view: dict[str, Any]) -> int:
    return int(view.get("capacity_of", {}).get(SERVICE, 0)) - len(view.get("recordings") or [])
