"""Could this ffmpeg replace the bundled one? Runs what the suite needs from ffmpeg against each binary given and
prints one row per check, so a smaller FFmpeg build can be judged in a minute instead of by a failing build.

    .venv/bin/python bench/ffmpeg_candidates.py                       # the ffmpeg the suite uses now
    .venv/bin/python bench/ffmpeg_candidates.py /path/to/ffmpeg ...   # candidates (e.g. from a wheel, unpacked)

The checks (each from a part of the suite that relies on it):
- version ≥ 6.1 and the encoders, filters and formats the recorder, the synthetic stream and the burn job use
  (libx264, AAC, the ``ass`` filter, FLV/HLS/MPEG-TS/MP4, HTTPS, RTMP);
- H.265 in FLV (Douyin's streams; FFmpeg 6.1's enhanced FLV): an H.265 + AAC FLV, written by the development ffmpeg
  (imageio-ffmpeg's, or ``--reference``), copied into TS segments as the recorder does, then remuxed to MP4 with the
  ``hvc1`` tag as the remux does. The candidate needs no libx265 for this: only the synthetic stream's H.265 mode
  encodes H.265, and the tests run it from source (libx265 is listed as a note, not a failure);
- remuxing an MPEG-TS segment to MP4 (every recorded segment): its service table names the channel (here in
  Chinese), which ffmpeg converts with iconv;
- the AST's decoding: the demo's Opus speech and an MP4 recording to 16 kHz mono s16le on a pipe, from ``-ss``;
- the burn job: the ``ass`` filter (libass, Chinese text) with libx264 into MP4, audio copied; the burned frame must
  differ from the plain one (libass found a font and drew);
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
    "-encoders": ("libx264", "aac"),
    "-filters": ("ass", "testsrc", "sine", "noise"),
    "-formats": ("flv", "hls", "mpegts", "mp4", "segment", "lavfi", "s16le"),
    "-protocols": ("https", "tls", "rtmp"),
}
# Only what the tests run from source with the development ffmpeg needs these: reported, not required.
NOTED = {"-encoders": ("libx265",)}
DEMO_SPEECH = ROOT / "services" / "streamcap" / "assets" / "demo_speech.ogg"
_REFERENCE: list[str] = []  # the development ffmpeg (makes the H.265 FLV); set by main()
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


def _missing(ffmpeg: str, wanted: dict[str, tuple[str, ...]]) -> list[str]:
    missing = []
    for flag, names in wanted.items():
        listing = _run([ffmpeg, "-hide_banner", flag]).stdout
        missing += [n for n in names if not re.search(rf"\s{re.escape(n)}(\s|,)", listing)]
    return missing


def check_components(ffmpeg: str, _work: Path) -> str:
    missing = _missing(ffmpeg, NEEDED)
    return "missing " + ", ".join(missing) if missing else ""


def check_hevc_in_flv(ffmpeg: str, work: Path) -> str:
    flv, segments, mp4 = work / "hevc.flv", work / "hevc-%03d.ts", work / "hevc.mp4"
    made = _run([_REFERENCE[0], "-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240",
                 "-f", "lavfi", "-i", "sine", "-t", "2", "-c:v", "libx265", "-x265-params", "log-level=error",
                 "-c:a", "aac", "-f", "flv", str(flv)])  # fmt: skip
    if made.returncode != 0:
        return "the reference ffmpeg could not write the H.265 FLV: " + _outcome(made)
    copied = _run([ffmpeg, "-hide_banner", "-v", "error", "-y", "-i", str(flv), "-map", "0:v?", "-map", "0:a?",
                   "-c", "copy", "-f", "segment", "-segment_format", "mpegts", "-segment_time", "60",
                   "-reset_timestamps", "1", "-segment_list", str(work / "hevc.csv"), "-segment_list_type", "csv",
                   str(segments)])  # fmt: skip
    if copied.returncode != 0:
        return "FLV -> TS segments: " + _outcome(copied)
    remuxed = _run([ffmpeg, "-hide_banner", "-v", "error", "-y", "-i", str(work / "hevc-000.ts"), "-c", "copy",
                    "-tag:v", "hvc1", "-movflags", "+faststart", "-f", "mp4", str(mp4)])  # fmt: skip
    if remuxed.returncode != 0:
        return "TS -> MP4: " + _outcome(remuxed)
    streams = _run([_REFERENCE[0], "-hide_banner", "-i", str(mp4)]).stderr
    return "" if "hevc" in streams and "aac" in streams else f"the MP4 lost a stream: {_tail(streams)}"


def _write_ts(ffmpeg: str, ts: Path) -> subprocess.CompletedProcess[str]:
    return _run([ffmpeg, "-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240",
                 "-f", "lavfi", "-i", "sine", "-t", "2", "-c:v", "libx264", "-c:a", "aac",
                 "-metadata", "service_name=测试直播间", "-metadata", "service_provider=抖音", "-f", "mpegts",
                 str(ts)])  # fmt: skip


def check_ts_remux(ffmpeg: str, work: Path) -> str:
    ts, mp4 = work / "segment.ts", work / "segment.mp4"
    made = _write_ts(ffmpeg, ts)
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


def check_ast_decode(ffmpeg: str, work: Path) -> str:
    mp4 = work / "segment.mp4"  # check_ts_remux's output, else made here
    if not mp4.is_file():
        made = _write_ts(ffmpeg, work / "ast.ts")
        if made.returncode != 0:
            return "writing the TS: " + _outcome(made)
        mp4 = work / "ast.ts"
    for source, start, expected in ((DEMO_SPEECH, "1.000", 1.0), (mp4, "0.500", 1.0)):
        done = subprocess.run([ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-protocol_whitelist", "file",
                               "-ss", start, "-i", str(source), "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1",
                               "-ar", "16000", "-acodec", "pcm_s16le", "-f", "s16le", "pipe:1"],
                              capture_output=True, timeout=60, check=False)  # fmt: skip
        if done.returncode != 0:
            return f"{source.name}: exit {done.returncode}: {_tail(done.stderr.decode('utf-8', 'replace'))}"
        seconds = len(done.stdout) / 32000
        if seconds < expected:
            return f"{source.name}: {seconds:.2f} s of PCM from -ss {start}, expected ≥ {expected:g}"
    return ""


_ASS = """[Script Info]
ScriptType: v4.00+
PlayResX: 320
PlayResY: 240

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, OutlineColour, BorderStyle, Outline, Shadow, Alignment
Style: Danmaku,Noto Sans CJK SC,40,&H00FFFFFF,&H00000000,1,2,0,5

[Events]
Format: Layer, Start, End, Style, Text
Dialogue: 0,0:00:00.00,0:00:05.00,Danmaku,弹幕测试 burn-in
"""


def check_burn(ffmpeg: str, work: Path) -> str:
    ts = work / "burn-source.ts"
    made = _write_ts(ffmpeg, ts)
    if made.returncode != 0:
        return "writing the source: " + _outcome(made)
    (work / "danmaku.ass").write_text(_ASS, encoding="utf-8")
    outputs = {}
    for name, vf in (("burned", ["-vf", "ass=danmaku.ass"]), ("plain", [])):
        out = work / f"{name}.mp4"
        done = subprocess.run([ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y", "-i", str(ts),
                               "-map", "0:v:0", "-map", "0:a?", *vf, "-c:v", "libx264", "-preset", "veryfast",
                               "-crf", "21", "-c:a", "copy", "-movflags", "+faststart", "-f", "mp4", str(out)],
                              capture_output=True, text=True, timeout=120, check=False, cwd=work)  # fmt: skip
        if done.returncode != 0:
            return f"{name}: {_outcome(done)}"
        frame = subprocess.run([_REFERENCE[0], "-v", "error", "-ss", "1", "-i", str(out), "-frames:v", "1",
                                "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, timeout=60,
                               check=False)  # fmt: skip
        outputs[name] = frame.stdout
    burned, plain = outputs["burned"], outputs["plain"]
    if not burned or len(burned) != len(plain):
        return "the frames could not be compared"
    changed = sum(abs(a - b) > 40 for a, b in zip(burned, plain, strict=True))
    return "" if changed > 500 else f"nothing drawn ({changed} pixels changed): libass found no font?"


CHECKS: dict[str, Check] = {
    "version >= 6.1": check_version,
    "encoders, filters, formats": check_components,
    "H.265 in FLV -> TS -> MP4": check_hevc_in_flv,
    "TS segment -> MP4 (channel name)": check_ts_remux,
    "AST decode (-ss, 16 kHz s16le)": check_ast_decode,
    "burn-in (ass + libx264)": check_burn,
    "host name lookup": check_host_name,
    "stops on one SIGTERM": check_one_sigterm,
}


def vet(ffmpeg: str) -> dict[str, str]:
    if Path(ffmpeg).is_file():
        ffmpeg = str(Path(ffmpeg).resolve())  # the burn check runs in its own folder
    with tempfile.TemporaryDirectory(prefix="ffmpeg-vet-") as work:
        return {name: check(ffmpeg, Path(work)) for name, check in CHECKS.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ffmpeg", nargs="*", help="ffmpeg binaries to judge (default: the one the suite uses)")
    parser.add_argument("--reference", help="the ffmpeg that writes the H.265 FLV and reads frames back "
                        "(default: the one the suite uses from source)")  # fmt: skip
    args = parser.parse_args()
    _REFERENCE[:] = [args.reference or find_ffmpeg()]
    failed = False
    for ffmpeg in args.ffmpeg or [find_ffmpeg()]:
        path = Path(ffmpeg)
        print(f"{ffmpeg}  ({path.stat().st_size / 1e6:.1f} MB, version {ffmpeg_version(ffmpeg)})")
        for name, problem in vet(ffmpeg).items():
            print(f"  {'ok  ' if not problem else 'FAIL'} {name}{': ' + problem if problem else ''}")
            failed |= bool(problem)
        noted = _missing(ffmpeg, NOTED)
        if noted:
            print(f"  note: no {', '.join(noted)} (the synthetic stream's H.265 mode; the tests run it from source)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
