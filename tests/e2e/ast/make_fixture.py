"""Rebuild ``fixtures/speech_en.flac`` and its manifest: English sentences spoken by espeak-ng, with known silences.

Run by hand (needs ``espeak-ng`` from Debian); the tests only read the shipped files. Speech bounds in the manifest
are measured on the generated audio (first and last sample above -40 dBFS of each sentence).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from shared.ffmpeg import find_ffmpeg

RATE = 16_000
HERE = Path(__file__).resolve().parent / "fixtures"
SENTENCES = [
    "Welcome to the live stream, everyone. Please follow the channel.",
    "Today we have fresh apples and oranges for sale.",
    "Thank you for the gift, I really appreciate your support.",
]
LEAD_S, GAP_S, TAIL_S = 1.0, 1.5, 1.0


def speak(text: str, workdir: Path) -> np.ndarray:
    wav = workdir / "s.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "155", "-w", str(wav), text], check=True)
    pcm = subprocess.run(
        [find_ffmpeg(), "-v", "error", "-i", str(wav), "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def main() -> None:
    HERE.mkdir(exist_ok=True)
    pieces = [np.zeros(int(LEAD_S * RATE), np.float32)]
    manifest = []
    pos = len(pieces[0])
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(SENTENCES):
            audio = speak(text, Path(tmp))
            loud = np.flatnonzero(np.abs(audio) > 0.01)
            start, end = (pos + int(loud[0])) * 1000 // RATE, (pos + int(loud[-1])) * 1000 // RATE
            manifest.append({"text": text, "start_ms": start, "end_ms": end})
            pieces.append(audio)
            pos += len(audio)
            gap = np.zeros(int((GAP_S if i < len(SENTENCES) - 1 else TAIL_S) * RATE), np.float32)
            pieces.append(gap)
            pos += len(gap)
    audio = np.concatenate(pieces)
    pcm = (audio * 32767).astype("<i2").tobytes()
    out = HERE / "speech_en.flac"
    subprocess.run(
        [find_ffmpeg(), "-y", "-v", "error", "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "-", str(out)],
        input=pcm,
        check=True,
    )
    (HERE / "speech_en.json").write_text(
        json.dumps({"duration_ms": len(audio) * 1000 // RATE, "sentences": manifest}, indent=2) + "\n", encoding="utf-8"
    )
    print(out, len(audio) / RATE, "s")


if __name__ == "__main__":
    main()
