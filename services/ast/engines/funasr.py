"""SenseVoice through FunASR's ``AutoModel`` (torch on the CPU), from local folders only: the original design's engine.

An optional extra: ``pip install funasr torch``. ``disable_update`` and a folder path keep FunASR off the network.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

from services.ast.engines.base import Audio, Recognition, confidence_from_logprobs
from services.ast.engines.tags import split_tags
from services.ast.errors import EngineUnavailable, ModelInvalid

if TYPE_CHECKING:
    from services.ast.model_files import ModelLocation

__all__ = ["FunAsrEngine"]


def _load_automodel() -> Any:
    try:
        from funasr import AutoModel
    except ImportError as exc:
        raise EngineUnavailable("FunASR 引擎需要 funasr 和 CPU 版 torch (pip install funasr torch)") from exc
    return AutoModel


def _confidence(item: dict[str, Any]) -> float:
    # FunASR puts no score in a plain SenseVoice result; use one when a model version adds it.
    for key in ("ys_log_probs", "log_probs", "avg_logprob"):
        if key in item and item[key] is not None:
            value = item[key]
            return confidence_from_logprobs(value if isinstance(value, (int, float)) else list(value))
    score = item.get("confidence", item.get("score"))
    if isinstance(score, (int, float)) and not math.isnan(score):
        return max(0.0, min(1.0, float(score)))
    return 0.0


class FunAsrEngine:
    name = "funasr"

    def __init__(self, location: ModelLocation, *, threads: int = 2) -> None:
        self.model_name = location.name
        auto_model = _load_automodel()
        try:
            self._model = auto_model(
                model=str(location.path),
                device="cpu",
                ncpu=threads,
                disable_update=True,
                disable_pbar=True,
                disable_log=True,
            )
        except (RuntimeError, ValueError, OSError, KeyError, AssertionError) as exc:
            raise ModelInvalid(f"FunASR 模型无法加载 (cannot load model) {location.path}: {exc}") from exc
        self._lock = threading.Lock()

    def transcribe(self, audio: Audio, *, language: str | None, prompt: str | None = None) -> Recognition:
        with self._lock:
            results = self._model.generate(input=audio, cache={}, language=language or "auto", use_itn=True)
        item: dict[str, Any] = results[0] if results else {}
        text, tags = split_tags(str(item.get("text", "")))
        lang = "" if tags.language == "nospeech" else tags.language
        extra = {k: v for k, v in (("emotion", tags.emotion), ("event", tags.event)) if v}
        return Recognition(text, lang or (language or ""), _confidence(item), extra)

    def close(self) -> None:
        self._model = None
