"""The real pipeline end to end: ffmpeg, Silero VAD, Whisper base int8, on speech with a known text.

Live streams are served on loopback at twice real time (the job gets a clock running at the same speed), so a
16 s broadcast takes 8 s.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from services.ast.config import ModelConfig
from services.ast.engines.whisper import WhisperEngine
from services.ast.errors import SourceUnreadable
from services.ast.jobs import JobManager
from services.ast.pipeline import JobState
from shared.retry import constant
from tests.unit.ast.ast_fixtures import SPEECH_FLAC, decode_pcm, speech_manifest, word_error_rate

from .live_server import LiveAudio, serve_live

pytestmark = [pytest.mark.e2e, pytest.mark.ast_model]

SPEED = 2.0
TOLERANCE_MS = 500


def fast_clock() -> float:
    return time.monotonic() * SPEED


def manager_for(
    engine: WhisperEngine | None, models_dir: Path, sink: list[dict[str, Any]], **kwargs: Any
) -> JobManager:
    async def emit(transcript: dict[str, Any]) -> None:
        transcript["_received"] = time.monotonic()
        sink.append(transcript)

    factory: Callable[[ModelConfig, Path], Any] | None = (lambda config, path: engine) if engine is not None else None
    return JobManager(models_dir=models_dir, emit=emit, engine_factory=factory, **kwargs)


def check_against_truth(transcripts: list[dict[str, Any]], offset_ms: int = 0) -> None:
    """Every manifest entry is covered by one transcript or more (a live job ends an utterance after a shorter
    pause, so "everyone. Please follow" may be two), starting and ending where the entry does."""
    truth = speech_manifest()["sentences"]
    reference = " ".join(s["text"] for s in truth)
    hypothesis = " ".join(t["text"] for t in transcripts)
    assert word_error_rate(reference, hypothesis) < 0.15, hypothesis
    groups: list[list[dict[str, Any]]] = [[] for _ in truth]
    for t in transcripts:
        inside = [
            i for i, s in enumerate(truth) if s["start_ms"] - TOLERANCE_MS <= t["start_ms"] - offset_ms <= s["end_ms"]
        ]
        assert len(inside) == 1, (t, truth)
        groups[inside[0]].append(t)
    for group, s in zip(groups, truth, strict=True):
        assert 1 <= len(group) <= 2, ([t["text"] for t in transcripts], s)
        assert abs(group[0]["start_ms"] - offset_ms - s["start_ms"]) <= TOLERANCE_MS, (group, s)
        assert abs(group[-1]["end_ms"] - offset_ms - s["end_ms"]) <= TOLERANCE_MS, (group, s)
    for t in transcripts:
        assert t["language"] == "en" and 0.0 < t["confidence"] <= 1.0
        assert t["engine"] == "whisper" and t["model"] == "whisper-base"


def reached_the_last_sentence(transcripts: list[dict[str, Any]]) -> bool:
    last = speech_manifest()["sentences"][-1]
    return any(t["end_ms"] >= last["end_ms"] - TOLERANCE_MS for t in transcripts)


async def wait_for(predicate: Callable[[], bool], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def ffmpeg_children() -> list[psutil.Process]:
    return [p for p in psutil.Process(os.getpid()).children(recursive=True) if "ffmpeg" in p.name()]


async def test_file_through_the_real_engine_loading(ast_models_dir: Path, tmp_path: Path) -> None:
    """The product path: model located and loaded by the manager itself, utterance audio saved as files."""
    got: list[dict[str, Any]] = []
    manager = manager_for(None, ast_models_dir, got, clips_dir=tmp_path / "clips")
    await manager.start(
        "file-1", {"source": "file", "path": str(SPEECH_FLAC), "save_audio": True}, {"language": "en"}, origin_ms=5000
    )
    assert await manager.join("file-1", within_s=120) == JobState.FINISHED
    check_against_truth(got, offset_ms=5000)
    assert all(Path(t["audio_file_path"]).is_file() for t in got)
    status = manager.status()
    assert status["engine"] == "whisper" and status["model"] == "whisper-base"
    assert status["recent_jobs"][0]["rtf"] < 1.0
    await manager.close()


async def test_live_http_source(whisper_engine: WhisperEngine, ast_models_dir: Path) -> None:
    got: list[dict[str, Any]] = []
    live = LiveAudio(decode_pcm(SPEECH_FLAC), speed=SPEED)
    manager = manager_for(whisper_engine, ast_models_dir, got, clock=fast_clock)
    with serve_live(live) as url:
        await manager.start("live-1", {"source": "url", "url": url}, {"language": "en"})
        await wait_for(lambda: reached_the_last_sentence(got), 60)
        status = manager.status()["jobs"][0]
        assert status["state"] == "running" and status["reconnects"] == 0
        # Latency from the end of speech to the event, measured by the job (in stream seconds at 2x speed).
        assert status["latency_p95_s"] is not None
        await manager.stop("live-1")
    check_against_truth(got)


async def test_live_source_drops_and_returns(whisper_engine: WhisperEngine, ast_models_dir: Path) -> None:
    got: list[dict[str, Any]] = []
    # The broadcast drops in the pause after the second sentence, stays down 0.6 s, and comes back.
    live = LiveAudio(decode_pcm(SPEECH_FLAC), speed=SPEED, drop_at_s=10.5, down_s=0.6)
    manager = manager_for(whisper_engine, ast_models_dir, got, clock=fast_clock, retry_policy=constant(0.1))
    with serve_live(live) as url:
        await manager.start("live-2", {"source": "url", "url": url}, {"language": "en"})
        await wait_for(lambda: reached_the_last_sentence(got), 60)
        status = manager.status()["jobs"][0]
        await manager.stop("live-2")
    assert live.connections >= 2
    assert status["reconnects"] >= 1
    # The third sentence came over the second connection; its timestamps still match the broadcast.
    check_against_truth(got)


async def test_silence_only_gives_no_transcripts(
    whisper_engine: WhisperEngine, ast_models_dir: Path, tmp_path: Path
) -> None:
    import wave

    path = tmp_path / "quiet.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        noise = (np.random.default_rng(3).standard_normal(16_000 * 4) * 30).astype("<i2")  # about -60 dBFS
        wav.writeframes(noise.tobytes())
    got: list[dict[str, Any]] = []
    manager = manager_for(whisper_engine, ast_models_dir, got)
    await manager.start("quiet", {"source": "file", "path": str(path)})
    assert await manager.join("quiet", within_s=60) == JobState.FINISHED
    assert got == []
    assert manager.job_status("quiet")["utterances"] == 0
    await manager.close()


async def test_corrupt_file_is_refused_with_a_clear_error(
    whisper_engine: WhisperEngine, ast_models_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "broken.mp3"
    path.write_bytes(os.urandom(20_000))
    manager = manager_for(whisper_engine, ast_models_dir, [])
    with pytest.raises(SourceUnreadable) as info:
        await manager.start("bad", {"source": "file", "path": str(path)})
    assert "broken.mp3" in str(info.value) and "无法解码" in str(info.value)
    assert info.value.code == "failed"
    assert manager.status()["jobs"] == [] and manager.status()["last_error"] == str(info.value)
    await manager.close()


async def test_stop_mid_job_leaves_nothing_running(whisper_engine: WhisperEngine, ast_models_dir: Path) -> None:
    got: list[dict[str, Any]] = []
    live = LiveAudio(decode_pcm(SPEECH_FLAC), speed=SPEED)
    manager = manager_for(whisper_engine, ast_models_dir, got, clock=fast_clock)
    with serve_live(live) as url:
        await manager.start("live-3", {"source": "url", "url": url}, {"language": "en"})
        await wait_for(lambda: len(got) >= 1, 60)
        assert ffmpeg_children()
        t0 = time.monotonic()
        final = await manager.stop("live-3")
        assert time.monotonic() - t0 < 5
    assert final["state"] == "stopped"
    assert not manager.is_running("live-3")
    assert ffmpeg_children() == []
    assert not [t for t in __import__("threading").enumerate() if t.name.startswith("ast-") and "live-3" in t.name]
    await manager.close()
