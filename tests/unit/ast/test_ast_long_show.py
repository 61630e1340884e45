"""A long show through the pipeline (issue 16): an hour of a live stream that drops once, with a fake engine and VAD,
so that only the pipeline's own bookkeeping is measured: timestamps on the stream's clock at the end, every
utterance transcribed once, and memory that does not grow with the length of the show. The 4-hour run with the real
model is bench/ast_bench.py's."""

from __future__ import annotations

import asyncio
import tracemalloc
from typing import Any

import numpy as np

from services.ast.engines.base import Recognition
from services.ast.pipeline import JobState
from services.ast.sources import SourceEnd
from shared.retry import constant, limited
from tests.unit.ast.test_ast_pipeline import FakeEngine, FakeOpener, make_job

RATE = 16_000
PERIOD_S = 10  # each period: 2 s quiet, 3 s "speech", 5 s quiet
SPEECH_AT_S = 2
SHOW_S = 3600
DROP_AT_S = 1805  # in the pause after a period's speech; the outage ends before the next one
OUTAGE_S = 3


def _period() -> bytes:
    audio = np.zeros(PERIOD_S * RATE, np.float32)
    audio[SPEECH_AT_S * RATE : (SPEECH_AT_S + 3) * RATE] = np.random.default_rng(5).uniform(-0.5, 0.5, 3 * RATE)
    return (audio * 32767).astype("<i2").tobytes()


class LeanEngine(FakeEngine):
    """The fake engine without its call log, so that only the pipeline's memory is measured."""

    def transcribe(self, audio: Any, *, language: str | None, prompt: str | None = None) -> Recognition:
        return Recognition("句子", language or "zh", 0.75)


class Broadcast:
    """The show's audio, generated as it is read; the job's clock is the broadcast's (the stream's seconds)."""

    def __init__(self) -> None:
        self.period = _period()
        self.now = 1000.0
        self.memory: dict[int, int] = {}  # stream second -> traced bytes, sampled as the show goes
        self.queue_empty: Any = lambda: True

    def clock(self) -> float:
        return self.now

    def stream(self, start_s: int, end_s: int, end: SourceEnd) -> Any:
        broadcast = self

        class Stream:
            def __init__(self) -> None:
                self.pos = start_s * RATE * 2

            def read(self, size: int) -> bytes:
                if self.pos >= end_s * RATE * 2:
                    return b""
                offset = self.pos % len(broadcast.period)
                chunk = broadcast.period[offset : offset + min(size, end_s * RATE * 2 - self.pos)]
                self.pos += len(chunk)
                broadcast.now = 1000.0 + self.pos / (RATE * 2)
                # Every 10 minutes, at the first moment no utterance waits in the queue (utterances are not a leak).
                mark = self.pos // (RATE * 2) // 600 * 600
                if mark not in broadcast.memory and broadcast.queue_empty():
                    broadcast.memory[mark] = tracemalloc.get_traced_memory()[0]
                return chunk

            def interrupt(self) -> None:
                self.pos = end_s * RATE * 2

            def close(self) -> SourceEnd:
                return end

        return Stream()


async def test_an_hour_with_a_drop_keeps_time_and_memory() -> None:
    show = Broadcast()
    periods = SHOW_S // PERIOD_S
    # Only the start times are kept, in a preallocated array: the test's own list must not be what grows.
    starts = np.full(periods + 10, -1, dtype=np.int64)
    count = 0

    async def emit(transcript: dict[str, Any]) -> None:
        nonlocal count
        starts[min(count, len(starts) - 1)] = transcript["start_ms"]
        count += 1

    first = show.stream(0, DROP_AT_S, SourceEnd(True, "server closed"))
    # The broadcast went on for 3 s while nobody listened; the next connection joins it there.
    rest = show.stream(DROP_AT_S + OUTAGE_S, SHOW_S, SourceEnd(True, "server closed"))

    def on_open(n: int) -> None:
        if n == 2:
            show.now += OUTAGE_S

    opener = FakeOpener([first, rest], live=True, on_open=on_open)
    engine = LeanEngine()
    tracemalloc.start()
    try:
        retry = limited(constant(0.05), 2)
        job = make_job(opener, [], engine=engine, source="url", clock=show.clock, retry_policy=retry, emit=emit)
        show.queue_empty = lambda: job.status()["queue_depth"] == 0
        job.start()
        deadline = asyncio.get_running_loop().time() + 600
        while count < periods and job.is_running and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        job.stop()
        assert await asyncio.wait_for(job.wait(), 10) in (JobState.STOPPED, JobState.FAILED)
    finally:
        tracemalloc.stop()
    assert count == periods  # every utterance once, none lost at the drop
    expected = (np.arange(periods) * PERIOD_S + SPEECH_AT_S) * 1000
    # On the broadcast's clock to within one VAD window, after the drop and at the very end.
    assert int(np.abs(starts[:periods] - expected).max()) <= 40
    assert job.status()["reconnects"] >= 1
    # Memory sampled every 10 minutes stays flat (what grows is bounded: latencies, prompt, queue).
    # Within each connection (the drop leaves a step: a few utterances' audio still referenced by the threads).
    memory = show.memory
    assert memory[1800] - memory[600] < 64 * 1024 and memory[SHOW_S - 600] - memory[2400] < 64 * 1024, memory
