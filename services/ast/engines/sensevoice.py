"""SenseVoice-Small through sherpa-onnx (ONNX Runtime, no torch), from a local model folder.

A damaged or mismatched ONNX file can abort the process that loads it, so the model is first loaded in a throwaway
subprocess (``services.ast.probe``) and only then here. One recognizer is made per language actually used.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from services.ast.engines.base import SAMPLE_RATE, Audio, Recognition, confidence_from_logprobs
from services.ast.engines.tags import clean_tag, split_tags
from services.ast.errors import EngineUnavailable, ModelInvalid

if TYPE_CHECKING:
    from services.ast.model_files import ModelLocation

__all__ = ["SenseVoiceEngine", "load_sherpa"]


def load_sherpa() -> Any:
    try:
        import sherpa_onnx
    except ImportError as exc:
        raise EngineUnavailable("SenseVoice 需要 sherpa-onnx (pip install sherpa-onnx)") from exc
    return sherpa_onnx


class SenseVoiceEngine:
    name = "sensevoice"

    def __init__(self, location: ModelLocation, *, threads: int = 2) -> None:
        self.model_name = location.name
        self._location = location
        self._threads = threads
        self._sherpa = load_sherpa()
        self._recognizers: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._recognizer("auto")  # load now, so a bad model fails the job start rather than the first utterance

    def _recognizer(self, language: str) -> Any:
        rec = self._recognizers.get(language)
        if rec is None:
            try:
                rec = self._sherpa.OfflineRecognizer.from_sense_voice(
                    model=str(self._location.weights),
                    tokens=str(self._location.path / "tokens.txt"),
                    num_threads=self._threads,
                    language="" if language == "auto" else language,
                    use_itn=True,
                )
            except (RuntimeError, ValueError) as exc:
                raise ModelInvalid(f"SenseVoice 模型无法加载 (cannot load model) {self._location.path}: {exc}") from exc
            self._recognizers[language] = rec
        return rec

    def transcribe(self, audio: Audio, *, language: str | None, prompt: str | None = None) -> Recognition:
        with self._lock:
            rec = self._recognizer(language or "auto")
            stream = rec.create_stream()
            stream.accept_waveform(SAMPLE_RATE, audio)
            rec.decode_stream(stream)
            result = stream.result
        text, inline = split_tags(str(result.text))
        detected = clean_tag(str(getattr(result, "lang", "") or "")) or inline.language
        emotion = clean_tag(str(getattr(result, "emotion", "") or "")) or inline.emotion
        event = clean_tag(str(getattr(result, "event", "") or "")) or inline.event
        tags = {k: v for k, v in (("emotion", emotion), ("event", event)) if v}
        logprobs = list(getattr(result, "ys_log_probs", None) or [])
        lang = "" if detected == "nospeech" else detected
        return Recognition(text, lang or (language or ""), confidence_from_logprobs(logprobs), tags)

    def close(self) -> None:
        self._recognizers.clear()
