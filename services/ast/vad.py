"""Streaming voice-activity segmentation with the Silero VAD model that ships inside faster-whisper (no torch).

The model scores 32 ms windows (512 samples plus 64 samples of context) and carries an LSTM state between calls,
so audio can be fed as it arrives. It is computed in numpy from the weights of faster-whisper's
``silero_vad_v6.onnx`` (silero_numpy.py), in development and in the desktop bundle alike: ONNX Runtime, 36 MB of the
bundle, was used for nothing else (issue #15 part 5); the scores stay within 1e-4 of it
(tests/unit/ast/test_ast_silero_numpy.py). ``Segmenter`` turns the scores into utterances:
- speech starts at the first window scoring >= ``threshold``, reaching back over the weaker windows (>=
  ``neg_threshold``) just before it: Silero's score for a short word swings with where the 32 ms grid falls (a
  "对" scores 0.52 on one alignment and 0.43 a few samples later), so the onset must not hang on one window;
- it ends after ``min_silence_ms`` of windows below ``neg_threshold`` (scores in between keep the current state);
- an utterance reaching ``max_utterance_s`` is cut at the quietest window of its last seconds;
- utterances shorter than ``min_speech_ms`` (clicks, coughs) are dropped.
Each utterance carries ``speech_pad_ms`` of audio either side for the engine, and its unpadded speech bounds.
Silence costs one small model call per chunk (about 30 us per window) and nothing downstream.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from services.ast.engines.base import SAMPLE_RATE, Audio
from services.ast.errors import EngineUnavailable, ModelInvalid
from services.ast.silero_numpy import SileroNumpy

__all__ = ["Segmenter", "SileroModel", "Utterance", "VadConfig", "load_silero"]

WINDOW = 512
CONTEXT = 64


@dataclass(frozen=True, slots=True)
class VadConfig:
    threshold: float = 0.5
    neg_threshold: float = 0.35
    min_silence_ms: int = 450
    # A short word is speech: Silero scores a clear "对" (~0.3 s) above the threshold for only 160-190 ms on some
    # alignments of its 32 ms grid, so at 250 ms one "对" in three was dropped as a click (issue 16: the "missing"
    # utterances of long runs). Clicks that pass this are the engine's to refuse (no-speech, log-prob).
    min_speech_ms: int = 120
    speech_pad_ms: int = 200
    # How far an onset may reach back over weak windows, and the longest run of quiet windows it may cross.
    onset_lookback_ms: int = 600
    onset_gap_ms: int = 200
    max_utterance_s: float = 15.0
    # An utterance shorter than this (a lone "对") gets ``short_pad_ms`` of audio before it instead: its onset may
    # be the middle of the word (Silero passed the threshold late), and Whisper read "对" from 200 ms of lead-in as
    # "证判", from 400 ms as "对" (six copies of the real clip).
    short_speech_ms: int = 500
    short_pad_ms: int = 400
    # Where a long utterance may be cut: the quietest window within this many seconds before the limit.
    split_search_s: float = 3.0


@dataclass(frozen=True, slots=True)
class Utterance:
    audio: Audio
    # Sample positions in the segmenter's stream: speech bounds without the padding.
    start: int
    end: int

    @property
    def duration_s(self) -> float:
        return (self.end - self.start) / SAMPLE_RATE


class SileroModel:
    """The model's weights, shared by every job (``scores`` is thread-safe); each ``Segmenter`` keeps its own state."""

    def __init__(self, path: Path) -> None:
        try:
            self._model = SileroNumpy(path)
        except (OSError, ValueError) as exc:
            raise ModelInvalid(f"Silero VAD 模型无法加载 (cannot load VAD model) {path}: {exc}") from exc

    def scores(self, windows: np.ndarray, state: list[np.ndarray]) -> np.ndarray:
        """Speech probability per row of ``windows`` (n x 576); updates ``state`` ([h, c]) in place."""
        probs, state[0], state[1] = self._model.run(windows, state[0], state[1])
        return probs


@functools.cache
def load_silero() -> SileroModel:
    try:
        from faster_whisper.utils import get_assets_path
    except ImportError as exc:
        raise EngineUnavailable("语音检测模型随 faster-whisper 提供 (pip install faster-whisper)") from exc
    path = Path(get_assets_path()) / "silero_vad_v6.onnx"
    if not path.is_file():
        raise ModelInvalid(f"faster-whisper 中没有 Silero VAD 模型 (VAD model missing): {path}")
    return SileroModel(path)


class Segmenter:
    """Feed 16 kHz float32 samples, get finished utterances. Not thread-safe: one per job."""

    def __init__(self, model: Any, config: VadConfig | None = None) -> None:
        self._model = model
        self.config = cfg = config or VadConfig()
        self._pad = cfg.speech_pad_ms * SAMPLE_RATE // 1000
        self._short = cfg.short_speech_ms * SAMPLE_RATE // 1000
        # Never more lead-in than the pre-roll the buffer keeps while silent.
        self._short_pad = min(cfg.short_pad_ms, cfg.onset_lookback_ms + cfg.speech_pad_ms) * SAMPLE_RATE // 1000
        self._min_silence = cfg.min_silence_ms * SAMPLE_RATE // 1000
        self._min_speech = cfg.min_speech_ms * SAMPLE_RATE // 1000
        self._lookback = cfg.onset_lookback_ms * SAMPLE_RATE // 1000
        self._onset_gap = cfg.onset_gap_ms * SAMPLE_RATE // 1000
        self._max_len = int(cfg.max_utterance_s * SAMPLE_RATE)
        # Search at most the second half of a maximal utterance, so each piece is at least half the limit.
        self._split_windows = max(1, min(int(cfg.split_search_s * SAMPLE_RATE), self._max_len // 2) // WINDOW)
        self.reset()

    def reset(self, position: int = 0) -> None:
        """Forget everything; the next sample fed is at ``position``."""
        self._state = [np.zeros((1, 1, 128), np.float32), np.zeros((1, 1, 128), np.float32)]
        self._context = np.zeros(CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._pos = position  # stream position of the first pending sample
        # Audio kept since ``_buf_start``: the pre-roll while silent, the utterance while speaking.
        self._buf: list[np.ndarray] = []
        self._buf_start = position
        self._speaking = False
        self._speech_start = 0
        self._last_speech_end = 0
        self._probs: list[float] = []  # per window since the speech start, for choosing a split point
        self._quiet: list[tuple[int, float]] = []  # (start, score) of the windows before an onset, within lookback

    @property
    def position(self) -> int:
        return self._pos + len(self._pending)

    @property
    def speaking(self) -> bool:
        return self._speaking

    def feed(self, samples: Audio) -> list[Utterance]:
        audio = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        n = len(audio) // WINDOW
        self._pending = audio[n * WINDOW :]
        if n == 0:
            return []
        windows = audio[: n * WINDOW].reshape(n, WINDOW)
        contexts = np.empty((n, CONTEXT), np.float32)
        contexts[0] = self._context
        contexts[1:] = windows[:-1, -CONTEXT:]
        self._context = windows[-1, -CONTEXT:].copy()
        probs = self._model.scores(np.ascontiguousarray(np.concatenate([contexts, windows], axis=1)), self._state)
        out: list[Utterance] = []
        for i in range(n):
            self._step(windows[i], float(probs[i]), out)
        return out

    def flush(self) -> list[Utterance]:
        """End of stream: close the utterance in progress, if it is long enough."""
        out: list[Utterance] = []
        if self._speaking:
            self._close(self._last_speech_end, out)
        self.reset(self.position)
        return out

    def _buffer_audio(self, start: int, end: int) -> Audio:
        joined = np.concatenate(self._buf) if len(self._buf) != 1 else self._buf[0]
        return joined[max(0, start - self._buf_start) : max(0, end - self._buf_start)]

    def _trim_buffer(self, keep_from: int) -> None:
        if keep_from <= self._buf_start or not self._buf:
            return
        joined = np.concatenate(self._buf)
        cut = min(len(joined), keep_from - self._buf_start)
        self._buf = [joined[cut:]]
        self._buf_start += cut

    def _step(self, window: np.ndarray, prob: float, out: list[Utterance]) -> None:
        start = self._pos
        end = start + WINDOW
        self._pos = end
        self._buf.append(window)
        cfg = self.config
        if not self._speaking:
            if prob >= cfg.threshold:
                self._speaking = True
                self._speech_start = self._onset(start)
                self._last_speech_end = end
                self._probs = [prob]
                self._quiet = []
            else:
                self._quiet.append((start, prob))
                if self._quiet[0][0] < end - self._lookback:
                    self._quiet.pop(0)
                self._trim_buffer(end - self._lookback - self._pad)  # keep only the pre-roll
            return
        self._probs.append(prob)
        if prob >= cfg.threshold or (prob >= cfg.neg_threshold and end - self._last_speech_end < WINDOW * 2):
            self._last_speech_end = end
        if end - self._last_speech_end >= self._min_silence:
            self._close(self._last_speech_end, out)
        elif end - self._speech_start >= self._max_len:
            self._split(out)

    def _onset(self, start: int) -> int:
        """Where speech that crossed the threshold at ``start`` began: the earliest weak window joined to it."""
        onset = start
        for window_start, prob in reversed(self._quiet):
            if prob >= self.config.neg_threshold:
                onset = window_start
            elif onset - window_start > self._onset_gap:
                break
        return onset

    def _close(self, speech_end: int, out: list[Utterance]) -> None:
        if speech_end - self._speech_start >= self._min_speech:
            lead = self._short_pad if speech_end - self._speech_start < self._short else self._pad
            audio = self._buffer_audio(self._speech_start - lead, min(self.position, speech_end + self._pad))
            out.append(Utterance(audio.copy(), self._speech_start, speech_end))
        self._speaking = False
        self._probs = []
        self._trim_buffer(self._pos - self._pad)

    def _split(self, out: list[Utterance]) -> None:
        # Cut at the quietest window among the last seconds, so a word is not cut in half when a pause exists.
        recent = self._probs[-self._split_windows :]
        quietest = int(np.argmin(recent))
        cut = self._pos - (len(recent) - quietest) * WINDOW + WINDOW // 2
        out.append(Utterance(self._buffer_audio(self._speech_start - self._pad, cut).copy(), self._speech_start, cut))
        self._trim_buffer(cut)
        self._speech_start = cut
        self._last_speech_end = max(self._last_speech_end, cut)
        self._probs = self._probs[len(self._probs) - (len(recent) - quietest) :]
