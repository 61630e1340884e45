"""The one place StreamCap's threads meet its loop (services/streamcap/bridge.py): each crossing from a thread and
from the loop itself, and the refusals that keep a blocking call from waiting on itself."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from services.streamcap.bridge import LoopBridge, NoLoop
from services.streamcap.manager import StreamCapManager
from services.streamcap.repository import SqlRepository
from services.streamcap.sources import DouyinStreams
from shared.db import tables_streamcap  # noqa: F401  (registers the tables)
from shared.db.base import Base


async def test_calls_from_a_thread_and_from_the_loop_reach_the_loop() -> None:
    bridge = LoopBridge()
    with pytest.raises(NoLoop):
        bridge.call_soon(lambda: None)
    loop = asyncio.get_running_loop()
    bridge.bind(loop)
    ran_on: list[str] = []

    def where() -> None:
        ran_on.append(threading.current_thread().name)

    async def answer(value: int) -> int:
        await asyncio.sleep(0)
        return value * 2

    def from_a_thread() -> int:
        bridge.call_soon(where)
        return bridge.run(answer(21), timeout=5)

    assert await asyncio.to_thread(from_a_thread) == 42
    bridge.call_soon(where)  # on the loop: at once
    assert ran_on[-1] == threading.current_thread().name
    await asyncio.sleep(0.05)
    assert ran_on == [threading.current_thread().name] * 2  # the thread's call ran on the loop too

    with pytest.raises(NoLoop):  # it would wait on itself
        bridge.run(answer(1), timeout=1)

    done = asyncio.Event()

    async def mark() -> None:
        done.set()

    bridge.submit(mark(), "mark")  # from the loop: scheduled
    await asyncio.wait_for(done.wait(), 5)
    done.clear()
    await asyncio.to_thread(bridge.submit, mark(), "mark")  # from a thread: scheduled on the loop
    await asyncio.wait_for(done.wait(), 5)


async def test_a_failed_submission_is_logged_and_a_slow_answer_times_out(caplog: pytest.LogCaptureFixture) -> None:
    bridge = LoopBridge(asyncio.get_running_loop())

    async def boom() -> None:
        raise ValueError("no")

    bridge.submit(boom(), "publishing")
    await asyncio.sleep(0.05)
    assert "publishing: no" in caplog.text

    with pytest.raises(TimeoutError):
        await asyncio.to_thread(bridge.run, asyncio.sleep(0.3), 0.05)
    await asyncio.sleep(0.35)  # the slow one ends on the loop all the same


async def test_the_managers_douyin_resolver_runs_on_the_loop_from_a_recorders_thread(tmp_path: Path) -> None:
    """The async Douyin resolver's HTTP client lives on the process's loop: a recorder's thread reaches it through
    the bridge; before a loop is bound (a tool, a test) it runs in a loop of its own."""
    ran_on: list[str] = []

    async def resolve(room: str) -> DouyinStreams:
        ran_on.append(threading.current_thread().name)
        return DouyinStreams(streams={"origin": [f"http://127.0.0.1:9/{room}.flv"]}, anchor="主播")

    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Base.metadata.create_all(engine)
    manager = StreamCapManager(SqlRepository(engine), tmp_path, douyin_resolver=resolve)
    try:
        unbound = await asyncio.to_thread(lambda: manager._source_factory("douyin", "7001", None).resolve(0))
        assert unbound.url == "http://127.0.0.1:9/7001.flv" and ran_on[-1] != threading.current_thread().name
        manager.bind_loop(asyncio.get_running_loop())
        bound = await asyncio.to_thread(lambda: manager._source_factory("douyin", "7002", None).resolve(0))
        assert bound.url.endswith("/7002.flv") and bound.name == "主播"
        assert ran_on[-1] == threading.current_thread().name  # on this loop's thread
    finally:
        engine.dispose()
