"""Transcription benchmark: Whisper base int8 through the real pipeline (ffmpeg → Silero VAD → engine) on this machine.

    .venv/bin/python bench/ast_bench.py [--repeat 4] [--max-jobs 4] [--threads 2]

Prints, each scenario run in a fresh process so memory figures are its own:
- rtf:      one file job as fast as possible; engine+VAD seconds per second of audio (and per second of speech);
- latency:  one live job (a file read at real speed, ffmpeg -re); end of speech → transcript event, p50/p95;
            peak resident memory of the process for that one job;
- sustain:  N live jobs at once sharing one engine; a count is sustained while every job keeps p95 ≤ 1.5 s and
            its queue does not grow.
The audio is the English test fixture (espeak-ng, ~63 % speech) repeated ``--repeat`` times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.ast.jobs import JobManager  # noqa: E402
from shared.ffmpeg import find_ffmpeg  # noqa: E402

FIXTURE = ROOT / "tests" / "e2e" / "ast" / "fixtures" / "speech_en.flac"
P95_AIM_S = 1.5


def build_audio(repeat: int, out: Path) -> float:
    pcm = subprocess.run(
        [find_ffmpeg(), "-v", "error", "-i", str(FIXTURE), "-ac", "1", "-ar", "16000", "-f", "s16le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    audio = np.frombuffer(pcm, dtype="<i2")
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(np.tile(audio, repeat).tobytes())
    return len(audio) * repeat / 16000


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run_scenario(args: argparse.Namespace) -> dict[str, Any]:
    audio = Path(args.audio)
    received: dict[str, list[tuple[float, dict[str, Any]]]] = {}

    async def emit(t: dict[str, Any]) -> None:
        received.setdefault(t["session_id"], []).append((time.monotonic(), t))

    manager = JobManager(models_dir=Path(args.models_dir), emit=emit, max_jobs=max(1, args.jobs))
    model = {"language": "en", "threads": args.threads}
    # Load the engine once before timing (a job start pays it otherwise).
    t_load = time.monotonic()
    await manager.start("warmup", {"source": "file", "path": str(audio)}, model)
    await manager.stop("warmup")
    load_s = time.monotonic() - t_load
    realtime = args.scenario != "rtf"
    starts: dict[str, float] = {}
    for i in range(args.jobs):
        sid = f"job{i}"
        starts[sid] = time.monotonic()
        await manager.start(sid, {"source": "file", "path": str(audio), "realtime": realtime}, model)
    max_depth = 0
    while any(manager.is_running(f"job{i}") for i in range(args.jobs)):
        max_depth = max(max_depth, max((j["queue_depth"] for j in manager.status()["jobs"]), default=0))
        await asyncio.sleep(0.2)
    jobs = []
    for i in range(args.jobs):
        sid = f"job{i}"
        status = manager.job_status(sid)
        # Outside view: when the event arrived vs when its speech ended in the real-time stream.
        outside = [t_rx - (starts[sid] + t["end_ms"] / 1000) for t_rx, t in received.get(sid, [])]
        jobs.append(
            {
                **{k: status[k] for k in ("rtf", "speech_rtf", "latency_p50_s", "latency_p95_s", "transcripts")},
                "outside_p50_s": percentile(outside, 0.5),
                "outside_p95_s": percentile(outside, 0.95),
                "wall_s": round(time.monotonic() - starts[sid], 1),
            }
        )
    await manager.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "scenario": args.scenario,
        "jobs": jobs,
        "peak_rss_mb": round(peak_mb),
        "engine_load_s": round(load_s, 2),
        "max_queue_depth": max_depth,
    }


def child(scenario: str, jobs: int, common: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--scenario", scenario, "--jobs", str(jobs), *common]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def fmt(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:.3f}{unit}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=4, help="fixture repetitions (16.5 s each)")
    parser.add_argument("--max-jobs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scenario", choices=["rtf", "live"], default=None)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--audio", default="")
    parser.add_argument("--models-dir", default="")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.scenario:
        print(json.dumps(asyncio.run(run_scenario(args))))
        return
    with tempfile.TemporaryDirectory(prefix="ast-bench-") as tmp:
        audio = Path(tmp) / "speech.wav"
        seconds = build_audio(args.repeat, audio)
        common = ["--audio", str(audio), "--models-dir", str(Path(tmp) / "models"), "--threads", str(args.threads)]
        print(f"audio: {seconds:.1f} s (fixture x{args.repeat}), whisper base int8, {args.threads} threads")
        rtf = child("rtf", 1, common)
        job = rtf["jobs"][0]
        print(
            f"rtf:     stream {fmt(job['rtf'])}  speech {fmt(job['speech_rtf'])}  "
            f"({seconds:.0f} s of audio in {job['wall_s']} s; engine load {rtf['engine_load_s']} s)"
        )
        live = child("live", 1, common)
        job = live["jobs"][0]
        print(
            f"latency: p50 {fmt(job['latency_p50_s'], ' s')}  p95 {fmt(job['latency_p95_s'], ' s')}  "
            f"(outside view p50 {fmt(job['outside_p50_s'], ' s')} p95 {fmt(job['outside_p95_s'], ' s')}; "
            f"{job['transcripts']} transcripts)"
        )
        print(f"memory:  peak RSS one live job {live['peak_rss_mb']} MB")
        sustained = 1 if (job["latency_p95_s"] or 0) <= P95_AIM_S else 0
        for n in range(2, args.max_jobs + 1):
            res = child("live", n, common)
            p95 = max((j["latency_p95_s"] or 0.0) for j in res["jobs"])
            ok = p95 <= P95_AIM_S
            print(
                f"sustain: {n} live jobs: worst p95 {p95:.3f} s, max queue depth {res['max_queue_depth']}, "
                f"peak RSS {res['peak_rss_mb']} MB -> {'ok' if ok else 'over the aim'}"
            )
            if not ok:
                break
            sustained = n
        print(f"sustain: {sustained} live job(s) within p95 <= {P95_AIM_S} s on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
