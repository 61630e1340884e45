"""Writes the launcher's view to ``service_status``, ``health_check`` and ``service_log`` from a thread of its
own, so a busy database never stalls the supervisor loop.

That thread may first prepare the database (``prepare``: connect and migrate), so the launcher starts the services
that need no database meanwhile; rows handed in before then wait in the queue. ``ready`` is set when the
preparation is over, and ``error`` then holds its failure, if any.

Several launchers (one per worker, docs/contracts.md) may share one database: every row carries this launcher's
worker id, and ``service_status`` holds one row per worker and service. A launcher's status write is its whole view:
it updates its rows, takes over a row of the same service left without a worker (written before the rows had one),
and drops its rows of services it no longer runs (a role changed since), never another worker's. The main launcher
(role ``all`` or ``gateway``) also prunes the rows of workers gone for good (``prune``): a worker that is neither in
the registry nor has a launcher state in Redis, and whose rows were last written over ``STALE_ROWS_AFTER`` ago.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

__all__ = ["STALE_ROWS_AFTER", "UNKNOWN_WORKER", "StatusWriter"]

# The worker id of status rows from before they had one, when no launcher's id was handed to the migration.
UNKNOWN_WORKER = ""
# A worker absent from Redis whose rows are this old is gone for good: its rows go (a live launcher rewrites its rows
# on every change of its services, and at its start).
STALE_ROWS_AFTER = timedelta(days=1)

log = logging.getLogger(__name__)


class StatusWriter:
    def __init__(
        self, engine: Engine | None = None, *, prepare: Callable[[], Engine] | None = None, worker_id: str
    ) -> None:
        if (engine is None) == (prepare is None):
            raise ValueError("give an engine or a way to prepare one")
        if not worker_id:
            raise ValueError("a status writer needs its launcher's worker id")
        self.engine = engine
        self.worker_id = worker_id
        self._prepare = prepare
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue(maxsize=10_000)
        self._thread = threading.Thread(target=self._run, name="status-db", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        if self._thread.ident is None:  # never started (the launcher failed before): nothing to wait for
            return
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _put(self, item: tuple[str, Any]) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            log.warning("status writer behind; dropping %s", item[0])

    def services(self, snapshot: dict[str, dict[str, Any]], heartbeats: dict[str, datetime | None]) -> None:
        self._put(("status", (snapshot, heartbeats)))

    def health(self, rows: list[dict[str, Any]]) -> None:
        self._put(("health", rows))

    def event(self, service: str, level: str, message: str) -> None:
        self._put(("log", (service, level, message)))

    def prune(self, present: set[str]) -> None:
        """Drop the ``service_status`` rows of workers not in ``present`` (the ids Redis knows now) and not written
        for ``STALE_ROWS_AFTER``; never this launcher's own."""
        self._put(("prune", present))

    def _run(self) -> None:
        if self._prepare is not None:
            try:
                self.engine = self._prepare()
            except BaseException as exc:  # handed to the launcher's loop, which stops and reports it
                self.error = exc
            finally:
                self.ready.set()
            if self.error is not None:
                return
        self.ready.set()
        # Imported here, in this thread: the ORM costs the launcher's start a few tenths of a second.
        from sqlalchemy.exc import SQLAlchemyError
        from sqlalchemy.orm import Session

        from shared.db.models import HealthCheck, ServiceLog

        while True:
            item = self._queue.get()
            if item is None:
                return
            kind, payload = item
            try:
                with Session(self.engine) as s, s.begin():
                    if kind == "status":
                        self._write_status(s, *payload)
                    elif kind == "prune":
                        self._prune_status(s, payload)
                    elif kind == "health":
                        s.add_all(HealthCheck(**row, worker_id=self.worker_id) for row in payload)
                    else:
                        service, level, message = payload
                        s.add(ServiceLog(worker_id=self.worker_id, service_name=service, level=level, message=message))
            except SQLAlchemyError as exc:
                log.warning("status writer: %s", exc)

    def _write_status(
        self, s: Session, snapshot: dict[str, dict[str, Any]], heartbeats: dict[str, datetime | None]
    ) -> None:
        from sqlalchemy import select

        from shared.db.models import ServiceStatus

        mine: dict[str, ServiceStatus] = {}
        unowned: dict[str, ServiceStatus] = {}
        for row in s.scalars(
            select(ServiceStatus).where(ServiceStatus.worker_id.in_([self.worker_id, UNKNOWN_WORKER]))
        ):
            (mine if row.worker_id == self.worker_id else unowned)[row.service_name] = row
        for name in mine.keys() - snapshot.keys():
            s.delete(mine[name])
        now = datetime.now(UTC)
        for name, info in snapshot.items():
            row = mine.get(name) or unowned.get(name) or ServiceStatus(service_name=name)
            row.worker_id = self.worker_id
            row.status = info["status"]
            row.pid = info["pid"]
            row.port = info["port"]
            row.restarts = info["restarts"]
            row.last_error = info["reason"]
            row.last_heartbeat = heartbeats.get(name) or row.last_heartbeat
            row.updated_at = now
            s.add(row)

    def _prune_status(self, s: Session, present: set[str]) -> None:
        from sqlalchemy import select

        from shared.db.models import ServiceStatus

        cutoff = datetime.now(UTC) - STALE_ROWS_AFTER
        gone = s.scalars(
            select(ServiceStatus).where(
                ServiceStatus.worker_id.not_in(present | {self.worker_id}), ServiceStatus.updated_at < cutoff
            )
        ).all()
        for row in gone:
            s.delete(row)
        if gone:
            workers = sorted({row.worker_id or "(none)" for row in gone})
            log.info("pruned %d service_status rows of workers gone since %s: %s", len(gone), cutoff, workers)
