"""Recordings on several workers (docs/contracts.md, Workers on several machines): two StreamCap workers over one
real Redis and one database in this process. A recording runs on exactly one worker; when its owner stops renewing
(a pause, a partition) the other continues it as a new segment of the same recording, and the old owner stops its
ffmpeg and writes nothing more (fencing). A recording placed on a worker starts there.

ffmpeg is faked as in test_recording_adoption (a child that writes its first segment at once and quits on ``q``);
Redis, the leases, the assignments, the database and the files are real.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from services.streamcap.app import StreamcapApp
from services.streamcap.errors import NotFound
from services.streamcap.manager import StreamCapManager
from services.streamcap.repository import SqlRepository
from shared import ownership
from shared.assignments import Assignments
from shared.bus import Bus
from shared.config import Settings
from shared.db import tables_streamcap  # noqa: F401  (registers the tables)
from shared.db.base import Base
from shared.retry import constant
from shared.workers import list_workers
from tests.unit.streamcap.test_recording_adoption import FAST, URL, Spawner

TTL_S = 1.5
PLACED_TTL_S = 4.0  # no lease is to move in the placement test, even on a loaded machine


@pytest.fixture(autouse=True)
def quick_adoption(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ownership, "ADOPT_EVERY_S", 0.2)
    monkeypatch.setattr(ownership, "REGISTER_EVERY_S", 0.2)
    monkeypatch.setattr(ownership, "GRACE_S", 1.0)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'shared.sqlite'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


class Worker:
    """One machine's StreamCap: its own home and recordings folder, the shared Redis and database."""

    def __init__(self, redis_url: str, engine: Engine, home: Path, worker_id: str, ttl_s: float = TTL_S) -> None:
        self.worker_id = worker_id
        self.settings = Settings(home=home, redis_url=redis_url, worker_id=worker_id, worker_lease_ttl_s=ttl_s,
                                 database_url=str(engine.url))  # fmt: skip
        self.app = StreamcapApp(self.settings)  # the machines share one database
        self.spawner = Spawner()
        self.root = home / "recordings"
        self.app.manager = StreamCapManager(SqlRepository(self.app.engine), self.root, free_bytes=lambda _p: 1 << 40,
                                            recorder_config=FAST, retry=constant(0.05), spawn=self.spawner)  # fmt: skip
        # The fake segments are not media; the fake ffmpeg writes one segment only, which is no stall here.
        self.app.manager.update_settings({"remux_to_mp4": False, "stall_timeout": 60})
        self.bus = Bus(redis_url, service="streamcap", worker_id=worker_id)

    async def start(self) -> Worker:
        await self.bus.start()
        await self.app.start(self.bus)
        return self

    async def close(self) -> None:
        await self.app.stop()
        await self.bus.close()

    @property
    def manager(self) -> StreamCapManager:
        return self.app.manager

    def view(self, recording_id: str) -> dict[str, Any]:
        return self.manager.get_recording(recording_id)


async def until(predicate: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The manager blocks (database, files, the ledger's round trips to the loop): never on the loop itself."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def test_a_recording_moves_when_its_owner_stops_renewing_and_the_old_owner_writes_nothing_more(
    redis_url: str, engine: Engine, tmp_path: Path
) -> None:
    a = await Worker(redis_url, engine, tmp_path / "a", "wa").start()
    b = await Worker(redis_url, engine, tmp_path / "b", "wb").start()
    try:
        recording_id = await call(a.manager.start_recording, "direct", URL, name="猫", worker_id="wa")
        await until(lambda: a.view(recording_id)["state"] == "recording", 5, "recording on wa")
        await asyncio.sleep(3 * TTL_S)  # renewed all along: wb never takes it
        assert b.spawner.runs == [] and a.app._own is not None and a.app._own.keeper.items == [recording_id]
        workers = {w["worker_id"]: w for w in await list_workers(a.bus.redis)}
        assert workers["wa"]["recordings"] == [recording_id] and workers["wb"]["recordings"] == []
        assert a.view(recording_id)["worker_id"] == "wa"
        fence_a = a.app._own.fence(recording_id)
        assert fence_a is not None

        # wa stops renewing (frozen, cut off): its ffmpeg still runs, its recorder still holds the recording.
        await a.app._own.stop_adopting()
        await a.app._own.keeper.stop()
        await until(lambda: len(b.spawner.runs) == 1, 4 * TTL_S + 3, "the adoption by wb")
        await until(lambda: b.view(recording_id)["state"] == "recording", 5, "recording on wb")
        assert a.spawner.runs[0].poll() is None  # the frozen owner has not noticed yet

        # wa wakes up: a progress write under its old lease is refused (fenced), its lease keeper's first renewal
        # learns the lease is gone, its ffmpeg stops, and nothing more of it is written.
        work = Assignments(a.bus.redis, "streamcap")
        assert await work.update_progress(recording_id, {"segments": 99, "worker_id": "wa"}, fence=fence_a) is False
        await a.app._own.keeper.renew_once()
        await until(lambda: a.spawner.runs[-1].poll() == 0, 5, "wa's ffmpeg stopped")
        await until(lambda: a.manager.recorder(recording_id) is None, 5, "wa's recorder gone")
        assert len(a.spawner.runs) == 1
        ledger = a.app._ledger
        assert ledger is not None and not ledger.may_write(recording_id)
        assert await call(ledger.progress, recording_id, {"segments": 99}) is False
        progress = (await Assignments(b.bus.redis, "streamcap").get(recording_id)).progress  # type: ignore[union-attr]
        assert progress["worker_id"] == "wb" and progress["segments"] >= 1

        view = b.view(recording_id)
        assert view["state"] == "recording" and view["worker_id"] == "wb" and view["restarts"] >= 1
        assert view["ended_at"] is None and view["resumed"] is True
        by_worker = {f["worker_id"]: Path(f["path"]) for f in view["files"]}
        assert set(by_worker) == {"wa", "wb"}  # one recording, a segment on each machine's disk
        assert by_worker["wa"].is_relative_to(a.root) and by_worker["wb"].is_relative_to(b.root)
        assert all(p.stat().st_size > 0 for p in by_worker.values())
        assert a.manager.get_recording(recording_id)["state"] == "recording"  # wa wrote no end for it

        await call(b.manager.stop_recording, recording_id)
        await until(lambda: b.view(recording_id)["state"] == "done", 5, "done on wb")
        assert await Assignments(b.bus.redis, "streamcap").list() == []
    finally:
        await a.close()
        await b.close()


async def test_a_recording_placed_on_a_worker_starts_there_and_a_stop_anywhere_ends_it(
    redis_url: str, engine: Engine, tmp_path: Path
) -> None:
    a = await Worker(redis_url, engine, tmp_path / "a", "wa", PLACED_TTL_S).start()
    b = await Worker(redis_url, engine, tmp_path / "b", "wb", PLACED_TTL_S).start()
    try:
        await asyncio.sleep(0.5)  # both registered
        # Through wa's API (the gateway's machine), placed on wb: wa's row and assignment, wb's ffmpeg.
        recording_id = await call(a.manager.start_recording, "direct", URL, name="placed", worker_id="wb")
        assert a.view(recording_id)["worker_id"] == "wb"
        await until(lambda: len(b.spawner.runs) == 1, 5, "wb starting the placed recording")
        await until(lambda: a.view(recording_id)["state"] == "recording", 5, "recording, seen from wa")
        view = a.view(recording_id)
        assert view["resumed"] is False and view["restarts"] == 0 and a.spawner.runs == []
        assert [f["worker_id"] for f in view["files"]] == ["wb"]
        assert Path(view["files"][0]["path"]).is_relative_to(b.root)

        # The same stream started again through either worker (a retry, a room's monitor on each): the one recording.
        assert await call(a.manager.start_recording, "direct", URL, name="again") == recording_id
        assert await call(b.manager.start_recording, "direct", URL) == recording_id
        assert len(b.spawner.runs) == 1 and a.spawner.runs == []

        # Two starts of one new stream at once, one through each worker: one recording (the stream is the
        # assignments' unique key), both starts answer it, one ffmpeg runs for it.
        before = len(a.spawner.runs) + len(b.spawner.runs)
        raced = await asyncio.gather(call(a.manager.start_recording, "direct", URL + "?race"),
                                     call(b.manager.start_recording, "direct", URL + "?race"))  # fmt: skip
        assert raced[0] == raced[1]
        await until(lambda: len(a.spawner.runs) + len(b.spawner.runs) == before + 1, 5, "the raced stream recorded")
        await asyncio.sleep(0.5)
        assert len(a.spawner.runs) + len(b.spawner.runs) == before + 1
        await call(a.manager.stop_recording, raced[0])
        await until(lambda: a.view(raced[0])["state"] == "done", 5, "the raced recording done")
        await until(lambda: a.manager.active_count() + b.manager.active_count() == 1, 5, "its recorder gone")

        with pytest.raises(NotFound):
            await call(a.manager.start_recording, "direct", URL + "?2", worker_id="nobody")

        # Most free capacity: wa may record one at most and runs one; the next goes to wb.
        await call(a.manager.update_settings, {"max_recordings": 1})
        runs_a, runs_b = len(a.spawner.runs), len(b.spawner.runs)
        own = await call(a.manager.start_recording, "direct", URL + "?3", worker_id="wa")
        await until(lambda: len(a.spawner.runs) == runs_a + 1, 5, "wa recording its own")
        await asyncio.sleep(0.5)  # wa's record (1 of 1) reaches the registry
        other = await call(a.manager.start_recording, "direct", URL + "?4")
        await until(lambda: len(b.spawner.runs) == runs_b + 1, 5, "wb starting the one placed by capacity")
        assert a.view(other)["worker_id"] == "wb" and a.view(own)["worker_id"] == "wa"

        # A stop through wa of what wb runs: the assignment goes, wb stops it at its next renewal and writes the end.
        await call(a.manager.stop_recording, recording_id)
        await until(lambda: a.view(recording_id)["state"] == "done", 5, "the placed recording done")
        await until(lambda: b.manager.recorder(recording_id) is None, 5, "wb's recorder gone")  # popped after the end
        assert b.spawner.runs[0].poll() == 0
    finally:
        await a.close()
        await b.close()
