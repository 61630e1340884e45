"""The music filter (services/ast/music.py, issue 16): a song with lyrics is singing, speech stays speech, also under
music and over a song. Utterances are cut by the real Silero VAD, as in a job; the song is the real Mandarin clip
sung over ffmpeg's generated music (tests/unit/ast/song.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from services.ast.config import AudioConfig, ModelConfig
from services.ast.music import features, judge
from services.ast.pipeline import LIVE_VAD, JobState, TranscriptionJob
from services.ast.sources import SourceEnd
from services.ast.vad import Segmenter, Utterance, VadConfig, load_silero
from tests.unit.ast.ast_fixtures import RATE, SPEECH_DIR, decode_pcm, generated_music, mix_under
from tests.unit.ast.song import sing
from tests.unit.ast.test_ast_pipeline import FakeEngine, FakeOpener, FakeStream


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return decode_pcm(SPEECH_DIR / "zh_clean.flac")


@pytest.fixture(scope="module")
def sung(speech: np.ndarray) -> np.ndarray:
    return sing(speech)


@pytest.fixture(scope="module")
def music() -> np.ndarray:
    # Two passes of its four bars (8.6 s at 112 bpm); mix_under repeats it under longer audio. ffmpeg's expression
    # source takes a while per second.
    return generated_music(17.2)


@pytest.fixture(scope="module")
def song(sung: np.ndarray, music: np.ndarray) -> np.ndarray:
    """The sung clip with its backing 6 dB under the voice (as song_with_lyrics makes it)."""
    return mix_under(sung, music, -6.0)


def utterances(audio: np.ndarray, config: VadConfig | None = None) -> list[Utterance]:
    segmenter = Segmenter(load_silero(), config)
    return segmenter.feed(audio) + segmenter.flush()


def verdicts(audio: np.ndarray, config: VadConfig | None = None) -> list[tuple[float, bool, str]]:
    found = utterances(audio, config)
    assert found, "the VAD found no utterance"
    return [(round(u.start / RATE, 1), (v := judge(u.audio)).singing, v.features.describe()) for u in found]


def test_a_sung_melody_is_singing(sung: np.ndarray) -> None:
    got = verdicts(sung)
    assert len(got) >= 5  # Silero takes the sung lyrics for speech
    assert all(singing for _, singing, _ in got), got


@pytest.mark.parametrize("backing_db", [-12.0, -6.0])
def test_a_song_with_lyrics_is_singing(sung: np.ndarray, music: np.ndarray, backing_db: float) -> None:
    song = mix_under(sung, music, backing_db)
    for config in (None, LIVE_VAD):  # a file job's utterances, and a live job's (shorter: 300 ms of silence end one)
        got = verdicts(song, config)
        assert all(singing for _, singing, _ in got), got


@pytest.mark.parametrize("db", [-12.0, -6.0])
def test_speech_over_music_is_speech_live(speech: np.ndarray, music: np.ndarray, db: float) -> None:
    got = verdicts(mix_under(speech, music, db), LIVE_VAD)
    assert not any(singing for _, singing, _ in got), got


@pytest.mark.parametrize("name", ["zh_clean.flac", "zh_products.flac", "en_fox.flac"])
def test_speech_is_speech(name: str) -> None:
    got = verdicts(decode_pcm(SPEECH_DIR / name))
    assert not any(singing for _, singing, _ in got), got


@pytest.mark.parametrize("db", [-12.0, -6.0])
def test_speech_over_music_is_speech(speech: np.ndarray, music: np.ndarray, db: float) -> None:
    products = decode_pcm(SPEECH_DIR / "zh_products.flac")
    got = verdicts(mix_under(np.concatenate([speech, products]), music, db))
    assert len(got) >= 8
    assert not any(singing for _, singing, _ in got), got


def test_a_short_word_is_speech(speech: np.ndarray, music: np.ndarray) -> None:
    # The clip's first word, "对" (1.0-1.4 s), alone and under music at -6 dB.
    for audio in (speech, mix_under(speech, music, -6.0)):
        first = utterances(audio)[0]
        assert first.duration_s < 0.6
        assert not judge(first.audio).singing, judge(first.audio).features.describe()


@pytest.mark.parametrize("db", [-12.0, -6.0, -3.0])
def test_speech_over_a_song_is_speech_and_the_song_between_is_not(
    speech: np.ndarray, song: np.ndarray, db: float
) -> None:
    # The streamer talks (the clip twice) while a song with lyrics plays under the voice. At -3 dB the VAD joins a
    # lyric line to the streamer's sentences (15 s, held share 0.40 as a whole, with a beat): the windows where the
    # streamer talks keep it.
    talk = np.concatenate([speech, speech])
    mixed = mix_under(talk, song, db)
    frames = np.sqrt(np.square(talk[: len(talk) // 160 * 160].reshape(-1, 160)).mean(axis=1))
    for utt in utterances(mixed):
        words = frames[utt.start // 160 : utt.end // 160] > 0.02
        verdict = judge(utt.audio)
        if words.mean() > 0.3:  # the streamer's own words
            assert not verdict.singing, (utt.start / RATE, verdict.features.describe())
        elif not words.any():  # the song alone, in a pause of the streamer's
            assert verdict.singing, (utt.start / RATE, verdict.features.describe())


def test_instrumentals_are_music(music: np.ndarray) -> None:
    # Silero does not fire on the generated music; if a VAD let it through, the filter would still keep it out.
    for start in range(0, 15, 5):
        piece = music[start * RATE : (start + 5) * RATE]
        assert judge(piece).singing, features(piece).describe()


def test_silence_and_a_click_are_not_singing() -> None:
    assert not judge(np.zeros(RATE, np.float32)).singing
    assert not judge(np.zeros(100, np.float32)).singing
    click = np.zeros(RATE // 2, np.float32)
    click[100:140] = 0.8
    assert not judge(click).singing


def _job(audio: np.ndarray, engine: FakeEngine, emitted: list[dict[str, Any]], music_filter: bool) -> TranscriptionJob:
    data = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()

    async def emit(t: dict[str, Any]) -> None:
        emitted.append(t)

    return TranscriptionJob(
        "song",
        AudioConfig(source="file", path="/song.wav"),
        ModelConfig(language="zh", music_filter=music_filter),
        engine=engine,
        opener=FakeOpener([FakeStream(data, SourceEnd(True))], live=False),
        vad_model=load_silero(),
        emit=emit,
        loop=asyncio.get_running_loop(),
    )


async def test_a_job_leaves_the_song_out_unless_told_not_to(song: np.ndarray) -> None:
    engine, emitted = FakeEngine(), []  # type: ignore[var-annotated]
    job = _job(song, engine, emitted, music_filter=True)
    job.start()
    assert await asyncio.wait_for(job.wait(), 30) == JobState.FINISHED
    status = job.status()
    assert engine.calls == 0 and emitted == []
    assert status["utterances"] >= 5 and status["singing"] == status["utterances"]

    engine, emitted = FakeEngine(), []
    job = _job(song, engine, emitted, music_filter=False)
    job.start()
    assert await asyncio.wait_for(job.wait(), 30) == JobState.FINISHED
    assert engine.calls == job.status()["utterances"] >= 5 and job.status()["singing"] == 0


async def test_a_job_keeps_speech_under_music(speech: np.ndarray, music: np.ndarray) -> None:
    engine, emitted = FakeEngine(), []  # type: ignore[var-annotated]
    job = _job(mix_under(speech, music, -6.0), engine, emitted, music_filter=True)
    job.start()
    assert await asyncio.wait_for(job.wait(), 30) == JobState.FINISHED
    assert job.status()["singing"] == 0 and len(emitted) == job.status()["utterances"] >= 3
