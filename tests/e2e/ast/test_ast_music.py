"""Background music (issue 16): Mandarin under generated music, music alone, a voice under music that no model
can read, and a song with lyrics. The music is made by ffmpeg (tests/unit/ast/ast_fixtures.generated_music), the song
sings the real Mandarin clip over it (tests/unit/ast/song.py); levels are relative to the speech.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from services.ast.config import ModelConfig
from services.ast.engines.whisper import WhisperEngine, WhisperOptions
from services.ast.model_files import locate_model
from services.ast.pipeline import JobState
from services.ast.vad import Segmenter, VadConfig, load_silero
from tests.unit.ast.ast_fixtures import (
    RATE,
    SPEECH_DIR,
    char_error_rate,
    decode_pcm,
    generated_music,
    mix_under,
    write_wav,
)
from tests.unit.ast.song import song_with_lyrics

from .test_ast_e2e import manager_for

pytestmark = [pytest.mark.e2e, pytest.mark.ast_model]

MUSIC_TAIL_S = 10.0


@pytest.fixture(scope="module")
def music() -> np.ndarray:
    return generated_music(30.0)


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return decode_pcm(SPEECH_DIR / "zh_clean.flac")


def truth() -> str:
    return (SPEECH_DIR / "zh_clean.txt").read_text(encoding="utf-8").strip()


async def transcribe_file(
    engine: WhisperEngine,
    models_dir: Path,
    path: Path,
    vad_config: VadConfig | None = None,
    *,
    music_filter: bool = True,
) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    manager = manager_for(engine, models_dir, got, vad_config=vad_config)
    await manager.start(
        "music", {"source": "file", "path": str(path)}, {"language": "zh", "music_filter": music_filter}
    )
    assert await manager.join("music", within_s=180) == JobState.FINISHED
    await manager.close()
    return got


@pytest.mark.parametrize(("db", "allowed"), [(-12.0, 0.03), (-6.0, 0.15)], ids=["-12dB", "-6dB"])
async def test_mandarin_under_music_stays_close_to_clean(
    whisper_engine: WhisperEngine,
    ast_models_dir: Path,
    tmp_path: Path,
    music: np.ndarray,
    speech: np.ndarray,
    db: float,
    allowed: float,
) -> None:
    clean = await transcribe_file(whisper_engine, ast_models_dir, SPEECH_DIR / "zh_clean.flac")
    clean_cer = char_error_rate(truth(), "".join(t["text"] for t in clean))
    # The speech with music under it, then the music alone for 10 s at the same level.
    padded = np.concatenate([speech, np.zeros(int(MUSIC_TAIL_S * RATE), np.float32)])
    mixed = mix_under(padded, music, db)
    got = await transcribe_file(whisper_engine, ast_models_dir, write_wav(mixed, tmp_path / "mixed.wav"))
    text = "".join(t["text"] for t in got)
    assert char_error_rate(truth(), text) <= clean_cer + allowed, text
    speech_end_ms = len(speech) * 1000 // RATE
    assert all(t["start_ms"] < speech_end_ms for t in got), [(t["start_ms"], t["text"]) for t in got]


async def test_music_alone_gives_no_transcript(
    whisper_engine: WhisperEngine, ast_models_dir: Path, tmp_path: Path, music: np.ndarray
) -> None:
    got = await transcribe_file(whisper_engine, ast_models_dir, write_wav(music * 0.8, tmp_path / "music.wav"))
    assert got == []


async def test_music_alone_stays_out_even_with_the_vad_open(
    whisper_engine: WhisperEngine, ast_models_dir: Path, tmp_path: Path, music: np.ndarray
) -> None:
    # Silero never fires on the generated music, so the test above does not reach the engine. Here the VAD lets
    # everything through (threshold 0): 30 s of instrumentals, cut into utterances at the length limit, go to the
    # engine, whose no-speech / log-prob rule must keep every one out. Whisper's own defaults do not: they turn the
    # same music into syllables ("诶诶诶", "第1个"). The music filter would judge every piece music before the engine
    # sees it, so the engine's rule is tested with the filter off.
    path = write_wav(music * 0.8, tmp_path / "music.wav")
    vad_open = VadConfig(threshold=0.0, neg_threshold=0.0, max_utterance_s=5.0)
    assert await transcribe_file(whisper_engine, ast_models_dir, path, vad_config=vad_open) == []
    assert await transcribe_file(whisper_engine, ast_models_dir, path, vad_config=vad_open, music_filter=False) == []
    defaults = WhisperOptions(threads=2, no_speech_threshold=0.6, logprob_threshold=-1.0, doubt_min_tokens=10_000)
    loose = WhisperEngine(locate_model(ModelConfig(), ast_models_dir), defaults)
    try:
        junk = await transcribe_file(loose, ast_models_dir, path, vad_config=vad_open, music_filter=False)
    finally:
        loose.close()
    assert junk, "Whisper's defaults were expected to read something into the music"
    # What they read is worth little, and its confidence says so.
    assert all(t["confidence"] < 0.3 for t in junk), [(t["text"], t["confidence"]) for t in junk]


async def test_a_voice_under_music_that_says_nothing_is_kept_out(
    whisper_engine: WhisperEngine, ast_models_dir: Path, tmp_path: Path, music: np.ndarray, speech: np.ndarray
) -> None:
    # Reversed speech at the music's level: Silero hears a voice (sung lyrics sound like this to it), and Whisper
    # "reads" words into it. With Whisper's own test (no-speech > 0.6 and log-prob < -1.0) nearly every utterance
    # comes out as text; the pipeline must keep all but the odd syllable out.
    voice = np.concatenate([speech[::-1], decode_pcm(SPEECH_DIR / "en_fox.flac")[::-1]])[: 30 * RATE]
    audio = music[: len(voice)] + voice
    audio = (audio / np.abs(audio).max() * 0.9).astype(np.float32)
    got = await transcribe_file(whisper_engine, ast_models_dir, write_wav(audio, tmp_path / "voice.wav"))
    assert len(got) <= 1 and sum(len(t["text"]) for t in got) <= 4, [t["text"] for t in got]

    segmenter = Segmenter(load_silero())
    utterances = segmenter.feed(audio) + segmenter.flush()
    assert len(utterances) >= 5  # the VAD does let it through: the engine's test is what keeps it out
    defaults = WhisperOptions(threads=2, no_speech_threshold=0.6, logprob_threshold=-1.0, doubt_min_tokens=10_000)
    loose = WhisperEngine(locate_model(ModelConfig(), ast_models_dir), defaults)
    try:
        before = [loose.transcribe(u.audio, language="zh").text for u in utterances]
    finally:
        loose.close()
    assert sum(1 for text in before if text) >= len(utterances) - 1, before


async def test_a_song_with_lyrics_gives_no_transcript(
    whisper_engine: WhisperEngine, ast_models_dir: Path, tmp_path: Path, speech: np.ndarray
) -> None:
    # The real clip sung over the generated music (6 dB under the voice): Silero passes the lyrics and Whisper reads
    # them, so without the music filter they come out as text; with it, nothing does.
    path = write_wav(song_with_lyrics(speech, backing_db=-6.0), tmp_path / "song.wav")
    unfiltered = await transcribe_file(whisper_engine, ast_models_dir, path, music_filter=False)
    assert sum(len(t["text"]) for t in unfiltered) >= 10, [t["text"] for t in unfiltered]
    assert await transcribe_file(whisper_engine, ast_models_dir, path) == []
