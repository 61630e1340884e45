"""Live transcription jobs resumed after a worker restart, over a real Redis (fake engine and sources)."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from services.ast.app import AstApp
from services.ast.config import AudioConfig, ModelConfig
from services.ast.sources import SourceEnd, UrlResolver
from shared.assignments import Assignments
from shared.bus import EVENTS_STREAM, Bus
from shared.config import Settings
from shared.retry import constant, limited
from tests.unit.ast.test_ast_pipeline import FakeEngine, FakeOpener, FakeStream, LoudVad, pcm

LIVE = {"source": "url", "url": "http://127.0.0.1:9/live.flv"}


def job_options(*, failing: bool = False) -> dict[str, Any]:
    def engine_factory(config: ModelConfig, models_dir: Path) -> FakeEngine:
        return FakeEngine()

    def opener_factory(session_id: str, audio: AudioConfig, resolver: UrlResolver | None) -> FakeOpener:
        if failing:
            return FakeOpener([], live=True)  # every open fails
        speech = pcm((0.2, 0), (0.5, 0.5), (0.6, 0))
        return FakeOpener([FakeStream(speech, SourceEnd(True), endless=audio.is_live)], live=audio.is_live)

    return {
        "engine_factory": engine_factory,
        "opener_factory": opener_factory,
        "vad_loader": LoudVad,
        "retry_policy": limited(constant(0.01), 2),
    }


async def started(redis_url: str, tmp_path: Path, **options: Any) -> tuple[AstApp, Bus]:
    bus = Bus(redis_url, service="ast")
    await bus.start()
    app = AstApp(Settings(home=tmp_path, redis_url=redis_url), **(options or job_options()))
    await app.start(bus)
    return app, bus


async def until(predicate: Callable[[], bool], within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def transcripts(bus: Bus, session_id: str) -> list[dict[str, Any]]:
    events = [orjson.loads(f[b"e"]) for _id, f in await bus.redis.xrange(EVENTS_STREAM)]
    return [e for e in events if e["type"] == "transcript" and e["session_id"] == session_id]


async def test_a_live_job_is_started_again_by_the_next_worker(redis_url: str, tmp_path: Path) -> None:
    app, bus = await started(redis_url, tmp_path)
    work = Assignments(bus.redis, "ast")
    commands = app.commands()
    await commands["start_job"]({"session_id": "live", "audio_config": LIVE, "origin_ms": 5000})
    assert [i.id for i in await work.list()] == ["live"]
    spec = (await work.list())[0].spec
    assert spec["audio_config"]["url"] == LIVE["url"] and spec["origin_ms"] == 5000
    for _ in range(250):
        if await transcripts(bus, "live"):
            break
        await asyncio.sleep(0.02)
    assert await transcripts(bus, "live")
    await asyncio.sleep(0.2)
    await app.stop()  # a restart: the job stops with the process, its assignment stays
    assert [i.id for i in await work.list()] == ["live"]
    await bus.close()  # (work's client is the bus's: used after this, it would open a connection nobody closes)

    app2, bus2 = await started(redis_url, tmp_path)
    try:
        await until(lambda: app2.adopted == 1, 10, "the adoption")
        status = (await app2.commands()["jobs"]({}))["jobs"]
        assert [(j["session_id"], j["resumed"]) for j in status] == [("live", True)]
        await until(lambda: app2.jobs.job_status("live")["transcripts"] >= 1, 10, "a transcript after the restart")
        after = (await transcripts(bus2, "live"))[-1]
        # The session's clock went on: the resumed stream starts later than the first one did.
        assert after["data"]["start_ms"] > 5000 + 200
        await app2.commands()["stop_job"]({"session_id": "live"})
        assert await Assignments(bus2.redis, "ast").list() == []
    finally:
        await app2.stop()
        await bus2.close()

    app3, bus3 = await started(redis_url, tmp_path)
    try:
        await asyncio.sleep(0.2)
        assert app3.adopted == 0 and app3.jobs.status()["jobs"] == []
    finally:
        await app3.stop()
        await bus3.close()


async def test_a_job_that_fails_for_good_is_not_resumed(redis_url: str, tmp_path: Path) -> None:
    app, bus = await started(redis_url, tmp_path, **job_options(failing=True))
    work = Assignments(bus.redis, "ast")
    try:
        await app.commands()["start_job"]({"session_id": "doomed", "audio_config": LIVE})
        await until(lambda: app.jobs.job_status("doomed")["state"] == "failed", 10, "the job's failure")
        for _ in range(100):
            if not await work.list():
                break
            await asyncio.sleep(0.02)
        assert await work.list() == []
    finally:
        await app.stop()
        await bus.close()


async def test_a_file_job_is_assigned_while_it_runs_and_let_go_when_it_finishes(redis_url: str, tmp_path: Path) -> None:
    """A worker that dies mid-file leaves the job to the next one, which reads on from its last transcript
    (test_ast_failover.py); a file read to its end is done: nothing is left to resume."""
    app, bus = await started(redis_url, tmp_path)
    work = Assignments(bus.redis, "ast")
    try:
        wav = tmp_path / "a.wav"
        with wave.open(str(wav), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(16_000)
            out.writeframes(pcm((1.0, 0.5)))
        await app.commands()["start_job"]({"session_id": "file", "audio_config": {"source": "file", "path": str(wav)}})
        assert [i.id for i in await work.list()] == ["file"]
        await until(lambda: not app.jobs.running_sessions(), 10, "the file's end")
        for _ in range(100):
            if not await work.list():
                break
            await asyncio.sleep(0.02)
        assert await work.list() == [] and app.jobs.job_status("file")["state"] == "finished"
    finally:
        await app.stop()
        await bus.close()
