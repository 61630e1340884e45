"""The segmenter over the real Silero model (it ships inside faster-whisper; no model download)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from services.ast.vad import Segmenter, Utterance, VadConfig, load_silero
from tests.unit.ast.ast_fixtures import RATE, SPEECH_FLAC, decode_pcm, speech_manifest


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return decode_pcm(SPEECH_FLAC)


def _run(audio: np.ndarray, chunk: int, config: VadConfig | None = None) -> list[Utterance]:
    seg = Segmenter(load_silero(), config)
    out: list[Utterance] = []
    for i in range(0, len(audio), chunk):
        out += seg.feed(audio[i : i + chunk])
    return out + seg.flush()


@pytest.mark.parametrize("chunk", [160, 1600, 16_000])
def test_sentences_become_utterances_within_a_quarter_second(speech: np.ndarray, chunk: int) -> None:
    utterances = _run(speech, chunk)
    truth = speech_manifest()["sentences"]
    assert len(utterances) == len(truth)
    for utt, sentence in zip(utterances, truth, strict=True):
        assert abs(utt.start * 1000 / RATE - sentence["start_ms"]) < 250
        assert abs(utt.end * 1000 / RATE - sentence["end_ms"]) < 250
        # the engine gets the padding too
        assert len(utt.audio) >= utt.end - utt.start


def test_silence_and_low_noise_give_nothing() -> None:
    rng = np.random.default_rng(7)
    audio = np.concatenate([np.zeros(RATE * 3, np.float32), (rng.standard_normal(RATE * 3) * 0.003).astype(np.float32)])
    assert _run(audio, 1600) == []


def test_long_speech_is_split_at_the_bound(speech: np.ndarray) -> None:
    # Three sentences glued without pauses: about 11 s of speech, bounded to 4 s pieces.
    truth = speech_manifest()["sentences"]
    glued = np.concatenate([speech[s["start_ms"] * 16 : s["end_ms"] * 16] for s in truth])
    utterances = _run(np.concatenate([glued, np.zeros(RATE, np.float32)]), 1600, VadConfig(max_utterance_s=4.0))
    assert len(utterances) >= 3
    assert all(u.duration_s <= 4.0 + 0.05 for u in utterances)
    assert all(u.duration_s > 0.2 for u in utterances)
    # the pieces tile the speech without overlap
    assert all(a.end <= b.start for a, b in itertools.pairwise(utterances))


def test_flush_closes_speech_in_progress_and_reset_moves_the_timeline(speech: np.ndarray) -> None:
    seg = Segmenter(load_silero())
    first = speech_manifest()["sentences"][0]
    cut = (first["start_ms"] + 1500) * 16
    assert seg.feed(speech[:cut]) == []
    assert seg.speaking
    (utt,) = seg.flush()
    assert utt.start == pytest.approx(first["start_ms"] * 16, abs=4000)
    seg.reset(100 * RATE)
    assert seg.position == 100 * RATE
    later = seg.feed(speech[first["start_ms"] * 16 - 8000 : first["end_ms"] * 16 + RATE])
    assert later and later[0].start >= 100 * RATE
