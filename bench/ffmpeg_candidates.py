"""Could this ffmpeg replace the bundled one? Runs what the suite needs from ffmpeg against each binary given and
prints one row per check, so a smaller FFmpeg build can be judged in a minute instead of by a failing build.

    .venv/bin/python bench/ffmpeg_candidates.py                       # the ffmpeg the suite uses now
    .venv/bin/python bench/ffmpeg_candidates.py /path/to/ffmpeg ...   # candidates (e.g. from a wheel, unpacked)

The checks (each from a part of the suite that relies on it):
- version ≥ 6.1 and the encoders, filters and formats the recorder, the synthetic stream and the burn job use
  (libx264, libx265, AAC, the ``ass`` filter, FLV/HLS/MPEG-TS/MP4, HTTPS);
- H.265 in FLV (Douyin's streams; FFmpeg 6.1's enhanced FLV);
- remuxing an MPEG-TS segment to MP4 (every recorded segment): its service table names the channel, which ffmpeg
  converts to UTF-8 with iconv;
- looking up a host name (every real room's CDN; the tests use 127.0.0.1): ``localhost`` on a closed port must give
  "connection refused", not a crash;
- one SIGTERM stops a running encode (how StreamCap, the synthetic stream and the burn job stop ffmpeg).
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from launcher.redis_embedded import free_port  # noqa: E402
from shared.ffmpeg import MIN_VERSION, ffmpeg_version, find_ffmpeg  # noqa: E402

NEEDED = {
    "-encoders": ("libx264", "libx265", "aac"),
    "-filters": ("ass", "testsrc", "sine", "noise"),
    "-formats": ("flv", "hls", "mpegts", "mp4", "segment", "lavfi"),
    "-protocols": ("https", "tls"),
}
Check = Callable[[str, Path], str]  # answers "" when fine, else what went wrong


def _run(cmd: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)


def _outcome(done: subprocess.CompletedProcess[str]) -> str:
    if done.returncode < 0:
        return f"killed by {signal.Signals(-done.returncode).name}"
    return "" if done.returncode == 0 else f"exit {done.returncode}: {_tail(done.stderr)}"


def _tail(stderr: str) -> str:
    return " | ".join(line.strip() for line in stderr.strip().splitlines()[-2:])[-200:]


def check_version(ffmpeg: str, _work: Path) -> str:
    version = ffmpeg_version(ffmpeg)
    return "" if version is not None and version >= MIN_VERSION else f"version {version} < {MIN_VERSION}"


def check_components(ffmpeg: str, _work: Path) -> str:
    missing = []
    for flag, names in NEEDED.items():
        listing = _run([ffmpeg, "-hide_banner", flag]).stdout
        missing += [n for n in names if not re.search(rf"\s{re.escape(n)}(\s|,)", listing)]
    return "missing " + ", ".join(missing) if missing else ""


def check_hevc_in_flv(ffmpeg: str, work: Path) -> str:
    return _outcome(_run([ffmpeg, "-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240",
                          "-t", "1", "-c:v", "libx265", "-x265-params", "log-level=error", "-f", "flv",
                          str(work / "hevc.flv")]))  # fmt: skip


def check_ts_remux(ffmpeg: str, work: Path) -> str:
    ts, mp4 = work / "segment.ts", work / "segment.mp4"
    made = _run([ffmpeg, "-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240",
                 "-f", "lavfi", "-i", "sine", "-t", "2", "-c:v", "libx264", "-c:a", "aac", "-f", "mpegts",
                 str(ts)])  # fmt: skip
    if made.returncode != 0:
        return "writing the TS: " + _outcome(made)
    return _outcome(_run([ffmpeg, "-hide_banner", "-v", "error", "-y", "-i", str(ts), "-c", "copy",
                          "-movflags", "+faststart", "-f", "mp4", str(mp4)]))  # fmt: skip


def check_host_name(ffmpeg: str, _work: Path) -> str:
    done = _run([ffmpeg, "-hide_banner", "-v", "error", "-i", f"http://localhost:{free_port()}/live.flv",
                 "-f", "null", "-"], timeout=30)  # fmt: skip
    if done.returncode < 0:
        return _outcome(done)
    return "" if "refused" in done.stderr.lower() else f"unexpected: {_tail(done.stderr)}"


def check_one_sigterm(ffmpeg: str, _work: Path) -> str:
    proc = subprocess.Popen([ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i",
                             "testsrc=size=320x240", "-c:v", "libx264", "-preset", "ultrafast", "-f", "null", "-"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(1.5)
        if proc.poll() is not None:
            return f"ended by itself ({proc.returncode})"
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                return "still running 5 s after each of two SIGTERMs"
            return "still running 5 s after one SIGTERM (a second one stopped it)"
        return "" if time.monotonic() - sent < 3 else f"stopped {time.monotonic() - sent:.1f} s after SIGTERM"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


CHECKS: dict[str, Check] = {
    "version >= 6.1": check_version,
    "encoders, filters, formats": check_components,
    "H.265 in FLV": check_hevc_in_flv,
    "TS segment -> MP4": check_ts_remux,
    "host name lookup": check_host_name,
    "stops on one SIGTERM": check_one_sigterm,
}


def vet(ffmpeg: str) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="ffmpeg-vet-") as work:
        return {name: check(ffmpeg, Path(work)) for name, check in CHECKS.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ffmpeg", nargs="*", help="ffmpeg binaries to judge (default: the one the suite uses)")
    args = parser.parse_args()
    failed = False
    for ffmpeg in args.ffmpeg or [find_ffmpeg()]:
        path = Path(ffmpeg)
        print(f"{ffmpeg}  ({path.stat().st_size / 1e6:.1f} MB, version {ffmpeg_version(ffmpeg)})")
        for name, problem in vet(ffmpeg).items():
            print(f"  {'ok  ' if not problem else 'FAIL'} {name}{': ' + problem if problem else ''}")
            failed |= bool(problem)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
