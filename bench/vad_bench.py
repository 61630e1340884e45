"""Silero VAD cost per 32 ms window: the numpy model (services/ast/silero_numpy.py) against ONNX Runtime.

    .venv/bin/python bench/vad_bench.py [--seconds 3] [--batches 1,2,4,16,128]
    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/vad_bench.py   # numpy's BLAS on one thread, as ORT is here

Both score the same windows of the real Mandarin clip (tests/fixtures/speech/zh_clean) in batches of each size,
carrying the LSTM state from batch to batch as the Segmenter does. A job feeds the Segmenter 0.5 s reads (15-16
windows a call, services/ast/pipeline.py); 1-4 windows a call is a feed read in small pieces, 128+ a file scored in
big blocks. ONNX Runtime runs with one thread, as vad.py ran it. Also prints the time to load each model and the
largest score difference seen. The load average is printed: on a shared machine the figures are loaded figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.ast.silero_numpy import SileroNumpy  # noqa: E402
from tests.unit.ast.ast_fixtures import SPEECH_DIR, decode_pcm  # noqa: E402

WINDOW = 512
CONTEXT = 64


def model_path() -> Path:
    from faster_whisper.utils import get_assets_path

    return Path(get_assets_path()) / "silero_vad_v6.onnx"


def windows_of(audio: np.ndarray) -> np.ndarray:
    n = len(audio) // WINDOW
    rows = audio[: n * WINDOW].reshape(n, WINDOW)
    contexts = np.zeros((n, CONTEXT), np.float32)
    contexts[1:] = rows[:-1, -CONTEXT:]
    return np.ascontiguousarray(np.concatenate([contexts, rows], axis=1))


Scorer = Callable[[np.ndarray, np.ndarray, np.ndarray], Any]  # (windows, h, c) -> (probs, h, c)


def per_window_us(run: Scorer, windows: np.ndarray, batch: int, seconds: float) -> tuple[float, np.ndarray]:
    """Microseconds per window, scoring ``windows`` in batches of ``batch`` for at least ``seconds``."""
    done = 0
    probs: list[np.ndarray] = []
    t0 = time.perf_counter()
    while True:
        h = np.zeros((1, 1, 128), np.float32)
        c = np.zeros((1, 1, 128), np.float32)
        for i in range(0, len(windows) - batch + 1, batch):
            p, h, c = run(windows[i : i + batch], h, c)
            if done < len(windows):
                probs.append(np.asarray(p).reshape(-1))
            done += batch
        if time.perf_counter() - t0 >= seconds:
            break
    return (time.perf_counter() - t0) / done * 1e6, np.concatenate(probs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum time per figure")
    parser.add_argument("--batches", default="1,2,4,16,128")
    args = parser.parse_args()
    import onnxruntime

    path = model_path()
    t0 = time.perf_counter()
    model = SileroNumpy(path)
    load_numpy = time.perf_counter() - t0
    opts = onnxruntime.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    t0 = time.perf_counter()
    session = onnxruntime.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    load_ort = time.perf_counter() - t0

    def ort(windows: np.ndarray, h: np.ndarray, c: np.ndarray) -> Any:
        return session.run(None, {"input": windows, "h": h, "c": c})

    windows = windows_of(decode_pcm(SPEECH_DIR / "zh_clean.flac"))
    print(f"load average {os.getloadavg()[0]:.2f}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}")
    print(f"load: numpy {load_numpy * 1000:.1f} ms, onnxruntime {load_ort * 1000:.1f} ms; {len(windows)} windows")
    print(f"{'batch':>6} {'ort us/window':>14} {'numpy us/window':>16} {'numpy/ort':>10} {'max |dp|':>10}")
    for batch in (int(b) for b in args.batches.split(",")):
        ort_us, ort_probs = per_window_us(ort, windows, batch, args.seconds)
        np_us, np_probs = per_window_us(model.run, windows, batch, args.seconds)
        diff = float(np.max(np.abs(ort_probs - np_probs)))
        print(f"{batch:>6} {ort_us:>14.1f} {np_us:>16.1f} {np_us / ort_us:>10.2f} {diff:>10.1e}")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
