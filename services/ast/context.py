"""Decoding a file's utterances with the audio around them (issue 16, music at -6 dB).

Whisper reads speech under loud music far better with the neighbouring sentences in its window: on the Mandarin test
file under music at -6 dB, decoding each VAD utterance on its own gave 29.9 % character errors, the same utterances
decoded in stretches of up to 20 s 20.5 %, the bare model (30 s windows) 18.9 %; clean speech and -12 dB gained too
(docs/speech.md, File jobs). A live job cannot wait for the next sentence, so only jobs that read a file as fast as
they can (no ``realtime``) decode this way, and only where the pauses carry a background (``has_background``): clear
speech is read as well alone.

- ``Stretcher`` (source thread) keeps the stream's recent audio and gathers consecutive utterances into a
  ``Stretch`` while the first one's start and the last one's end lie within the window; the stretch's audio is the
  stream itself from the first start to the last end (plus the padding), pauses and all: the pauses are context too,
  and utterances spliced together without them decoded far worse (52.8 % at -6 dB);
- the engine decodes the stretch once, and ``split_text`` hands its text back to the utterances, cutting at
  sentence ends (clause ends when there are too few) so that each utterance's share of the characters is nearest its
  share of the speech time; every utterance keeps its own timestamps;
- a stretch whose text is far too short for its speech (``covers``) is decoded again one utterance at a time:
  without timestamps Whisper may stop at the first pause (a 17 s stretch of the real clip repeated, "对" then two
  sentences, came out as "对。" alone).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from services.ast.engines.base import SAMPLE_RATE, Audio
from services.ast.vad import Utterance

__all__ = [
    "BACKGROUND_DB",
    "MIN_UNITS_PER_S",
    "Stretch",
    "Stretcher",
    "covers",
    "has_background",
    "single",
    "split_text",
    "text_units",
]

# Pauses at most this far under the speech count as quiet. Music under a voice at -12 dB sits 12 dB under it, a
# quiet room 40 dB or more.
BACKGROUND_DB = -25.0
_FRAME = 512
# Slowest plausible speech: Mandarin runs at 3-6 characters a second, English at 2-3 words.
MIN_UNITS_PER_S = 1.0
_UNIT = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+")

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…])|(?<=\.)(?=\s)")
_CLAUSE_END = re.compile(r"(?<=[，,、：:])")


@dataclass(frozen=True, slots=True)
class Stretch:
    """Consecutive utterances and the stream's audio around them (``audio_start``: its first sample's position)."""

    audio: Audio
    audio_start: int
    utterances: tuple[Utterance, ...]

    @property
    def start(self) -> int:
        return self.utterances[0].start

    @property
    def end(self) -> int:
        return self.utterances[-1].end

    def clip(self, start: int, end: int, pad: int) -> Audio:
        """The audio of ``start``..``end`` (stream positions) with ``pad`` samples either side, within the stretch;
        all of it for the whole stretch (a short word's utterance carries a longer lead-in, vad.py)."""
        if start <= self.start and end >= self.end:
            return self.audio
        lo = max(0, start - pad - self.audio_start)
        hi = max(lo, min(len(self.audio), end + pad - self.audio_start))
        return self.audio[lo:hi]


def single(utt: Utterance, pad: int) -> Stretch:
    """One utterance decoded on its own (live jobs, engines without a context window)."""
    return Stretch(utt.audio, utt.start - pad, (utt,))


class Stretcher:
    """Not thread-safe: the source thread feeds it the stream (``feed`` before the VAD's utterances of the same
    samples are ``add``-ed) and takes the finished stretches."""

    def __init__(self, window_s: float, pad: int, keep_s: float) -> None:
        self._window = int(window_s * SAMPLE_RATE)
        self._pad = pad
        # How far back an utterance that the VAD closes may start: its longest length plus the silence it waits for.
        self._keep = int(keep_s * SAMPLE_RATE)
        self._audio = np.zeros(0, np.float32)
        self._start = 0
        self._group: list[Utterance] = []

    def feed(self, samples: Audio, position: int) -> None:
        """``samples`` begin at stream ``position`` (contiguous with the previous call's)."""
        if not len(self._audio):
            self._start = position
        self._audio = np.concatenate([self._audio, samples])
        keep_from = self._group[0].start - self._pad if self._group else position + len(samples) - self._keep
        cut = keep_from - self._start
        if cut > 0:
            self._audio = self._audio[cut:]
            self._start += cut

    def add(self, utt: Utterance) -> list[Stretch]:
        out: list[Stretch] = []
        if self._group and utt.end - self._group[0].start > self._window:
            out += self._close()
        self._group.append(utt)
        return out

    def flush(self) -> list[Stretch]:
        return self._close() if self._group else []

    def _close(self) -> list[Stretch]:
        group, self._group = tuple(self._group), []
        lo = max(self._start, group[0].start - self._pad)
        hi = min(self._start + len(self._audio), group[-1].end + self._pad)
        audio = self._audio[lo - self._start : max(lo, hi) - self._start].copy()
        stretch = Stretch(audio, lo, group)
        if len(group) > 1 and not has_background(stretch, self._pad):
            # Clear speech between quiet pauses is read as well alone, and alone each line keeps exact times.
            return [single(u, self._pad) for u in group]
        return [stretch]


def has_background(stretch: Stretch, pad: int) -> bool:
    """Whether the pauses between the stretch's utterances carry sound (music, a noisy room) no quieter than
    ``BACKGROUND_DB`` under the speech: then the stretch is decoded as one. In quiet pauses it is not, since the
    text is handed back to the utterances by their share of the time, which a change of speaking rate misleads."""
    inside = np.zeros(len(stretch.audio), bool)
    for u in stretch.utterances:  # with the padding: a word's tail is no background
        inside[max(0, u.start - pad - stretch.audio_start) : max(0, u.end + pad - stretch.audio_start)] = True
    if inside.all() or not inside.any():
        return False
    # Per 32 ms frame, and the pauses' median: a breath or the tail of a short word is a few loud frames in a pause,
    # a background is in all of them.
    n = len(stretch.audio) // _FRAME * _FRAME
    rms = np.sqrt(np.mean(np.square(stretch.audio[:n].reshape(-1, _FRAME)), axis=1))
    speech_frames = inside[:n].reshape(-1, _FRAME).all(axis=1)
    pause_frames = ~inside[:n].reshape(-1, _FRAME).any(axis=1)
    if not speech_frames.any() or not pause_frames.any():
        return False
    speech = float(np.sqrt(np.mean(np.square(rms[speech_frames]))))
    return float(np.median(rms[pause_frames])) > speech * 10 ** (BACKGROUND_DB / 20)


def text_units(text: str) -> int:
    """Han characters and other words: what a speaking rate counts."""
    return len(_UNIT.findall(text))


def covers(text: str, stretch: Stretch) -> bool:
    """Whether ``text`` is long enough to be the whole of the stretch's speech."""
    speech_s = sum(u.end - u.start for u in stretch.utterances) / SAMPLE_RATE
    return text_units(text) >= MIN_UNITS_PER_S * speech_s


def split_text(text: str, weights: Sequence[float]) -> list[str]:
    """``text`` in ``len(weights)`` consecutive parts (some may be empty), cut at sentence ends where there are
    enough of them, else also at clause ends, each part's share of the characters nearest its weight's share."""
    n = len(weights)
    if n <= 1:
        return [text.strip()]
    pieces = [p for p in _SENTENCE_END.split(text) if p.strip()]
    if len(pieces) < n:
        pieces = [q for p in pieces for q in _CLAUSE_END.split(p) if q.strip()]
    cumulative = [0]
    for piece in pieces:
        cumulative.append(cumulative[-1] + sum(1 for ch in piece if ch.isalnum()))
    total = cumulative[-1] or 1
    weight_total = sum(weights) or 1.0
    bounds = [0]
    share = 0.0
    for weight in weights[:-1]:
        share += weight
        target = share / weight_total * total
        lo = bounds[-1]
        bounds.append(min(range(lo, len(pieces) + 1), key=lambda j: (abs(cumulative[j] - target), j)))
    bounds.append(len(pieces))
    return ["".join(pieces[bounds[k] : bounds[k + 1]]).strip() for k in range(n)]
