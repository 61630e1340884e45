"""The transcription job's state machine (services/ast/pipeline.py JOB_MOVES, shared/states.py): the table of legal
moves, an illegal move raised (never ignored), and every change published as an ``ast_job`` event (real Redis)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from services.ast.pipeline import JOB_MOVES, JobState
from services.ast.sources import SourceEnd
from shared.bus import EVENTS_STREAM
from shared.states import IllegalTransition
from tests.unit.ast.test_ast_adoption import job_options, started, until
from tests.unit.ast.test_ast_pipeline import FakeOpener, FakeStream, make_job, pcm

S = JobState

LEGAL = {
    S.STARTING: {S.RUNNING, S.RECONNECTING, S.STOPPING, S.FINISHED, S.FAILED},
    S.RUNNING: {S.RECONNECTING, S.STOPPING, S.FINISHED, S.FAILED},
    S.RECONNECTING: {S.RUNNING, S.STOPPING, S.FINISHED, S.FAILED},
    S.STOPPING: {S.STOPPED, S.FAILED},
    S.FINISHED: set(),
    S.STOPPED: set(),
    S.FAILED: set(),
}


def test_the_table_allows_exactly_these_moves() -> None:
    for old in JobState:
        for new in JobState:
            assert JOB_MOVES.allowed(old, new) == (new in LEGAL[old]), (old, new)
    with pytest.raises(IllegalTransition, match="job=x: stopping → running is not allowed"):
        JOB_MOVES.move("job=x", S.STOPPING, S.RUNNING)


async def test_a_job_hears_every_change_with_the_state_it_left_and_refuses_an_illegal_one() -> None:
    heard: list[tuple[str, str]] = []

    async def on_state(status: dict[str, Any]) -> None:
        heard.append((status["previous"], status["state"]))

    data = pcm((0.3, 0), (0.6, 0.5), (0.3, 0))
    job = make_job(FakeOpener([FakeStream(data, SourceEnd(True))], live=False), [], on_state=on_state)
    job.start()
    assert await asyncio.wait_for(job.wait(), 10) is S.FINISHED
    await until(lambda: len(heard) == 2, 5, "both changes heard")
    assert heard == [("starting", "running"), ("running", "finished")]
    with pytest.raises(IllegalTransition, match="finished → running"):
        job._set_state(S.RUNNING)  # a finished job never runs again: raised, not ignored
    assert job.state is S.FINISHED


async def test_a_stop_wins_over_the_sources_news() -> None:
    """Audio arriving after a stop was asked for is no illegal move: the job just does not go back to running."""
    job = make_job(FakeOpener([FakeStream(pcm((0.2, 0)), SourceEnd(True), endless=True)], live=True), [])
    job.start()
    await until(lambda: job.state is S.RUNNING, 5, "audio flowing")
    job.stop()
    assert job._set_state(S.RUNNING) is False and job.state is S.STOPPING
    assert await asyncio.wait_for(job.wait(), 10) is S.STOPPED


async def test_every_change_is_published_as_an_ast_job_event(redis_url: str, tmp_path: Path) -> None:
    app, bus = await started(redis_url, tmp_path, **job_options())
    try:
        live = {"source": "url", "url": "http://127.0.0.1:9/live.flv"}
        await app.commands()["start_job"]({"session_id": "watched", "audio_config": live})
        await until(lambda: app.jobs.job_status("watched")["state"] == "running", 10, "the job running")
        await app.commands()["stop_job"]({"session_id": "watched"})

        async def changes() -> list[dict[str, Any]]:
            events = [orjson.loads(f[b"e"]) for _id, f in await bus.redis.xrange(EVENTS_STREAM)]
            return [e for e in events if e["type"] == "ast_job" and e["session_id"] == "watched"]

        for _ in range(100):
            if len(await changes()) == 3:
                break
            await asyncio.sleep(0.02)
        moves = [(e["data"]["previous"], e["data"]["state"]) for e in await changes()]
        assert moves == [("starting", "running"), ("running", "stopping"), ("stopping", "stopped")]
        assert all(e["data"]["worker_id"] == app.worker_id and e["data"]["source"] == "url" for e in await changes())
    finally:
        await app.stop()
        await bus.close()
