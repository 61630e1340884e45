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
from services.ast.models import ensure_whisper_base, locate_model
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
