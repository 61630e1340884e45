"""StreamCap benchmark: CPU and memory per concurrent recording of a 1080p 6 Mbps stream, and remux speed.

    .venv/bin/python -m bench.streamcap_bench                    # 1, 5 and 20 recordings, 15 s each
    .venv/bin/python -m bench.streamcap_bench --counts 1,5 --seconds 8

The source is the synthetic live server's ``bench1080`` profile: a pre-encoded clip looped with ``-c copy``, so the
server costs no encoding. Only the recorders' ffmpeg processes are measured (the server's are reported apart).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

from services.streamcap.recorder import Recorder, RecorderConfig
from services.streamcap.remux import Remuxer
from services.streamcap.sources import DirectSource
from services.streamcap.synthetic import SyntheticConfig, SyntheticLive
from shared.retry import constant


def _ffmpeg_pids(recorders: Sequence[Recorder]) -> list[int]:
    pids = []
    for rec in recorders:
        run = rec._run
        if run is not None and run.proc is not None:
            pids.append(run.proc.pid)
    return pids


def measure(url: str, count: int, seconds: float, work: Path, server_pid: int) -> dict[str, float]:
    config = RecorderConfig(segment_seconds=3600, remux=False, tick=0.5)
    recorders = [
        Recorder(
            f"bench{i}",
            DirectSource(url),
            work / f"n{count}" / f"r{i}",
            name=f"bench{i}",
            config=config,
            retry=constant(0.5),
        )
        for i in range(count)
    ]
    for rec in recorders:
        rec.start()
    print(f"  {count} recording(s): warming up...", flush=True)
    deadline = time.monotonic() + 30
    while len(_ffmpeg_pids(recorders)) < count or min(r.progress.bytes for r in recorders) == 0:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    time.sleep(2.0)
    procs = [psutil.Process(pid) for pid in _ffmpeg_pids(recorders)]
    server = [p for p in psutil.Process(server_pid).children(recursive=True) if p.pid not in {q.pid for q in procs}]
    me = psutil.Process()
    for p in [*procs, *server, me]:
        p.cpu_percent(None)
    bytes_before = sum(r.progress.bytes for r in recorders)
    for step in range(int(seconds)):
        time.sleep(1.0)
        print(f"  {count} recording(s): measuring {step + 1}/{int(seconds)} s", end="\r", flush=True)
    print()
    cpu = [p.cpu_percent(None) for p in procs]
    rss = [p.memory_info().rss for p in procs]
    server_cpu = sum(p.cpu_percent(None) for p in server if p.is_running())
    py_cpu = me.cpu_percent(None)
    written = sum(r.progress.bytes for r in recorders) - bytes_before
    speeds = [r.progress.speed for r in recorders]
    for rec in recorders:
        rec.stop()
    for rec in recorders:
        rec.join(30)
    return {
        "count": count,
        "ffmpeg_cpu_each": sum(cpu) / max(1, len(cpu)),
        "ffmpeg_rss_mb_each": sum(rss) / max(1, len(rss)) / 2**20,
        "python_cpu_total": py_cpu,
        "server_cpu_total": server_cpu,
        "mbit_per_s_each": written * 8 / seconds / max(1, count) / 1e6,
        "speed_min": min(speeds) if speeds else 0.0,
    }


def remux_speed(url: str, seconds: float, work: Path) -> dict[str, float]:
    folder = work / "remux"
    rec = Recorder(
        "remux", DirectSource(url), folder, name="remux", config=RecorderConfig(segment_seconds=3600, remux=False)
    )
    rec.start()
    print(f"  recording {seconds:g} s of 1080p for the remux test...", flush=True)
    time.sleep(seconds + 2)
    rec.stop()
    rec.join(30)
    ts = max(folder.glob("*.ts"), key=lambda p: p.stat().st_size)
    size = ts.stat().st_size
    started = time.monotonic()
    result = Remuxer(delete_ts=False).remux_file(ts)
    elapsed = time.monotonic() - started
    if result.error:
        raise SystemExit(f"remux failed: {result.error}")
    return {"mb": size / 1e6, "media_s": result.duration, "wall_s": elapsed, "mb_per_s": size / 1e6 / elapsed}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", default="1,5,20", help="comma-separated concurrent recording counts")
    parser.add_argument("--seconds", type=float, default=15.0, help="measurement window per count")
    parser.add_argument("--remux-seconds", type=float, default=20.0, help="media length for the remux test (0: skip)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    counts = [int(c) for c in args.counts.split(",") if c.strip()]
    with tempfile.TemporaryDirectory(prefix="streamcap-bench-") as tmp:
        work = Path(tmp)
        print("preparing the 1080p 6 Mbps clip (once)...", flush=True)
        live = SyntheticLive(SyntheticConfig(profile="bench1080", hls=False, cache_dir=work / "cache"))
        urls = live.start()
        try:
            rows = [measure(urls.flv, n, args.seconds, work, psutil.Process().pid) for n in counts]
            remux = remux_speed(urls.flv, args.remux_seconds, work) if args.remux_seconds > 0 else None
        finally:
            live.stop()
    print(f"\nStreamCap bench: 1080p25 H.264 6 Mbps + AAC over HTTP-FLV, {psutil.cpu_count()} CPU(s); CPU% of one core")
    print(f"{'recordings':>10} {'ffmpeg CPU% each':>17} {'ffmpeg RSS MB each':>19} {'python CPU% all':>16} "
          f"{'server CPU% all':>16} {'Mbit/s each':>12} {'min speed':>10}")  # fmt: skip
    for r in rows:
        print(f"{r['count']:>10.0f} {r['ffmpeg_cpu_each']:>17.1f} {r['ffmpeg_rss_mb_each']:>19.1f} "
              f"{r['python_cpu_total']:>16.1f} {r['server_cpu_total']:>16.1f} {r['mbit_per_s_each']:>12.2f} "
              f"{r['speed_min']:>9.2f}x")  # fmt: skip
    if remux:
        realtime = remux["media_s"] / remux["wall_s"]
        print(
            f"\nremux TS→MP4 (+faststart, verified): {remux['mb']:.1f} MB / {remux['media_s']:.1f} s of media in "
            f"{remux['wall_s']:.2f} s = {remux['mb_per_s']:.1f} MB/s, {realtime:.0f}x realtime"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
