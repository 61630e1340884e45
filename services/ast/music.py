"""Is this utterance someone talking, or a song (sung lyrics, instrumentals) that the VAD let through? numpy only.

Silero and Whisper both take clearly sung lyrics for speech, so a song playing in the room would be transcribed as if
the streamer said it (issue 16). A singer holds each syllable on a note; a talker's pitch glides through every
syllable. The main feature is therefore the steadiness of the partials (the harmonics in the spectrum, 150-4000 Hz,
10 ms apart): the share of their energy on partials held for at least ``MIN_NOTE_S`` without drifting more than
``DRIFT_SEMITONES`` (a sung note with vibrato stays within it, speech does not). Partials rather than one pitch track:
under a song's backing a single-pitch tracker follows whichever instrument wins the frame, while the voice's own
harmonics are still there to follow. Three classic speech/music features back it up where it is not clear:
- syllabic modulation: the share of the loudness envelope's fluctuation at 2-8 Hz, the rate of speech's syllables
  (singing is legato: its loudness moves with the notes);
- low-energy frames: the share of 10 ms frames under half the mean loudness (the short pauses of speech);
- beat: the periodicity of the spectral flux at 60-180 beats per minute.

``judge`` calls an utterance singing when most of its partials' energy is held on notes (``SINGING_SHARE``), or
when a good part of it is (``LEANING_SHARE``) and one of the others says music, and, for an utterance longer than
``WINDOW_S``, when no window of it (``WINDOW_S`` long, every ``WINDOW_HOP_S``) falls under ``LEANING_SHARE``: an
utterance that joins a lyric line to the streamer's sentence (a song only a few dB under the voice, the VAD
bridging the pause between them) is the streamer's, and kept. Measured on the test audio
(docs/speech.md, Music): real Mandarin 0.00-0.06 under any music, espeak's flat English up to 0.21, speech over a
song with lyrics at -6 dB up to 0.25; a sung voice 0.45-1.00, with its backing 0.55-1.00. Losing the streamer's words
costs more than letting a lyric through, so the thresholds sit well above everything spoken.

Cost: one 1024-point FFT per 10 ms of the utterance and a little bookkeeping, about 10 ms per second of audio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.ast.engines.base import SAMPLE_RATE, Audio

__all__ = ["MusicFeatures", "Verdict", "features", "judge"]

FFT = 1024  # 64 ms: resolves the harmonics of a low voice
HOP = 160  # 10 ms
LO_HZ = 150.0
HI_HZ = 4000.0
PEAK_FLOOR_DB = 35.0  # partials within this much of the frame's strongest count
STEP_SEMITONES = 0.3  # how far a partial may move from one frame to the next and stay the same partial
DRIFT_SEMITONES = 0.6  # how far it may wander from where it began and still be one held note (vibrato fits)
MIN_NOTE_S = 0.2
SINGING_SHARE = 0.5
LEANING_SHARE = 0.35
# Supporting evidence, each alone enough for an utterance that leans to singing.
LEGATO_MODULATION = 0.4  # 2-8 Hz share under this: loudness does not move with syllables
FULL_LOW_ENERGY = 0.2  # fewer low-energy frames than this: no pauses between words
BEAT = 0.5  # a clear beat
# Windows of a long utterance, each of which must lean to singing too.
WINDOW_S = 2.0
WINDOW_HOP_S = 1.0


@dataclass(frozen=True, slots=True)
class MusicFeatures:
    held_share: float  # share of the partials' energy on notes held >= MIN_NOTE_S
    longest_note_s: float
    modulation_share: float  # 2-8 Hz share of the loudness envelope's fluctuation
    low_energy_share: float  # frames under half the mean loudness
    beat_strength: float  # peak normalised autocorrelation of the spectral flux at 60-180 bpm

    def describe(self) -> str:
        return (
            f"held {self.held_share:.2f}, longest note {self.longest_note_s:.2f} s, "
            f"2-8 Hz {self.modulation_share:.2f}, low-energy {self.low_energy_share:.2f}, beat {self.beat_strength:.2f}"
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    singing: bool
    reason: str
    features: MusicFeatures


SILENT = MusicFeatures(0.0, 0.0, 0.0, 0.0, 0.0)


def _spectrogram(audio: np.ndarray) -> np.ndarray:
    count = 1 + (len(audio) - FFT) // HOP
    index = np.arange(FFT)[None, :] + HOP * np.arange(count)[:, None]
    return np.abs(np.fft.rfft(audio[index] * np.hanning(FFT)[None, :], axis=1))


def _held_partials(spectrum: np.ndarray) -> tuple[float, float]:
    """(share of the partials' energy on partials held >= MIN_NOTE_S at a steady frequency, the longest in s)."""
    lo = int(LO_HZ * FFT / SAMPLE_RATE)
    hi = int(HI_HZ * FFT / SAMPLE_RATE)
    band = spectrum[:, lo - 1 : hi + 1]
    db = 20 * np.log10(band + 1e-9)
    left, mid, right = db[:, :-2], db[:, 1:-1], db[:, 2:]
    is_peak = (mid > left) & (mid >= right) & (mid > db.max(axis=1, keepdims=True) - PEAK_FLOOR_DB) & (mid > -60)
    # Each peak's frequency (parabolic interpolation between bins), in semitones.
    curvature = left - 2 * mid + right
    offset = np.clip(0.5 * (left - right) / np.where(curvature == 0, -1e-9, curvature), -0.5, 0.5)
    tones = 12 * np.log2((np.arange(lo, hi)[None, :] + offset) * SAMPLE_RATE / FFT)
    energy = band[:, 1:-1] ** 2
    min_len = int(MIN_NOTE_S * SAMPLE_RATE / HOP)
    total = held = 0.0
    longest = 0
    # The partials open at the previous frame: their tone, the tone they began at, their length and energy.
    last = first = gathered = np.zeros(0)
    length = np.zeros(0, dtype=np.int64)
    for t in range(len(spectrum)):
        cols = np.flatnonzero(is_peak[t])
        tone, power = tones[t, cols], energy[t, cols]
        total += float(power.sum())
        new_first, new_length, new_gathered = tone.copy(), np.ones(len(cols), dtype=np.int64), power.copy()
        continued = np.zeros(len(last), dtype=bool)
        if len(last) and len(cols):
            # A peak continues the nearest partial of the frame before if it moved little and drifted little;
            # one peak per partial, the nearest.
            match = np.abs(tone[:, None] - last[None, :]).argmin(axis=1)
            step = np.abs(tone - last[match])
            ok = np.flatnonzero((step <= STEP_SEMITONES) & (np.abs(tone - first[match]) <= DRIFT_SEMITONES))
            ok = ok[np.argsort(step[ok], kind="stable")]
            ok = ok[np.unique(match[ok], return_index=True)[1]]
            continued[match[ok]] = True
            new_first[ok] = first[match[ok]]
            new_length[ok] = length[match[ok]] + 1
            new_gathered[ok] = gathered[match[ok]] + power[ok]
        ended = ~continued
        held += float(gathered[ended & (length >= min_len)].sum())
        longest = max(longest, int(length[ended].max(initial=0)))
        last, first, length, gathered = tone, new_first, new_length, new_gathered
    held += float(gathered[length >= min_len].sum())
    longest = max(longest, int(length.max(initial=0)))
    return (held / total if total > 0 else 0.0), longest * HOP / SAMPLE_RATE


def _modulation_share(level_db: np.ndarray) -> float:
    """Share of the loudness envelope's fluctuation (100 frames a second) between 2 and 8 Hz."""
    if len(level_db) < 64:  # under 0.64 s there is no 2 Hz to measure
        return 0.0
    envelope = level_db - level_db.mean()
    spectrum = np.abs(np.fft.rfft(envelope * np.hanning(len(envelope)))) ** 2
    hz = np.fft.rfftfreq(len(envelope), d=HOP / SAMPLE_RATE)
    total = spectrum[(hz > 0.5) & (hz < 20)].sum()
    return float(spectrum[(hz >= 2) & (hz <= 8)].sum() / total) if total > 0 else 0.0


def _beat_strength(spectrum: np.ndarray) -> float:
    """Peak of the normalised autocorrelation of the spectral flux over lags of 60-180 beats per minute."""
    lo, hi = int(60 / 180 * SAMPLE_RATE / HOP), int(60 / 60 * SAMPLE_RATE / HOP)
    if len(spectrum) < 2 * hi:  # two beats at the slowest tempo
        return 0.0
    flux = np.maximum(np.diff(np.log1p(100 * spectrum), axis=0), 0).sum(axis=1)
    flux = flux - flux.mean()
    acf = np.correlate(flux, flux, mode="full")[len(flux) - 1 :]
    if acf[0] <= 0:
        return 0.0
    acf = acf / acf[0] * len(flux) / (len(flux) - np.arange(len(flux)))  # long lags have fewer terms
    return float(acf[lo:hi].max())


def features(audio: Audio) -> MusicFeatures:
    audio = np.asarray(audio, dtype=np.float32)
    if len(audio) < FFT + HOP:
        return SILENT
    spectrum = _spectrogram(audio)
    held_share, longest = _held_partials(spectrum)
    # Loudness per 10 ms from the spectrum (Parseval), so the frames are the same as the partials'.
    power = (spectrum**2).sum(axis=1)
    rms = np.sqrt(power / power.max()) if power.max() > 0 else np.zeros(len(power))
    return MusicFeatures(
        held_share=held_share,
        longest_note_s=longest,
        modulation_share=_modulation_share(20 * np.log10(rms + 1e-4)),
        low_energy_share=float((rms < 0.5 * rms.mean()).mean()) if rms.mean() > 0 else 0.0,
        beat_strength=_beat_strength(spectrum),
    )


def judge(audio: Audio) -> Verdict:
    """Singing (or an instrument) rather than speech? Conservative: doubt is speech."""
    verdict = _judge_whole(audio)
    width, hop = int(WINDOW_S * SAMPLE_RATE), int(WINDOW_HOP_S * SAMPLE_RATE)
    if not verdict.singing or len(audio) < width + hop:
        return verdict
    starts = [*range(0, len(audio) - width + 1, hop), len(audio) - width]
    for start in starts:
        window = features(audio[start : start + width])
        if window.held_share < LEANING_SHARE:
            where = f"{start / SAMPLE_RATE:.1f}-{(start + width) / SAMPLE_RATE:.1f} s"
            return Verdict(False, f"speech at {where} (held {window.held_share:.2f})", verdict.features)
    return verdict


def _judge_whole(audio: Audio) -> Verdict:
    f = features(audio)
    if f.held_share >= SINGING_SHARE:
        return Verdict(True, "held notes", f)
    if f.held_share >= LEANING_SHARE:
        support = [
            name
            for name, yes in (
                ("legato", 0 < f.modulation_share < LEGATO_MODULATION),
                ("no pauses", f.low_energy_share < FULL_LOW_ENERGY),
                ("beat", f.beat_strength >= BEAT),
            )
            if yes
        ]
        if support:
            return Verdict(True, "held notes and " + ", ".join(support), f)
    return Verdict(False, "speech", f)
