"""The analytics parts that run beside the persister: throttled ``stats`` events for ``/ws`` and the report that
is written when a live ends. Both run on the gateway's loop and push the database work to threads, so the
persister is never blocked.

A ``stats`` event (``shared.events.StatsData``) exists only on the ``/ws`` fan-out (never on the durable log), at most
one per second per session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, select

from services.gateway.analytics.aggregator import Aggregator
from services.gateway.analytics.hotwords import Segmenter
from services.gateway.analytics.queries import AnalyticsQueries
from services.gateway.analytics.report import build_report, write_report_file
from shared.db.models import LiveSession
from shared.events import EventType, LiveEvent

__all__ = ["AnalyticsWorker"]

log = logging.getLogger(__name__)

# How long a report waits for the session's end to be committed before it is written anyway.
END_COMMIT_WAIT_S = 10.0
# Reports written at once: hundreds of lives can end together (a worker's rooms), and each report is seconds of
# queries; written all at once they filled the shared thread pool and delayed everything else behind them.
REPORTS_AT_ONCE = 2


class AnalyticsWorker:
    def __init__(
        self,
        engine: Engine,
        aggregator: Aggregator,
        segmenter: Segmenter,
        *,
        dispatch: Callable[[bytes], None],
        reports_dir: Path,
        interval: float = 1.0,
    ) -> None:
        self.engine = engine
        self.aggregator = aggregator
        self.segmenter = segmenter
        self.queries = AnalyticsQueries(engine)
        self.dispatch = dispatch
        self.reports_dir = reports_dir
        self.interval = interval
        self._ended: asyncio.Queue[str] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._report_slots = asyncio.Semaphore(REPORTS_AT_ONCE)
        self.reports_written = 0

    def live_ended(self, session_id: str) -> None:
        """Called from the persister's thread once the end of a live is committed."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._ended.put_nowait, session_id)

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        reports = asyncio.create_task(self._reports(stop), name="analytics-reports")
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)
                dirty = list(self.aggregator.take_dirty())
                if not dirty:
                    continue
                try:  # every session with news in one go: three queries a tick, not three a session
                    snapshots = await asyncio.to_thread(self.queries.live_snapshots, dirty)
                except Exception:  # a failed snapshot only skips one update; the next tick retries
                    log.warning("analytics: stats snapshots of %d session(s) failed", len(dirty), exc_info=True)
                    continue
                for session_id, snapshot in snapshots.items():
                    # Built like every event (validated: one message a second per session costs little).
                    self.dispatch(LiveEvent.build(EventType.STATS, session_id, snapshot).to_json())
        finally:
            reports.cancel()
            await asyncio.gather(reports, *self._tasks, return_exceptions=True)

    async def _reports(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            session_id = await self._ended.get()
            task = asyncio.create_task(self._write_report(session_id), name=f"report-{session_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _write_report(self, session_id: str) -> None:
        async with self._report_slots:
            await self._write_report_now(session_id)

    async def _write_report_now(self, session_id: str) -> None:
        # The end event's transaction commits just after the hook saw it; wait for it (bounded).
        for _ in range(int(END_COMMIT_WAIT_S / 0.2)):
            if await asyncio.to_thread(self._end_committed, session_id):
                break
            await asyncio.sleep(0.2)
        try:
            html_text = await asyncio.to_thread(build_report, self.engine, self.segmenter, session_id)
            path = await asyncio.to_thread(write_report_file, self.reports_dir, session_id, html_text)
        except Exception:  # the report is a convenience; a failure must not stop the gateway
            log.error("analytics: report of session=%s failed", session_id, exc_info=True)
            return
        self.reports_written += 1
        log.info("analytics: report of session=%s written to %s", session_id, path)

    def _end_committed(self, session_id: str) -> bool:
        with self.engine.connect() as conn:
            status = conn.execute(select(LiveSession.status).where(LiveSession.id == session_id)).scalar()
        # No session row (events without a started session): nothing to wait for.
        return status is None or status in ("ended", "banned")
