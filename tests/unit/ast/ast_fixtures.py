"""Shared by the AST unit and end-to-end tests: the speech fixture, word error rate, and the real Whisper model,
assembled once per test session into a temporary models folder (tests that load it carry the ``ast_model`` mark).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from services.ast.config import ModelConfig
from services.ast.engines.whisper import WhisperEngine, WhisperOptions
from services.ast.model_files import ensure_whisper_base, locate_model
from shared.ffmpeg import find_ffmpeg

FIXTURES = Path(__file__).resolve().parents[2] / "e2e" / "ast" / "fixtures"
SPEECH_FLAC = FIXTURES / "speech_en.flac"
# Real and synthetic speech with exact transcripts (tests/fixtures/speech/README.md says where each comes from).
SPEECH_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "speech"
RATE = 16_000
MARKER = "ast_model: loads the real Whisper base model (assembled once per test session)"


def speech_manifest() -> dict[str, Any]:
    return json.loads((FIXTURES / "speech_en.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def decode_pcm(path: Path) -> np.ndarray:
    pcm = subprocess.run(
        [find_ffmpeg(), "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def words(text: str) -> list[str]:
    cleaned = "".join(ch.lower() if ch.isalnum() or ch.isspace() else " " for ch in text)
    return cleaned.split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words, divided by the reference length."""
    ref = words(reference)
    return _edit_distance(ref, words(hypothesis)) / max(1, len(ref))


def _chord(root: float, third: float, fifth: float) -> str:
    return f"(sin(2*PI*{root}*t)+0.7*sin(2*PI*{third}*t)+0.7*sin(2*PI*{fifth}*t)+0.3*sin(4*PI*{root}*t))"


def generated_music(seconds: float, bpm: int = 112) -> np.ndarray:
    """Background music from ffmpeg's expression source: C-Am-F-G chords a bar each, a pentatonic eighth-note
    melody with three harmonics, a pitch-dropping kick on every beat and a noise hi-hat off the beat. Same every run
    except the hi-hat's noise."""
    beat = 60.0 / bpm
    chords = [
        _chord(130.8, 164.8, 196.0),
        _chord(110.0, 130.8, 164.8),
        _chord(87.3, 110.0, 130.8),
        _chord(98, 123.5, 146.8),
    ]
    bar = f"mod(floor(t/{4 * beat}),4)"
    harmony = "+".join(f"eq({bar},{i})*{c}" for i, c in enumerate(chords))
    notes = [523.3, 587.3, 659.3, 784.0, 880.0, 784.0, 659.3, 587.3, 523.3, 659.3, 784.0, 1046.5, 880.0, 784.0, 659.3]
    step = f"mod(floor(t/{beat / 2}),{len(notes)})"
    melody = "+".join(
        f"eq({step},{i})*(sin(2*PI*{f}*t)+0.5*sin(4*PI*{f}*t)+0.25*sin(6*PI*{f}*t))" for i, f in enumerate(notes)
    )
    kick = f"exp(-25*mod(t,{beat}))*sin(2*PI*(50+80*exp(-30*mod(t,{beat})))*t)"
    hat = f"exp(-60*mod(t+{beat / 2},{beat}))*(random(0)*2-1)"
    expr = f"0.12*({harmony})+0.18*exp(-6*mod(t,{beat / 2}))*({melody})+0.5*{kick}+0.15*{hat}"
    source = f"aevalsrc='{expr}':s={RATE}:d={seconds}"
    cmd = [find_ffmpeg(), "-v", "error", "-f", "lavfi", "-i", source, "-ac", "1", "-f", "s16le", "-"]
    pcm = subprocess.run(cmd, check=True, capture_output=True).stdout
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def speech_rms(audio: np.ndarray) -> float:
    """RMS over the 32 ms frames that carry speech (louder than -40 dBFS), so pauses do not dilute it."""
    frames = audio[: len(audio) // 512 * 512].reshape(-1, 512)
    rms = np.sqrt((frames**2).mean(axis=1))
    return float(np.sqrt((rms[rms > 0.01] ** 2).mean()))


def mix_under(speech: np.ndarray, music: np.ndarray, db: float) -> np.ndarray:
    """``music`` under ``speech`` at ``db`` relative to the speech's level."""
    bed = np.resize(music, len(speech))
    bed = bed / max(1e-9, float(np.sqrt((bed**2).mean()))) * speech_rms(speech) * 10 ** (db / 20)
    return np.clip(speech + bed, -1.0, 1.0).astype(np.float32)


def write_wav(audio: np.ndarray, path: Path) -> Path:
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def _edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[len(hyp)]


def chars(text: str) -> list[str]:
    """Letters and digits only: punctuation and spacing are not what a character error rate judges."""
    return [ch for ch in text if ch.isalnum()]


def char_error_rate(reference: str, hypothesis: str) -> float:
    return _edit_distance(chars(reference), chars(hypothesis)) / max(1, len(chars(reference)))


def term_error_rate(terms: list[str], hypothesis: str) -> float:
    """Character errors on the given terms only: each term against its closest stretch of the hypothesis (one
    character shorter to one longer), summed over the terms' length. 0 when every term is written exactly."""
    hyp = chars(hypothesis)
    errors = 0
    for term in terms:
        ref = chars(term)
        best = len(ref)
        for size in range(max(1, len(ref) - 1), len(ref) + 2):
            for i in range(max(1, len(hyp) - size + 1)):
                best = min(best, _edit_distance(ref, hyp[i : i + size]))
        errors += best
    return errors / max(1, sum(len(chars(t)) for t in terms))


@pytest.fixture(scope="session")
def ast_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The base temp folder is shared by the whole session, so unit and e2e tests assemble the model once.
    models = tmp_path_factory.getbasetemp() / "ast-models"
    ensure_whisper_base(models, verify=True)
    return models


@pytest.fixture(scope="session")
def whisper_engine(ast_models_dir: Path) -> Iterator[WhisperEngine]:
    location = locate_model(ModelConfig(), ast_models_dir)
    engine = WhisperEngine(location, WhisperOptions(threads=2))
    yield engine
    engine.close()
