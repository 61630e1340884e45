"""The built backend in figures: build time, artifact sizes (with and without the speech model, and what the
largest parts weigh), and cold start to every service running, for the one-folder and one-file builds against
``timao up`` from source.

    .venv/bin/python bench/package_bench.py                 # measure dist/ as built (make package)
    .venv/bin/python bench/package_bench.py --build         # build first: one-folder + one-file + no-model variants
    .venv/bin/python bench/package_bench.py --runs 5 --json
    .venv/bin/python bench/package_bench.py --source-only   # cold start of `timao up` from source, no build needed

Cold start is also given per service (when each became ``running``) and as the CPU seconds the launcher and its
children had used by then, in all and by process (the launcher itself, with its migration thread, then each
service with what it started): on two shared cores the wall time follows the CPU work, and the CPU figure is the one
that stays comparable when the machine is busy.

Each start gets a fresh temporary ``$TIMAO_HOME`` (so migrations and the token are part of it), free ports and,
for the one-file build, a private temporary folder to unpack into. The clock runs from spawning the process to the
launcher reporting every service ``running``; then SIGTERM, and the time until the process is gone is reported too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import build_backend  # noqa: E402
from launcher.control import LauncherNotRunning, request  # noqa: E402
from launcher.redis_embedded import free_port  # noqa: E402

START_TIMEOUT_S = 300.0
VARIANTS = ("onedir", "onefile", "onedir-nomodel")


def _env(home: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMAO_")}
    env.update(
        TIMAO_HOME=str(home),
        TIMAO_GATEWAY_PORT=str(free_port()),
        TIMAO_STREAMCAP_PORT=str(free_port()),
        TMPDIR=str(tmp),
        TEMP=str(tmp),
        TMP=str(tmp),
    )
    return env


def _cpu_seconds(pid: int, *, descendants: bool = True) -> float:
    """CPU used so far by a process (and its descendants)."""
    total = 0.0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        for proc in [root, *(root.children(recursive=True) if descendants else [])]:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
    return total


def start_once(argv: list[str], *, cwd: Path) -> dict[str, Any]:
    """Spawn, wait until every service runs, SIGTERM, wait until gone; answers the durations in seconds, when each
    service became ``running`` and the CPU seconds used until all were."""
    with tempfile.TemporaryDirectory(prefix="timao-bench-") as scratch:
        home, tmp = Path(scratch) / "home", Path(scratch) / "tmp"
        home.mkdir()
        tmp.mkdir()
        env = _env(home, tmp)
        log = open(home / "out.log", "wb")  # noqa: SIM115
        started = time.monotonic()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            ready = None
            token = None
            running_at: dict[str, float] = {}
            cpu = 0.0
            cpu_by_process: dict[str, float] = {}
            while time.monotonic() - started < START_TIMEOUT_S:
                if proc.poll() is not None:
                    raise RuntimeError(f"exited {proc.returncode}: {(home / 'out.log').read_text()[-2000:]}")
                try:
                    token = token or (home / "token").read_text().strip()
                    status = request(home / "run", token, "status", timeout=2)
                except (LauncherNotRunning, OSError, ValueError):
                    time.sleep(0.05)
                    continue
                for name, info in status["services"].items():
                    if info["status"] == "running":
                        running_at.setdefault(name, round(time.monotonic() - started, 2))
                if all(s["status"] == "running" for s in status["services"].values()):
                    ready = time.monotonic() - started
                    cpu = _cpu_seconds(proc.pid)
                    # Where that CPU went: the launcher itself (with its migration thread), then each service.
                    cpu_by_process = {"launcher": _cpu_seconds(proc.pid, descendants=False)}
                    for name, info in status["services"].items():
                        if info.get("pid"):
                            cpu_by_process[name] = _cpu_seconds(int(info["pid"]))
                    break
                time.sleep(0.05)
            if ready is None:
                raise RuntimeError(f"not running within {START_TIMEOUT_S} s")
            stop_at = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
            stopped = time.monotonic() - stop_at
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
        leftover = [p.name for p in tmp.glob("_MEI*")]
        if leftover:
            raise RuntimeError(f"unpacked folders left: {leftover}")
    return {
        "ready_s": ready,
        "stop_s": stopped,
        "running_at": running_at,
        "cpu_s": cpu,
        "cpu_by_process": {k: round(v, 2) for k, v in cpu_by_process.items()},
    }


def measure_starts(name: str, argv: list[str], runs: int, cwd: Path) -> dict[str, Any]:
    samples = [start_once(argv, cwd=cwd) for _ in range(runs)]
    ready = [s["ready_s"] for s in samples]
    services = list(samples[0]["running_at"])
    return {
        "name": name,
        "runs": runs,
        "first_s": round(ready[0], 2),
        "median_s": round(statistics.median(ready), 2),
        "min_s": round(min(ready), 2),
        "stop_median_s": round(statistics.median(s["stop_s"] for s in samples), 2),
        "cpu_median_s": round(statistics.median(s["cpu_s"] for s in samples), 2),
        "running_at_median_s": {
            n: round(statistics.median(s["running_at"].get(n, s["ready_s"]) for s in samples), 2) for n in services
        },
        "cpu_by_process_median_s": {
            n: round(statistics.median(s["cpu_by_process"].get(n, 0.0) for s in samples), 2)
            for n in samples[0]["cpu_by_process"]
        },
    }


def largest_parts(artifact: Path, top: int = 12) -> dict[str, float]:
    """MB per top-level entry of a one-folder build's ``_internal`` (what to look at when the size grows)."""
    internal = artifact / "_internal"
    if not internal.is_dir():
        return {}
    # Not the symlinks PyInstaller puts beside _internal's top for libraries that live in a package's .libs folder.
    sizes = {p.name: build_backend.tree_size(p) / 1e6 for p in internal.iterdir() if not p.is_symlink()}
    return {k: round(v, 1) for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])[:top]}


def source_start(runs: int) -> dict[str, Any]:
    python = shutil.which("python", path=str(Path(sys.executable).parent)) or sys.executable
    return measure_starts("source: timao up", [python, "-m", "launcher", "up"], runs, ROOT)


def print_starts(rows: list[dict[str, Any]], runs: int) -> None:
    print(f"cold start to all services running ({runs} runs, fresh $TIMAO_HOME each):")
    print(f"  {'':<20}{'first':>8}{'median':>8}{'min':>8}{'stop':>8}{'cpu':>8}  running at (median)")
    for row in rows:
        at = ", ".join(f"{n} {t}" for n, t in row["running_at_median_s"].items())
        print(
            f"  {row['name']:<20}{row['first_s']:>8}{row['median_s']:>8}{row['min_s']:>8}"
            f"{row['stop_median_s']:>8}{row['cpu_median_s']:>8}  {at}"
        )
        cpu = ", ".join(f"{n} {t}" for n, t in row["cpu_by_process_median_s"].items())
        print(f"  {'':<20}CPU seconds by process when all ran (median): {cpu}")


def _load() -> float:
    """The 1-minute load average: on two shared cores the start times follow it, so every figure comes with it."""
    return round(os.getloadavg()[0], 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="store_true", help="build dist/ first (all variants), timing it")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--source-only", action="store_true", help="only the cold start of `timao up` from source")
    args = parser.parse_args()
    load_at_start = _load()
    if args.source_only:
        row = source_start(args.runs)
        if args.json:
            print(json.dumps(row | {"load": [load_at_start, _load()]}, indent=2))
        else:
            print_starts([row], args.runs)
            print(f"load average (1 min) at start / end: {load_at_start} / {_load()}")
        return 0
    dist: Path = args.dist
    if args.build:
        extras = [build_backend.Variant.parse(v) for v in VARIANTS[1:]]
        build_backend.build([build_backend.Variant.parse(VARIANTS[0]), *extras], dist, ROOT / "build" / "pyinstaller")
    report_path = dist / f"{build_backend.NAME}.build.json"
    if not report_path.is_file():
        print(f"no build in {dist}: run `make package` or pass --build", file=sys.stderr)
        return 2
    report = json.loads(report_path.read_text(encoding="utf-8"))
    sizes = {label: info["bytes"] for label, info in report["artifacts"].items()}
    model_bytes = sum(
        p.stat().st_size
        for m in build_backend.MODEL_MODULES
        if (d := build_backend._module_dir(m)) is not None
        for p in (d / "data").glob("*")
    )
    results: dict[str, Any] = {
        "build_s": report["seconds"],
        "build_variants": list(report["artifacts"]),
        "sizes_mb": {k: round(v / 1e6, 1) for k, v in sizes.items()},
        "model_mb": round(model_bytes / 1e6, 1),
        "largest_mb": {
            label: largest_parts(Path(info["path"]))
            for label, info in report["artifacts"].items()
            if not label.startswith("onefile")
        },
        "starts": [source_start(args.runs)],
    }
    candidates = []
    for label, info in report["artifacts"].items():
        if label in ("onedir", "onefile"):
            exe = Path(info["executable"])
            candidates.append((f"built: {label}", [str(exe), "up"], Path(tempfile.gettempdir())))
    for name, argv, cwd in candidates:
        results["starts"].append(measure_starts(name, argv, args.runs, cwd))
    results["load"] = [load_at_start, _load()]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"build time (one analysis, {len(sizes)} artifacts: {', '.join(sizes)}): {results['build_s']:.0f} s")
    for label, mb in results["sizes_mb"].items():
        print(f"  size {label:<18} {mb:8.1f} MB")
    print(f"  speech model as published (2 parts + tokenizer, float16) {results['model_mb']:.1f} MB")
    for label, parts in results["largest_mb"].items():
        print(f"  largest parts of {label}: " + ", ".join(f"{k} {v}" for k, v in parts.items()))
    print_starts(results["starts"], args.runs)
    print(f"load average (1 min) at start / end: {results['load'][0]} / {results['load'][1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
