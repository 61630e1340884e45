"""The built backend in figures: build time, artifact sizes (with and without the speech model), and cold start to
every service running, for the one-folder and one-file builds against ``timao up`` from source.

    .venv/bin/python bench/package_bench.py                 # measure dist/ as built (make package)
    .venv/bin/python bench/package_bench.py --build         # build first: one-folder + one-file + no-model variants
    .venv/bin/python bench/package_bench.py --runs 5 --json

Each start gets a fresh temporary ``$TIMAO_HOME`` (so migrations and the token are part of it), free ports and,
for the one-file build, a private temporary folder to unpack into. The clock runs from spawning the process to the
launcher reporting every service ``running``; then SIGTERM, and the time until the process is gone is reported too.
"""

from __future__ import annotations

import argparse
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


def start_once(argv: list[str], *, cwd: Path) -> dict[str, float]:
    """Spawn, wait until every service runs, SIGTERM, wait until gone; answers the two durations in seconds."""
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
            while time.monotonic() - started < START_TIMEOUT_S:
                if proc.poll() is not None:
                    raise RuntimeError(f"exited {proc.returncode}: {(home / 'out.log').read_text()[-2000:]}")
                try:
                    token = token or (home / "token").read_text().strip()
                    status = request(home / "run", token, "status", timeout=2)
                except (LauncherNotRunning, OSError, ValueError):
                    time.sleep(0.05)
                    continue
                if all(s["status"] == "running" for s in status["services"].values()):
                    ready = time.monotonic() - started
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
    return {"ready_s": ready, "stop_s": stopped}


def measure_starts(name: str, argv: list[str], runs: int, cwd: Path) -> dict[str, Any]:
    samples = [start_once(argv, cwd=cwd) for _ in range(runs)]
    ready = [s["ready_s"] for s in samples]
    return {
        "name": name,
        "runs": runs,
        "first_s": round(ready[0], 2),
        "median_s": round(statistics.median(ready), 2),
        "min_s": round(min(ready), 2),
        "stop_median_s": round(statistics.median(s["stop_s"] for s in samples), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="store_true", help="build dist/ first (all variants), timing it")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
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
        "starts": [],
    }
    python = shutil.which("python", path=str(Path(sys.executable).parent)) or sys.executable
    candidates = [("source: timao up", [python, "-m", "launcher", "up"], ROOT)]
    for label, info in report["artifacts"].items():
        if label in ("onedir", "onefile"):
            exe = Path(info["executable"])
            candidates.append((f"built: {label}", [str(exe), "up"], Path(tempfile.gettempdir())))
    for name, argv, cwd in candidates:
        results["starts"].append(measure_starts(name, argv, args.runs, cwd))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"build time (one analysis, {len(sizes)} artifacts: {', '.join(sizes)}): {results['build_s']:.0f} s")
    for label, mb in results["sizes_mb"].items():
        print(f"  size {label:<18} {mb:8.1f} MB")
    print(f"  speech model (2 parts + tokenizer) {results['model_mb']:.1f} MB")
    print(f"cold start to all services running ({args.runs} runs, fresh $TIMAO_HOME each):")
    print(f"  {'':<20}{'first':>8}{'median':>8}{'min':>8}{'stop':>8}")
    for row in results["starts"]:
        print(f"  {row['name']:<20}{row['first_s']:>8}{row['median_s']:>8}{row['min_s']:>8}{row['stop_median_s']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
