"""StreamCap's bus commands (shared/commands/streamcap.py), sent as the gateway sends them: two StreamCap workers
serve them over one real Redis and one database; the sender runs no StreamCap of its own (a gateway-only machine).

A start through any StreamCap lands on the named worker; the list and one recording come back in the one recording
shape from either worker; a stop through the worker that does not run it ends it; StreamCap's errors arrive as the
codes every worker answers (not_found, conflict, invalid; bad_command before the handler runs).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from shared.bus import Bus
from shared.commands.streamcap import (
    GET_RECORDING,
    RECORDINGS,
    START_RECORDING,
    STOP_RECORDING,
    GetRecording,
    ListRecordings,
    Recording,
    StartRecording,
    StopRecording,
)
from shared.errors import CommandError
from shared.worker import _dispatcher
from tests.unit.streamcap.test_recording_adoption import URL
from tests.unit.streamcap.test_recording_failover import PLACED_TTL_S, Worker, engine, quick_adoption, until

__all__ = ["engine", "quick_adoption"]  # the fixtures, imported for pytest


@contextlib.asynccontextmanager
async def serving(worker: Worker) -> AsyncIterator[Worker]:
    """The worker's command loop, as ``run_worker`` runs it."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.bus.serve_commands(_dispatcher(worker.app), stop=stop))
    try:
        yield worker
    finally:
        stop.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_recordings_are_started_listed_and_stopped_over_the_bus_from_a_machine_without_streamcap(
    redis_url: str, engine: Engine, tmp_path: Path
) -> None:
    a = await Worker(redis_url, engine, tmp_path / "a", "wa", PLACED_TTL_S).start()
    b = await Worker(redis_url, engine, tmp_path / "b", "wb", PLACED_TTL_S).start()
    gateway = Bus(redis_url, service="gateway", worker_id="office")
    await gateway.start()
    try:
        async with serving(a), serving(b):
            await asyncio.sleep(0.5)  # both registered
            # Sent to wa, placed on wb: wb's ffmpeg records it.
            started = await START_RECORDING.call(
                gateway,
                StartRecording(platform="direct", stream_url=URL, segment_seconds=30, worker_id="wb"),
                worker_id="wa",
            )
            await until(lambda: len(b.spawner.runs) == 1, 5, "wb starting the recording")
            assert a.spawner.runs == []

            async def seen() -> Recording:
                return await GET_RECORDING.call(gateway, GetRecording(recording_id=started.recording_id))

            view = await seen()
            for _ in range(100):
                if view.state == "recording" and view.files:
                    break
                await asyncio.sleep(0.05)
                view = await seen()
            assert view.state == "recording" and view.worker_id == "wb", view
            assert [f.worker_id for f in view.files] == ["wb"] and Path(view.files[0].path).is_relative_to(b.root)
            assert view.segment_seconds == 30 and view.platform == "direct"

            # The list from either worker: the same recording, in the same shape.
            for worker_id in ("wa", "wb"):
                listed = await RECORDINGS.call(gateway, ListRecordings(limit=10), worker_id=worker_id)
                [mine] = [r for r in listed.recordings if r.recording_id == started.recording_id]
                assert mine.worker_id == "wb" and [f.path for f in mine.files] == [f.path for f in view.files]

            # The same stream again, through the other worker: the one recording.
            again = await START_RECORDING.call(gateway, StartRecording(platform="direct", stream_url=URL),
                                               worker_id="wb")  # fmt: skip
            assert again.recording_id == started.recording_id and len(b.spawner.runs) == 1

            # Errors as every worker answers them.
            with pytest.raises(CommandError) as unknown_worker:
                await START_RECORDING.call(gateway, StartRecording(platform="direct", stream_url=URL + "?2",
                                                                   worker_id="nobody"))  # fmt: skip
            assert unknown_worker.value.code == "not_found" and "nobody" in unknown_worker.value.message
            with pytest.raises(CommandError) as missing:
                await GET_RECORDING.call(gateway, GetRecording(recording_id="no-such-recording"))
            assert missing.value.code == "not_found"
            with pytest.raises(CommandError) as unsafe:
                await START_RECORDING.call(gateway, StartRecording(platform="direct", stream_url=URL + "?3",
                                                                   folder="../out"))  # fmt: skip
            assert unsafe.value.code == "invalid"
            with pytest.raises(CommandError) as malformed:
                await gateway.call("streamcap", "start_recording", {"platform": "direct"}, timeout=5)
            assert malformed.value.code == "bad_command" and "stream_url" in malformed.value.message

            # Stopped through wa, which does not run it: wb stops it and writes its end.
            await STOP_RECORDING.call(gateway, StopRecording(recording_id=started.recording_id), worker_id="wa")
            for _ in range(100):
                if (await seen()).state == "done":
                    break
                await asyncio.sleep(0.05)
            assert (await seen()).state == "done"
            await until(lambda: b.manager.recorder(started.recording_id) is None, 5, "wb's recorder gone")
    finally:
        await gateway.close()
        await a.close()
        await b.close()
