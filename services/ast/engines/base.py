"""The one small interface every speech engine offers, and what it answers.

An engine turns one utterance (16 kHz mono float32 samples) into text. It is loaded once and may be shared by several
jobs, so ``transcribe`` must be safe to call from more than one thread (engines serialise internally if their
library is not). Heavy libraries are imported inside the adapters, never at module import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from services.ast.model_files import ModelLocation

__all__ = ["SAMPLE_RATE", "Audio", "Engine", "ModelCheck", "Recognition", "confidence_from_logprobs"]

SAMPLE_RATE = 16_000

Audio = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Recognition:
    text: str
    # ISO 639-1 code the engine used or detected ("zh", "en", ...); "" when unknown.
    language: str
    # 0..1, derived from the engine's own token log-probabilities; 0.0 when the engine gives none.
    confidence: float
    # Extra labels an engine knows (SenseVoice: emotion, event), passed on as transcript fields.
    tags: Mapping[str, str] = field(default_factory=dict)


class Engine(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def model_name(self) -> str: ...

    def transcribe(self, audio: Audio, *, language: str | None, prompt: str | None = None) -> Recognition:
        """``language`` is "zh", "en", or None to let the engine decide. ``prompt`` is text said before this audio
        and the words to expect (prompt.py); engines that cannot use it ignore it."""
        ...

    def close(self) -> None: ...


class ModelCheck(Protocol):
    """Vouches for a located model before it is loaded, raising ModelInvalid when it must not be (the AST's
    ``probe.ModelProber`` loads it in a throwaway process). A protocol here, so that the engines never import the
    probe, which itself loads engines in its child process."""

    def check(self, location: ModelLocation) -> None: ...


def confidence_from_logprobs(logprobs: Sequence[float] | float | None) -> float:
    """exp(mean log-probability per token), the geometric-mean token probability, clamped to 0..1."""
    if logprobs is None:
        return 0.0
    if isinstance(logprobs, (int, float)):
        mean = float(logprobs)
    else:
        values = [float(v) for v in logprobs]
        if not values:
            return 0.0
        mean = sum(values) / len(values)
    if math.isnan(mean):
        return 0.0
    return max(0.0, min(1.0, math.exp(min(0.0, mean))))
