"""A song with lyrics for the music filter's tests (issue 16), made at test time from real Mandarin speech.

The speech (tests/fixtures/speech/zh_clean) is cut into syllables at the dips of its loudness, and each syllable is
sung: its consonant onset keeps its own speed, its vowel is held for a note of a melody (one or two beats at the
backing's tempo, with a singer's vibrato), and pauses between phrases become rests. The voice is resynthesised
source-filter style: each frame's spectral envelope (cepstrally smoothed, so the words stay: formants and
consonants) is put on a harmonic source at the note's pitch (a noise source for unvoiced frames). The result keeps
the speaker's words and timbre but has what singing has and speech has not: a steady pitch per note, long vowels,
and music under it (ffmpeg's chords, beat and melody from ``generated_music``).
"""

from __future__ import annotations

import numpy as np

from tests.unit.ast.ast_fixtures import RATE, generated_music, mix_under

__all__ = ["SONG_BPM", "melody_notes", "sing", "song_with_lyrics"]

SONG_BPM = 112
N_FFT = 512
HOP = 160
LIFTER = 26  # cepstral coefficients kept: 1.6 ms of quefrency, below any voice's pitch period
VIBRATO_HZ = 5.5
VIBRATO_SEMITONES = 0.25
# A pentatonic tune around A3 (semitones from A3, 220 Hz); one entry per syllable, cycling.
_TUNE = [0, 3, 5, 7, 7, 5, 3, 0, -2, 0, 3, 5, 10, 7, 5, 3, 5, 7, 3, 0]


def melody_notes(count: int, base_hz: float = 220.0) -> np.ndarray:
    return np.array([base_hz * 2 ** (_TUNE[i % len(_TUNE)] / 12) for i in range(count)])


def _frames(audio: np.ndarray) -> np.ndarray:
    padded = np.pad(audio, (N_FFT // 2, N_FFT // 2))
    count = 1 + (len(padded) - N_FFT) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
    frames: np.ndarray = padded[index] * np.hanning(N_FFT)[None, :]
    return frames


def _envelopes(frames: np.ndarray) -> np.ndarray:
    """Cepstrally smoothed magnitude spectrum per frame (the vocal tract and level, without the pitch)."""
    log_mag = np.log(np.abs(np.fft.rfft(frames, axis=1)) + 1e-6)
    cepstrum = np.fft.irfft(log_mag, axis=1)
    cepstrum[:, LIFTER:-LIFTER] = 0.0
    return np.exp(np.fft.rfft(cepstrum, axis=1).real)


def _voiced(frames: np.ndarray) -> np.ndarray:
    """Frames with a clear pitch period (normalised autocorrelation peak between 2.5 and 12.5 ms)."""
    spectrum = np.abs(np.fft.rfft(frames, n=2 * N_FFT, axis=1)) ** 2
    acf = np.fft.irfft(spectrum, axis=1)[:, :N_FFT]
    peak = acf[:, RATE // 400 : RATE // 80].max(axis=1)
    voiced: np.ndarray = (peak > 0.45 * np.maximum(acf[:, 0], 1e-12)) & (acf[:, 0] > 1e-6)
    return voiced


def _syllables(audio: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) frame indexes of the syllables: loud runs split at the dips of the smoothed loudness."""
    frames = _frames(audio)
    level = 10 * np.log10((frames**2).mean(axis=1) + 1e-10)
    smooth = np.convolve(level, np.ones(5) / 5, mode="same")
    loud = smooth > smooth.max() - 30
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(loud):
        if not loud[i]:
            i += 1
            continue
        j = i
        while j < len(loud) and loud[j]:
            j += 1
        # Within the run, cut at local minima at least 12 frames (120 ms) apart and 3 dB under both neighbours.
        start = i
        for k in range(i + 12, j - 12):
            window = smooth[k - 6 : k + 7]
            if smooth[k] == window.min() and window.max() - smooth[k] > 3 and k - start >= 12:
                out.append((start, k))
                start = k
        if j - start >= 8:
            out.append((start, j))
        i = j
    return out


def sing(speech: np.ndarray, bpm: int = SONG_BPM, seed: int = 7) -> np.ndarray:
    """``speech`` sung on ``melody_notes``: one syllable per note, one beat each (two at a phrase's end)."""
    rng = np.random.default_rng(seed)
    frames = _frames(speech)
    envelopes = _envelopes(frames)
    voiced = _voiced(frames)
    syllables = _syllables(speech)
    notes = melody_notes(len(syllables))
    beat_frames = round(60.0 / bpm * RATE / HOP)
    # Output frame -> (input frame, pitch in Hz or 0 for a rest / unvoiced source).
    source_frame: list[int] = []
    pitch: list[float] = []
    into_note: list[int] = []  # frames since the note began
    previous_end = 0
    for n, (start, end) in enumerate(syllables):
        gap = start - previous_end
        if gap > 25:  # a pause of more than 250 ms between phrases: a rest of whole beats
            rest = round(gap / beat_frames) * beat_frames
            source_frame += [previous_end] * rest
            pitch += [0.0] * rest
            into_note += [0] * rest
        phrase_end = n + 1 == len(syllables) or syllables[n + 1][0] - end > 25
        length = beat_frames * (2 if phrase_end else 1)
        length = max(length, end - start)
        onset = min(8, (end - start) // 3)  # the consonant and its transition at the spoken speed
        for t in range(length):
            if t < onset:
                source_frame.append(start + t)
            else:
                source_frame.append(start + onset + (t - onset) * (end - start - onset - 1) // max(1, length - onset))
            pitch.append(float(notes[n]))
            into_note.append(t)
        previous_end = end
    count = len(source_frame)
    # A harmonic source following the pitch, with vibrato after each note's first 150 ms.
    samples = count * HOP + N_FFT
    hz = np.repeat(np.asarray(pitch), HOP)
    hz = np.concatenate([hz, np.full(samples - len(hz), hz[-1])])
    held_s = np.repeat(np.asarray(into_note, dtype=np.float64) * HOP / RATE, HOP)
    held_s = np.concatenate([held_s, np.full(samples - len(held_s), held_s[-1])])
    depth = VIBRATO_SEMITONES * np.clip((held_s - 0.15) / 0.2, 0.0, 1.0)
    hz = hz * 2 ** (depth * np.sin(2 * np.pi * VIBRATO_HZ * np.arange(samples) / RATE) / 12)
    phase = 2 * np.pi * np.cumsum(hz) / RATE
    harmonics = np.zeros(samples)
    top = int((RATE / 2) / float(np.min(notes)) * 1.02)
    for k in range(1, top + 1):
        harmonics += np.where(hz * k < RATE / 2 - 200, np.cos(k * phase), 0.0)
    harmonics *= np.sqrt(2.0 / top)
    noise = rng.standard_normal(samples)
    out = np.zeros(samples)
    norm = np.zeros(samples)
    window = np.hanning(N_FFT)
    for j in range(count):
        i = source_frame[j]
        if pitch[j] == 0.0:
            continue
        excitation = harmonics if voiced[i] else noise
        segment = excitation[j * HOP : j * HOP + N_FFT] * window
        shaped = np.fft.irfft(np.fft.rfft(segment) * envelopes[i] / window.sum() * 2, n=N_FFT)
        out[j * HOP : j * HOP + N_FFT] += shaped * window
        norm[j * HOP : j * HOP + N_FFT] += window**2
    out = out / np.maximum(norm, 1e-3 * norm.max())
    out = out[N_FFT // 2 : N_FFT // 2 + count * HOP]
    sung: np.ndarray = (out / max(1e-9, float(np.abs(out).max())) * 0.5).astype(np.float32)
    return sung


def song_with_lyrics(speech: np.ndarray, backing_db: float = -6.0, bpm: int = SONG_BPM) -> np.ndarray:
    """The sung ``speech`` with ``generated_music`` under it at ``backing_db`` relative to the voice."""
    voice = sing(speech, bpm)
    music = generated_music(len(voice) / RATE + 1.0, bpm=bpm)
    return mix_under(voice, music, backing_db)
