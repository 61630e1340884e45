"""Whisper through faster-whisper / CTranslate2, decoding one VAD utterance at a time.

faster-whisper loads the model, computes features and tokenises; the decode call itself goes straight to the
CTranslate2 model so that it can be guarded for live use:
- beam search at temperature 0 (never a sampling fallback), ``no_repeat_ngram_size``, and a cap on new tokens that
  grows with the audio's length, so one utterance can never turn into an endless loop;
- the encoder sees the utterance's features plus a little zero padding instead of the fixed 30 s window ("fit"), which
  makes a 3 s utterance several times cheaper; if the output still looks like a loop it is decoded once more on the
  standard 30 s window with a repetition penalty;
- the language is forced when the job knows it; "auto" chooses between Chinese and English only.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from services.ast.engines.base import SAMPLE_RATE, Audio, Recognition, confidence_from_logprobs
from services.ast.errors import EngineUnavailable, ModelInvalid

if TYPE_CHECKING:
    from services.ast.model_files import ModelLocation

__all__ = ["WhisperEngine", "WhisperOptions", "looks_repetitive"]

log = logging.getLogger(__name__)

_AUTO_LANGUAGES = ("zh", "en")
_FULL_WINDOW_S = 30
# Whisper's decoder context is 448 tokens; the prompt takes 4, and previous text at most half of it.
_CONTEXT_TOKENS = 448
_MAX_NEW_TOKENS = 440
_MAX_PROMPT_TOKENS = 223


@dataclass(frozen=True, slots=True)
class WhisperOptions:
    threads: int = 2
    compute_type: str = "int8"
    window: str = "fit"
    # Beam search: greedy decoding lost words that the bare model finds (issue 16); five beams cost ~1.5x decode.
    beam_size: int = 5
    # Fast Mandarin runs near 6 characters a second, about 1.5 tokens each; this leaves room and still stops loops.
    tokens_per_second: float = 12.0
    token_slack: int = 10
    no_repeat_ngram_size: int = 5
    # "fit" mode: at least this long a window (shorter ones make base repeat sentences), the utterance plus this much
    # silence, rounded up to the step.
    min_window_s: float = 10.0
    fit_padding_s: float = 1.0
    fit_step_s: float = 5.0
    # Not speech when both hold. Whisper's defaults (0.6, -1.0) let through what it "reads" in a voice under music
    # (reversed speech over generated music: no-speech 0.21-0.52, log-prob -0.5 to -1.5, all transcribed), while
    # real speech, clean or under music at -6 dB, stayed below 0.17 (tests/e2e/ast/test_ast_music.py, issue 16).
    no_speech_threshold: float = 0.25
    logprob_threshold: float = -0.4
    # Nor is a text of several tokens that the decoder doubts throughout: what it reads into a voice under music
    # scored -1.1 to -1.9 even where no-speech was low, real sentences (clean, or music at -6 dB) -0.1 to -0.8. A
    # lone syllable ("对") is doubtful by nature and stays.
    doubt_logprob: float = -1.0
    doubt_min_tokens: int = 4
    # gzip compression ratio above which the text repeats itself (Whisper's default).
    compression_ratio_threshold: float = 2.4
    # A file job decodes consecutive utterances together within this many seconds (services/ast/context.py):
    # the neighbouring sentences are what the model needs to read speech under loud music.
    context_window_s: float = 20.0


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+")


def looks_repetitive(text: str, *, n: int = 3, min_units: int = 8, max_repeat_share: float = 0.2) -> bool:
    """True when many of the text's n-grams (CJK characters or words) occur more than once: the signature of a
    decoder that started the sentence again. Short texts are too small to judge; gzip ratios say nothing below
    a few hundred bytes, so this counts n-grams instead."""
    units = _WORD.findall(text.lower())
    if len(units) < min_units:
        return False
    grams = [tuple(units[i : i + n]) for i in range(len(units) - n + 1)]
    repeated = len(grams) - len(set(grams))
    return repeated / len(grams) > max_repeat_share


class WhisperEngine:
    name = "whisper"

    def __init__(self, location: ModelLocation, options: WhisperOptions | None = None) -> None:
        self._options = options or WhisperOptions()
        self.model_name = location.name
        self.context_window_s = self._options.context_window_s
        try:
            import ctranslate2
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
        except ImportError as exc:
            raise EngineUnavailable("需要安装 faster-whisper (pip install faster-whisper)") from exc
        self._ct2 = ctranslate2
        self._tokenizer_cls = Tokenizer
        try:
            # A folder path, never a hub name: faster-whisper would otherwise try to download.
            self._model = WhisperModel(
                str(location.path),
                device="cpu",
                compute_type=self._options.compute_type,
                cpu_threads=self._options.threads,
                num_workers=1,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelInvalid(f"Whisper 模型无法加载 (cannot load model) {location.path}: {exc}") from exc
        if not self._model.model.is_multilingual:
            raise ModelInvalid(f"需要多语言 Whisper 模型 (a multilingual model is required): {location.path}")
        self._tokenizers: dict[str, Any] = {}
        self._suppress: dict[str, list[int]] = {}
        # CTranslate2 runs one call at a time with num_workers=1; the lock keeps shared jobs in order.
        self._lock = threading.Lock()

    def _tokenizer(self, language: str) -> Any:
        tok = self._tokenizers.get(language)
        if tok is None:
            tok = self._tokenizer_cls(self._model.hf_tokenizer, True, task="transcribe", language=language)
            self._tokenizers[language] = tok
            specials = [tok.transcribe, tok.translate, tok.sot, tok.sot_prev, tok.sot_lm, tok.no_speech]
            self._suppress[language] = sorted({*tok.non_speech_tokens, *specials})
        return tok

    def _window_samples(self, n: int, window: str) -> int:
        if window == "full":
            return _FULL_WINDOW_S * SAMPLE_RATE
        opts = self._options
        seconds = math.ceil((n / SAMPLE_RATE + opts.fit_padding_s) / opts.fit_step_s) * opts.fit_step_s
        return int(min(_FULL_WINDOW_S, max(opts.min_window_s, seconds)) * SAMPLE_RATE)

    def _encode(self, audio: Audio, window: str) -> Any:
        # The window is padded in the feature domain with zeros, as faster-whisper does, not with silent audio: the
        # log-mel of digital silence (clamped 8 decades under the utterance's loudest bin) is a signal the model
        # reads, and it cost words at the edges of short utterances ("fox jumps over" -> "fox dumb, sober").
        size = self._window_samples(len(audio), window)
        extractor = self._model.feature_extractor
        frames = size // extractor.hop_length
        features = extractor(audio[:size])
        used = min(frames, features.shape[1])
        window_features = np.zeros((features.shape[0], frames), dtype=np.float32)
        window_features[:, :used] = features[:, :used]
        batch = np.ascontiguousarray(window_features[np.newaxis])
        return self._model.model.encode(self._ct2.StorageView.from_array(batch), to_cpu=False)

    def _pick_language(self, encoded: Any) -> str:
        scores = dict(self._model.model.detect_language(encoded)[0])
        return max(_AUTO_LANGUAGES, key=lambda code: scores.get(f"<|{code}|>", 0.0))

    def _prompt_tokens(self, language: str, prompt: str | None) -> list[int]:
        tok = self._tokenizer(language)
        sequence = [*tok.sot_sequence, tok.no_timestamps]
        if not prompt or not prompt.strip():
            return sequence
        # Whisper's "previous text" slot: words the decoder takes as what was said before (n_ctx / 2 at most).
        previous = tok.encode(" " + prompt.strip())[-_MAX_PROMPT_TOKENS:]
        return [tok.sot_prev, *previous, *sequence]

    def _decode(
        self, encoded: Any, language: str, max_new: int, repetition_penalty: float, prompt_text: str | None = None
    ) -> tuple[str, float, float, int]:
        tok = self._tokenizer(language)
        prompt = self._prompt_tokens(language, prompt_text)
        result = self._model.model.generate(
            encoded,
            [prompt],
            beam_size=self._options.beam_size,
            patience=1,
            length_penalty=1,
            repetition_penalty=repetition_penalty,
            no_repeat_ngram_size=self._options.no_repeat_ngram_size,
            max_length=min(_CONTEXT_TOKENS, len(prompt) + max_new),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress[language],
            max_initial_timestamp_index=0,
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < tok.eot]
        # With length_penalty=1 the score is the mean log-probability per token.
        avg_logprob = float(result.scores[0]) if result.scores else 0.0
        no_speech = float(result.no_speech_prob) if len(prompt) == len(tok.sot_sequence) + 1 else None
        if no_speech is None:
            no_speech = self._no_speech(encoded, language)
        return tok.decode(tokens).strip(), avg_logprob, no_speech, len(tokens)

    def _no_speech(self, encoded: Any, language: str) -> float:
        # Whisper's no-speech probability is read at the first step, and previous text moves it (a clear "对" went
        # from 0.04 to 0.72 under a prompt); the rule below was tuned without one, so it is read without one: a
        # single greedy step on the same encoder output.
        tok = self._tokenizer(language)
        plain = [*tok.sot_sequence, tok.no_timestamps]
        result = self._model.model.generate(
            encoded, [plain], beam_size=1, max_length=len(plain) + 1, return_no_speech_prob=True
        )[0]
        return float(result.no_speech_prob)

    def transcribe(self, audio: Audio, *, language: str | None, prompt: str | None = None) -> Recognition:
        if len(audio) > (_FULL_WINDOW_S - 2) * SAMPLE_RATE:
            return self._transcribe_long(audio, language, prompt)
        opts = self._options
        max_new = min(_MAX_NEW_TOKENS, math.ceil(len(audio) / SAMPLE_RATE * opts.tokens_per_second) + opts.token_slack)
        with self._lock:
            encoded = self._encode(audio, opts.window)
            lang = language if language in _AUTO_LANGUAGES else self._pick_language(encoded)
            text, avg_logprob, no_speech, count = self._decode(encoded, lang, max_new, 1.0, prompt)
            if text and (
                count >= max_new
                or looks_repetitive(text)
                or _compression_ratio(text) > opts.compression_ratio_threshold
            ):
                log.info("whisper output looks repetitive (%d tokens); decoding again on the full window", count)
                encoded = self._encode(audio, "full")
                # Without the prompt too: previous text is what a looping decoder copies.
                text, avg_logprob, no_speech, count = self._decode(encoded, lang, max_new, 1.2)
        if no_speech > opts.no_speech_threshold and avg_logprob < opts.logprob_threshold:
            return Recognition("", lang, 0.0)
        if count >= opts.doubt_min_tokens and avg_logprob < opts.doubt_logprob:
            log.info("whisper output dropped as doubtful (log-prob %.2f over %d tokens)", avg_logprob, count)
            return Recognition("", lang, 0.0)
        # The chance that the tokens are right, times the chance that this is speech at all.
        return Recognition(text, lang, confidence_from_logprobs(avg_logprob) * (1.0 - no_speech))

    def _transcribe_long(self, audio: Audio, language: str | None, prompt: str | None) -> Recognition:
        # Utterances from the VAD are bounded well below 30 s; this path serves direct callers with longer audio.
        step = (_FULL_WINDOW_S - 2) * SAMPLE_RATE
        parts = [
            self.transcribe(audio[i : i + step], language=language, prompt=prompt) for i in range(0, len(audio), step)
        ]
        texts = [p.text for p in parts if p.text]
        lang = next((p.language for p in parts if p.language), language or "")
        confidence = min((p.confidence for p in parts if p.text), default=0.0)
        joiner = "" if lang == "zh" else " "
        return Recognition(joiner.join(texts), lang, confidence)

    def close(self) -> None:
        self._tokenizers.clear()
