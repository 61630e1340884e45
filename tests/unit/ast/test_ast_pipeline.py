"""Job lifecycle, reconnects, back-pressure and the manager, with fakes for the engine, the source and the VAD model.

The VAD stand-in scores a window as speech when it is loud, so "speech" here is a burst of noise at a known place.
"""

from __future__ import annotations

import asyncio
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from services.ast.config import AudioConfig, ModelConfig
from services.ast.engines.base import Audio, Recognition
from services.ast.errors import (
    JobConflict,
    JobLimitReached,
    JobNotFound,
    SourceFailed,
    SourceUnreadable,
    TranscriptionFailed,
)
from services.ast.jobs import JobManager
from services.ast.pipeline import JobState, TranscriptionJob
from services.ast.sources import PcmStream, SourceEnd, UrlResolver
from shared.retry import constant, limited

RATE = 16_000


class LoudVad:
    """Stands in for Silero: a window is speech when its RMS is above 0.05."""

    def scores(self, windows: np.ndarray, state: list[np.ndarray]) -> np.ndarray:
        body = windows[:, 64:]
        loud: np.ndarray = np.sqrt((body**2).mean(axis=1)) > 0.05
        return loud.astype(np.float32)


class FakeEngine:
    name = "fake"
    model_name = "fake-model"

    def __init__(self, delay: float = 0.0, fail: Callable[[int], bool] = lambda n: False) -> None:
        self.delay = delay
        self.fail = fail
        self.calls = 0
        self.closed = False
        self.prompts: list[str | None] = []

    def transcribe(self, audio: Audio, *, language: str | None, prompt: str | None = None) -> Recognition:
        self.calls += 1
        self.prompts.append(prompt)
        if self.fail(self.calls):
            raise RuntimeError(f"boom {self.calls}")
        time.sleep(self.delay)
        return Recognition(f"句子{self.calls}", language or "zh", 0.75, {"emotion": "happy"})

    def close(self) -> None:
        self.closed = True


def pcm(*parts: tuple[float, float]) -> bytes:
    """(seconds, amplitude) pieces: amplitude 0 is silence, anything else a burst of noise."""
    rng = np.random.default_rng(1)
    audio = np.concatenate(
        [
            (rng.uniform(-1, 1, int(s * RATE)) * a).astype(np.float32) if a else np.zeros(int(s * RATE), np.float32)
            for s, a in parts
        ]
    )
    return (audio * 32767).astype("<i2").tobytes()


class FakeStream:
    def __init__(self, data: bytes, end: SourceEnd, pace: float = 0.0, endless: bool = False) -> None:
        self._data = data
        self._end = end
        self._pace = pace
        self._endless = endless
        self._closed = threading.Event()

    def read(self, size: int) -> bytes:
        if self._closed.is_set():
            return b""
        if not self._data:
            if not self._endless:
                return b""
            self._closed.wait(0.05)
            return b"" if self._closed.is_set() else bytes(3200)
        chunk, self._data = self._data[:size], self._data[size:]
        if self._pace:
            time.sleep(self._pace)
        return chunk

    def interrupt(self) -> None:
        self._closed.set()

    def close(self) -> SourceEnd:
        return SourceEnd(True, "stopped") if self._closed.is_set() else self._end


class FakeOpener:
    """Hands out scripted connections; ``None`` in the script means the open fails (transient)."""

    def __init__(self, script: list[FakeStream | None], *, live: bool, on_open: Callable[[int], None] | None = None):
        self.script = script
        self._live = live
        self.opens = 0
        self.on_open = on_open
        self.current: FakeStream | None = None

    @property
    def live(self) -> bool:
        return self._live

    def open(self) -> PcmStream:
        self.opens += 1
        if self.on_open:
            self.on_open(self.opens)
        item = self.script.pop(0) if self.script else None
        if item is None:
            raise SourceFailed("connection refused")
        self.current = item
        return item

    def interrupt(self) -> None:
        if self.current is not None:
            self.current.interrupt()


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def emitted() -> list[dict[str, Any]]:
    return []


def make_job(
    opener: FakeOpener,
    emitted: list[dict[str, Any]],
    *,
    engine: FakeEngine | None = None,
    source: str = "file",
    **kwargs: Any,
) -> TranscriptionJob:
    audio = (
        AudioConfig(source="file", path="/x.wav", save_audio=kwargs.pop("save_audio", False))
        if source == "file"
        else AudioConfig(source="url", url="http://127.0.0.1:1/live")
    )

    async def emit(t: dict[str, Any]) -> None:
        emitted.append(t)

    return TranscriptionJob(
        "sess1",
        audio,
        ModelConfig(language="zh"),
        engine=engine or FakeEngine(),
        opener=opener,
        vad_model=LoudVad(),
        emit=kwargs.pop("emit", emit),
        loop=asyncio.get_running_loop(),
        **kwargs,
    )


async def run_to_end(job: TranscriptionJob, within: float = 10.0) -> JobState:
    job.start()
    return await asyncio.wait_for(job.wait(), within)


async def test_finite_source_runs_to_its_end(emitted: list[dict[str, Any]]) -> None:
    data = pcm((1.0, 0), (1.5, 0.5), (1.0, 0), (0.8, 0.5), (1.0, 0))
    job = make_job(FakeOpener([FakeStream(data, SourceEnd(True))], live=False), emitted, origin_ms=60_000)
    assert await run_to_end(job) == JobState.FINISHED
    assert [t["text"] for t in emitted] == ["句子1", "句子2"]
    first, second = emitted
    assert abs(first["start_ms"] - 61_000) <= 40 and abs(first["end_ms"] - 62_500) <= 40
    assert abs(second["start_ms"] - 63_500) <= 40 and abs(second["end_ms"] - 64_300) <= 40
    assert first["session_id"] == "sess1" and first["language"] == "zh" and first["confidence"] == 0.75
    assert first["emotion"] == "happy" and first["engine"] == "fake" and "audio_file_path" not in first
    status = job.status()
    assert (
        status["state"] == "finished" and status["transcripts"] == 2 and status["audio_seconds"] == pytest.approx(5.3)
    )
    assert status["rtf"] is not None and status["queue_depth"] == 0 and status["last_error"] is None
    assert job.join(1.0)


async def test_each_utterance_is_decoded_after_the_previous_text(emitted: list[dict[str, Any]]) -> None:
    data = pcm((1.0, 0), (1.0, 0.5), (1.0, 0), (1.0, 0.5), (1.0, 0))
    engine = FakeEngine()
    job = make_job(FakeOpener([FakeStream(data, SourceEnd(True))], live=False), emitted, engine=engine)
    assert await run_to_end(job) == JobState.FINISHED
    first, second = engine.prompts
    assert first is not None and "简体中文" in first and "句子1" not in first
    assert second is not None and second.endswith("句子1")


async def test_speech_cut_by_the_end_of_a_file_is_still_transcribed(emitted: list[dict[str, Any]]) -> None:
    job = make_job(FakeOpener([FakeStream(pcm((0.5, 0), (1.0, 0.5)), SourceEnd(True))], live=False), emitted)
    assert await run_to_end(job) == JobState.FINISHED
    assert len(emitted) == 1


async def test_silence_costs_no_engine_call(emitted: list[dict[str, Any]]) -> None:
    engine = FakeEngine()
    job = make_job(FakeOpener([FakeStream(pcm((5.0, 0)), SourceEnd(True))], live=False), emitted, engine=engine)
    assert await run_to_end(job) == JobState.FINISHED
    assert emitted == [] and engine.calls == 0


async def test_undecodable_file_fails_with_ffmpegs_reason(emitted: list[dict[str, Any]]) -> None:
    bad = FakeStream(b"", SourceEnd(False, "Invalid data found when processing input"))
    job = make_job(FakeOpener([bad], live=False), emitted)
    assert await run_to_end(job) == JobState.FAILED
    assert isinstance(job.error, SourceUnreadable)
    assert "Invalid data found" in str(job.error) and "无法解码" in str(job.error)
    assert job.status()["last_error"] == str(job.error)


async def test_live_source_reconnects_and_keeps_the_session_clock(emitted: list[dict[str, Any]]) -> None:
    clock = FakeClock()
    calls: list[tuple[int, int]] = []

    def policy(attempt: int, total: int) -> float:
        calls.append((attempt, total))
        return 0.01

    def on_open(n: int) -> None:
        if n == 3:
            clock.now += 30.0  # the outage lasted 30 s on the session's clock

    first = FakeStream(pcm((1.0, 0), (1.0, 0.5), (1.0, 0)), SourceEnd(True, "server closed"))
    after = FakeStream(pcm((0.5, 0), (1.0, 0.5), (1.0, 0)), SourceEnd(True), endless=True)
    opener = FakeOpener([first, None, after], live=True, on_open=on_open)
    job = make_job(opener, emitted, source="url", clock=clock, retry_policy=policy, healthy_after_s=2.0)
    job.start()
    for _ in range(200):
        if len(emitted) == 2:
            break
        await asyncio.sleep(0.02)
    assert job.state == JobState.RUNNING
    job.stop()
    assert await asyncio.wait_for(job.wait(), 5) == JobState.STOPPED
    assert calls == [(1, 1), (2, 2)]  # healthy first connection: the count starts over, the total does not
    assert abs(emitted[0]["start_ms"] - 1000) <= 40
    assert abs(emitted[1]["start_ms"] - 30_500) <= 40  # 30 s later on the clock, plus 0.5 s into the new stream
    assert job.status()["reconnects"] == 2


async def test_live_source_that_stays_down_fails(emitted: list[dict[str, Any]]) -> None:
    job = make_job(FakeOpener([], live=True), emitted, source="url", retry_policy=limited(constant(0.01), 3))
    assert await run_to_end(job) == JobState.FAILED
    assert isinstance(job.error, SourceFailed) and "connection refused" in str(job.error)


async def test_back_pressure_blocks_the_source_instead_of_growing(emitted: list[dict[str, Any]]) -> None:
    bursts = [p for _ in range(8) for p in ((0.3, 0.5), (0.6, 0))]
    engine = FakeEngine(delay=0.08)
    seen_depths: list[int] = []

    async def emit(t: dict[str, Any]) -> None:
        seen_depths.append(job.status()["queue_depth"])
        emitted.append(t)

    job = make_job(
        FakeOpener([FakeStream(pcm(*bursts), SourceEnd(True))], live=False),
        emitted,
        engine=engine,
        emit=emit,
        queue_size=1,
    )
    assert await run_to_end(job) == JobState.FINISHED
    assert [t["text"] for t in emitted] == [f"句子{i}" for i in range(1, 9)]  # all of them, in order
    assert max(seen_depths) <= 1
    assert job.status()["queue_waits"] > 0


async def test_stop_mid_job_is_clean(emitted: list[dict[str, Any]]) -> None:
    stream = FakeStream(pcm((0.5, 0), (0.5, 0.5), (0.6, 0)), SourceEnd(True), endless=True)
    job = make_job(FakeOpener([stream], live=True), emitted, source="url", engine=FakeEngine(delay=0.05))
    job.start()
    for _ in range(100):
        if emitted:
            break
        await asyncio.sleep(0.02)
    t0 = time.monotonic()
    job.stop()
    assert await asyncio.wait_for(job.wait(), 5) == JobState.STOPPED
    assert time.monotonic() - t0 < 2
    assert job.join(2) and not job.is_running
    job.stop()  # a second stop is harmless


async def test_engine_errors_skip_an_utterance_then_fail_the_job(emitted: list[dict[str, Any]]) -> None:
    bursts = [p for _ in range(3) for p in ((0.3, 0.5), (0.6, 0))]
    job = make_job(
        FakeOpener([FakeStream(pcm(*bursts), SourceEnd(True))], live=False),
        emitted,
        engine=FakeEngine(fail=lambda n: n == 2),
    )
    assert await run_to_end(job) == JobState.FINISHED
    assert [t["text"] for t in emitted] == ["句子1", "句子3"]
    assert "boom 2" in (job.status()["last_error"] or "")

    emitted.clear()
    endless = FakeStream(pcm(*([(0.3, 0.5), (0.6, 0)] * 10)), SourceEnd(True), endless=True)
    job = make_job(FakeOpener([endless], live=True), emitted, source="url", engine=FakeEngine(fail=lambda n: True))
    assert await run_to_end(job) == JobState.FAILED
    assert isinstance(job.error, TranscriptionFailed)


async def test_a_failing_consumer_does_not_stop_transcription(emitted: list[dict[str, Any]]) -> None:
    async def emit(t: dict[str, Any]) -> None:
        emitted.append(t)
        if len(emitted) == 1:
            raise ConnectionError("redis down")

    bursts = [(0.3, 0.5), (0.6, 0), (0.3, 0.5), (0.6, 0)]
    job = make_job(FakeOpener([FakeStream(pcm(*bursts), SourceEnd(True))], live=False), emitted, emit=emit)
    assert await run_to_end(job) == JobState.FINISHED
    assert len(emitted) == 2
    assert "redis down" in (job.status()["last_error"] or "")


async def test_utterance_audio_is_saved_when_asked(emitted: list[dict[str, Any]], tmp_path: Path) -> None:
    data = pcm((0.5, 0), (1.0, 0.5), (1.0, 0))
    job = make_job(
        FakeOpener([FakeStream(data, SourceEnd(True))], live=False), emitted, clips_dir=tmp_path, save_audio=True
    )
    assert await run_to_end(job) == JobState.FINISHED
    (transcript,) = emitted
    path = Path(transcript["audio_file_path"])
    assert path.is_absolute() and path.parent == tmp_path.resolve() / "sess1"
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (RATE, 1)
        assert 1.0 <= wav.getnframes() / RATE <= 1.5  # the speech plus its padding


# -- the manager ------------------------------------------------------------------------------------------------


@pytest.fixture
def manager_parts(tmp_path: Path) -> Iterator[dict[str, Any]]:
    parts: dict[str, Any] = {"engines": [], "openers": {}, "resolved": [], "states": [], "emitted": []}

    def engine_factory(config: ModelConfig, models_dir: Path) -> FakeEngine:
        engine = FakeEngine()
        parts["engines"].append(engine)
        return engine

    def opener_factory(session_id: str, audio: AudioConfig, resolver: UrlResolver | None) -> FakeOpener:
        def on_open(n: int) -> None:  # runs in the job's source thread, as the real opener's resolve does
            if resolver is not None:
                parts["resolved"].append(resolver())

        stream = FakeStream(pcm((0.2, 0), (0.5, 0.5), (0.6, 0)), SourceEnd(True), endless=audio.is_live)
        opener = FakeOpener([stream], live=audio.is_live, on_open=on_open)
        parts["openers"][session_id] = opener
        return opener

    async def emit(t: dict[str, Any]) -> None:
        parts["emitted"].append(t)

    async def on_state(status: dict[str, Any]) -> None:
        parts["states"].append((status["session_id"], status["state"]))

    async def resolve(session_id: str) -> str:
        return f"http://127.0.0.1:9/{session_id}.flv"

    audio_file = tmp_path / "a.wav"
    with wave.open(str(audio_file), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(pcm((1.5, 0.5)))
    parts["file"] = str(audio_file)
    parts["kwargs"] = dict(
        models_dir=tmp_path / "models",
        emit=emit,
        on_state=on_state,
        resolve_session=resolve,
        max_jobs=2,
        engine_factory=engine_factory,
        opener_factory=opener_factory,
        vad_loader=LoudVad,
        retry_policy=constant(0.01),
    )
    yield parts


async def test_manager_caps_jobs_and_shares_one_engine(manager_parts: dict[str, Any]) -> None:
    manager = JobManager(**manager_parts["kwargs"])
    live = {"source": "url", "url": "http://127.0.0.1:9/live.flv"}
    await manager.start("a", live)
    await manager.start("b", {"source": "session", "session_id": "b"}, {"language": "en"})
    for _ in range(100):
        if manager_parts["resolved"]:
            break
        await asyncio.sleep(0.02)
    assert manager_parts["resolved"] == ["http://127.0.0.1:9/b.flv"]
    assert len(manager_parts["engines"]) == 1  # same model, other language: one engine
    with pytest.raises(JobConflict):
        await manager.start("a", live)
    with pytest.raises(JobLimitReached):
        await manager.start("c", live)
    assert manager.is_running("a") and manager.is_running("b")
    status = manager.status()
    assert {"jobs", "engine", "model", "rtf", "queue_depth", "last_error", "max_jobs"} <= status.keys()
    assert (status["engine"], status["model"], len(status["jobs"])) == ("fake", "fake-model", 2)

    final = await manager.stop("a")
    assert final["state"] == "stopped" and not manager.is_running("a")
    await manager.start("c", live)  # a slot is free again
    await manager.close()
    assert not manager.is_running("b") and not manager.is_running("c")
    assert manager_parts["engines"][0].closed
    assert ("a", "stopping") in manager_parts["states"] and ("a", "stopped") in manager_parts["states"]


async def test_manager_file_job_finishes_and_reports(manager_parts: dict[str, Any]) -> None:
    manager = JobManager(**manager_parts["kwargs"])
    await manager.start("f", {"source": "file", "path": manager_parts["file"]})
    assert await manager.join("f", within_s=10) == JobState.FINISHED
    for _ in range(50):  # the books close right after the job ends
        if not manager.status()["jobs"]:
            break
        await asyncio.sleep(0.02)
    status = manager.status()
    assert status["jobs"] == [] and status["recent_jobs"][0]["state"] == "finished"
    assert manager_parts["emitted"][0]["session_id"] == "f"
    assert (await manager.stop("f"))["state"] == "finished"  # stopping a finished job answers its final status
    await manager.close()


@pytest.mark.parametrize(
    ("audio", "error", "fragment"),
    [
        pytest.param({"source": "file", "path": "/nonexistent/a.wav"}, SourceUnreadable, "不存在", id="missing-file"),
        pytest.param({"source": "file"}, Exception, "needs path", id="bad-config"),
    ],
)
async def test_manager_refuses_bad_starts(
    manager_parts: dict[str, Any], audio: dict[str, Any], error: type[Exception], fragment: str
) -> None:
    manager = JobManager(**manager_parts["kwargs"])
    with pytest.raises(error, match=fragment):
        await manager.start("x", audio)
    assert manager.status()["jobs"] == []
    with pytest.raises(JobNotFound):
        await manager.stop("x")
    await manager.close()
