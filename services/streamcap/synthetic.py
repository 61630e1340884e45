"""A synthetic live stream on loopback: test pattern plus a sine tone, served as HTTP-FLV and HLS.

It stands in for a platform CDN in tests and is the demo stream of ``timao up --demo``. Faults imitate what real
CDNs do to a recorder:

- ``steady``  plays until stopped;
- ``stall``   after ``fault_after`` seconds sends nothing more but keeps the socket open (HLS: the playlist freezes);
- ``drop``    after ``fault_after`` seconds closes the connection (HLS: connections are cut);
- ``end``     the broadcast ends after ``end_after`` seconds (FLV: later requests get 404; HLS: ``#EXT-X-ENDLIST``);
- ``h265``    like steady, with HEVC video (enhanced FLV).

FLV faults hit the first ``fault_connections`` connections only, so a recorder that reconnects gets a working stream;
HLS faults last ``fault_seconds``. Each FLV connection gets its own stream starting at zero (one ffmpeg each).

``clock=True`` paints the wall clock into every frame in a machine-readable way (``paint_clock``/``read_clock``:
the centisecond of the epoch as black and white blocks, each bit above its complement), so a test can read from any
recorded frame when it was live, without OCR: the time base of subtitles is checked against it.

The ``bench1080`` profile pre-encodes a short 1080p 6 Mbps clip once and loops it with ``-c copy``, so serving many
streams costs no encoding CPU.

    python -m services.streamcap.synthetic --mode steady          # prints the URLs, runs until Ctrl-C
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import numpy as np

from services.streamcap.procs import close_pipes, spawn
from shared.ffmpeg import find_ffmpeg
from shared.procs import stop_in_stages

__all__ = [
    "Mode",
    "Profile",
    "SyntheticConfig",
    "SyntheticLive",
    "SyntheticUrls",
    "main",
    "paint_clock",
    "prepare_clip",
    "read_clock",
]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
_CHUNK = 64 * 1024


class Mode(StrEnum):
    STEADY = "steady"
    STALL = "stall"
    DROP = "drop"
    END = "end"
    H265 = "h265"


@dataclass(frozen=True)
class Profile:
    width: int
    height: int
    fps: int
    video_bitrate: str
    # Pre-encode a clip of this many seconds and loop it (no live encoding); 0 = encode live.
    clip_seconds: float = 0.0


# ~19 s of English speech made with espeak-ng (see assets/README.md): what the demo's streamer "says".
DEMO_SPEECH = Path(__file__).with_name("assets") / "demo_speech.ogg"

PROFILES = {
    "test": Profile(320, 180, 25, "300k"),
    "demo": Profile(640, 360, 25, "800k"),
    "bench1080": Profile(1920, 1080, 25, "6M", clip_seconds=4.0),
}


@dataclass(frozen=True)
class SyntheticConfig:
    mode: Mode = Mode.STEADY
    profile: str = "test"
    port: int = 0
    fault_after: float = 3.0
    fault_connections: int = 1
    fault_seconds: float = 5.0
    end_after: float = 5.0
    hls: bool = True
    hls_segment_seconds: float = 1.0
    cache_dir: Path | None = None
    name: str = "live"
    audio: Path | None = None  # loop this sound file instead of the tone
    clock: bool = False  # paint the wall clock into every frame (paint_clock), encoded live

    @property
    def codec(self) -> str:
        return "h265" if self.mode is Mode.H265 else "h264"


@dataclass(frozen=True)
class SyntheticUrls:
    flv: str
    hls: str


def _video_codec_args(profile: Profile, codec: str) -> list[str]:
    gop = str(profile.fps)  # a keyframe every second: segments can cut there
    if codec == "h265":
        return ["-c:v", "libx265", "-preset", "ultrafast", "-tune", "zerolatency", "-x265-params", "log-level=error",
                "-g", gop, "-b:v", profile.video_bitrate, "-pix_fmt", "yuv420p"]  # fmt: skip
    return ["-c:v", "libx264", "-preset", "veryfast" if profile.clip_seconds else "ultrafast", "-tune", "zerolatency",
            "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-b:v", profile.video_bitrate,
            "-minrate", profile.video_bitrate, "-maxrate", profile.video_bitrate, "-bufsize", profile.video_bitrate,
            "-x264-params", "nal-hrd=cbr", "-pix_fmt", "yuv420p"]  # fmt: skip


def _lavfi_inputs(profile: Profile, realtime: bool, audio: Path | None = None) -> list[str]:
    pace = ["-re"] if realtime else []
    size = f"{profile.width}x{profile.height}"
    # The bench clip must really carry its bitrate: a test pattern alone compresses to a tenth of it, noise does not.
    video = f"testsrc=size={size}:rate={profile.fps}" + (",noise=alls=24:allf=t" if profile.clip_seconds else "")
    # The demo loops a spoken clip so the transcription has something to say; tests use a plain tone.
    sound = [*pace, "-stream_loop", "-1", "-i", str(audio)] if audio else [
        *pace, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]  # fmt: skip
    return [*pace, "-f", "lavfi", "-i", video, *sound, "-map", "0:v", "-map", "1:a"]


CLOCK_BITS = 40
_CLOCK_BLOCK = 16
_CLOCK_COLUMNS = 20


def paint_clock(wall_ms: int, width: int, height: int) -> bytes:
    """A gray frame (``width``×``height``, 8 bits a pixel) showing ``wall_ms // 10`` in 40 bits: rows of 16×16
    blocks, white for 1, each row of bits followed by its complement so a reader can tell a damaged frame."""
    frame = np.full((height, width), 128, dtype=np.uint8)
    value = wall_ms // 10
    bits = [(value >> i) & 1 for i in range(CLOCK_BITS)]
    for i, bit in enumerate(bits):
        row, col = divmod(i, _CLOCK_COLUMNS)
        x = col * _CLOCK_BLOCK
        y = row * 2 * _CLOCK_BLOCK
        frame[y : y + _CLOCK_BLOCK, x : x + _CLOCK_BLOCK] = 235 if bit else 16
        frame[y + _CLOCK_BLOCK : y + 2 * _CLOCK_BLOCK, x : x + _CLOCK_BLOCK] = 16 if bit else 235
    return frame.tobytes()


def read_clock(frame: bytes, width: int, height: int) -> int | None:
    """The wall time (ms, to 10 ms) ``paint_clock`` painted into a decoded gray frame; None when it is unreadable."""
    pixels = np.frombuffer(frame, dtype=np.uint8)
    if pixels.size != width * height:
        return None
    image = pixels.reshape(height, width)
    value = 0
    inner = slice(4, _CLOCK_BLOCK - 4)  # the block's middle: compression smears its edges
    for i in range(CLOCK_BITS):
        row, col = divmod(i, _CLOCK_COLUMNS)
        x = col * _CLOCK_BLOCK
        y = row * 2 * _CLOCK_BLOCK
        bit = float(image[y : y + _CLOCK_BLOCK, x : x + _CLOCK_BLOCK][inner, inner].mean())
        inverse = float(image[y + _CLOCK_BLOCK : y + 2 * _CLOCK_BLOCK, x : x + _CLOCK_BLOCK][inner, inner].mean())
        if abs(bit - inverse) < 80:
            return None
        value |= (1 if bit > inverse else 0) << i
    return value * 10


def _feed_clock(stdin: io.BufferedWriter, profile: Profile, stop: threading.Event, wall: Callable[[], float]) -> None:
    """Write frames at the profile's rate, each showing the wall time it is handed to the encoder."""
    started = time.monotonic()
    n = 0
    try:
        while not stop.is_set():
            delay = started + n / profile.fps - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            stdin.write(paint_clock(int(wall() * 1000), profile.width, profile.height))
            stdin.flush()
            n += 1
    except (BrokenPipeError, ValueError, OSError):
        pass  # the encoder ended (a fault, the end of the stream, or stop)
    finally:
        with contextlib.suppress(OSError, ValueError):
            stdin.close()


def prepare_clip(profile: Profile, codec: str, cache_dir: Path) -> Path:
    """Encode the profile's loop clip once; later calls reuse the file."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    clip = cache_dir / f"synthetic-{profile.width}x{profile.height}-{profile.video_bitrate}-{codec}.flv"
    if clip.is_file() and clip.stat().st_size > 0:
        return clip
    partial = clip.with_suffix(".part.flv")
    log.info(
        "synthetic: encoding a %gs %dx%d clip once (%s)", profile.clip_seconds, profile.width, profile.height, clip
    )
    cmd = [find_ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-y", *_lavfi_inputs(profile, realtime=False),
           "-t", f"{profile.clip_seconds:g}", *_video_codec_args(profile, codec), "-c:a", "aac", "-b:a", "128k",
           "-shortest", "-f", "flv", str(partial)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True)
    partial.replace(clip)
    return clip


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    live: SyntheticLive


class SyntheticLive:
    """The server. ``start()`` answers the URLs; ``stop()`` ends every stream and closes every socket."""

    def __init__(self, config: SyntheticConfig | None = None) -> None:
        self.config = config or SyntheticConfig()
        self.profile = PROFILES[self.config.profile]
        self._server: _Server | None = None
        self._serve_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._flv_connections = 0
        self._ended = False
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._sockets: set[socket.socket] = set()
        self._own_tmp: tempfile.TemporaryDirectory[str] | None = None
        self._hls_dir: Path | None = None
        self._hls_thread: threading.Thread | None = None
        self._hls_started_at = 0.0
        self._hls_frozen: bytes | None = None
        self._clip: Path | None = None
        self.urls: SyntheticUrls | None = None

    # lifecycle

    def start(self) -> SyntheticUrls:
        if self._server is not None:
            raise RuntimeError("synthetic live already started")
        self._own_tmp = tempfile.TemporaryDirectory(prefix="timao-synthetic-")
        work = Path(self._own_tmp.name)
        if self.profile.clip_seconds:
            self._clip = prepare_clip(self.profile, self.config.codec, self.config.cache_dir or work / "cache")
        server = _Server((HOST, self.config.port), _Handler)
        server.live = self
        self._server = server
        port = server.server_address[1]
        self._serve_thread = threading.Thread(target=server.serve_forever, name="synthetic-http", daemon=True)
        self._serve_thread.start()
        if self.config.hls:
            self._hls_dir = work / "hls"
            self._hls_dir.mkdir()
            self._hls_thread = threading.Thread(target=self._run_hls_encoder, name="synthetic-hls", daemon=True)
            self._hls_thread.start()
        name = self.config.name
        self.urls = SyntheticUrls(
            flv=f"http://{HOST}:{port}/live/{name}.flv", hls=f"http://{HOST}:{port}/hls/{name}.m3u8"
        )
        log.info("synthetic: serving %s and %s (mode %s)", self.urls.flv, self.urls.hls, self.config.mode)
        return self.urls

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            procs, sockets = list(self._procs), list(self._sockets)
        for proc in procs:
            _terminate(proc)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._hls_thread is not None:
            self._hls_thread.join(timeout=10)
        if self._serve_thread is not None:
            self._serve_thread.join(timeout=10)
        if self._own_tmp is not None:
            self._own_tmp.cleanup()
        self._server = None

    def __enter__(self) -> SyntheticLive:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def ended(self) -> bool:
        return self._ended

    # encoders

    def _encoder_args(self, *, duration: float | None, fmt: list[str]) -> list[str]:
        limit = ["-t", f"{duration:g}"] if duration else []
        if self._clip is not None:
            source = ["-re", "-stream_loop", "-1", "-i", str(self._clip), *limit, "-c", "copy"]
        elif self.config.clock:
            p = self.profile
            video = _video_codec_args(p, self.config.codec)
            size = f"{p.width}x{p.height}"
            raw = ["-f", "rawvideo", "-pix_fmt", "gray", "-s", size, "-r", str(p.fps), "-i", "pipe:0"]
            tone = ["-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
            source = [*raw, *tone, "-map", "0:v", "-map", "1:a", *limit, *video,
                      "-c:a", "aac", "-b:a", "64k", "-ar", "44100", "-ac", "1"]  # fmt: skip
        else:
            video = _video_codec_args(self.profile, self.config.codec)
            inputs = _lavfi_inputs(self.profile, realtime=True, audio=self.config.audio)
            source = [*inputs, *limit, *video, "-c:a", "aac", "-b:a", "64k", "-ar", "44100", "-ac", "1"]
        return [find_ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", *source, *fmt]

    def _spawn_encoder(self, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        """An encoder; with ``clock`` its frames come from a thread painting the wall clock into its stdin."""
        if not self.config.clock:
            return spawn(args, stdin=subprocess.DEVNULL, **kwargs)
        proc = spawn(args, stdin=subprocess.PIPE, **kwargs)
        stdin = cast(io.BufferedWriter, proc.stdin)
        threading.Thread(
            target=_feed_clock,
            args=(stdin, self.profile, self._stopping, time.time),
            name="synthetic-clock",
            daemon=True,
        ).start()
        return proc

    def _track(self, proc: subprocess.Popen[bytes], add: bool) -> None:
        with self._lock:
            (self._procs.add if add else self._procs.discard)(proc)

    def _run_hls_encoder(self) -> None:
        assert self._hls_dir is not None
        cfg = self.config
        playlist = self._hls_dir / f"{cfg.name}.m3u8"
        fmt = ["-f", "hls", "-hls_time", f"{cfg.hls_segment_seconds:g}", "-hls_list_size", "8",
               "-hls_flags", "delete_segments+temp_file+independent_segments",
               "-hls_segment_filename", str(self._hls_dir / f"{cfg.name}-%05d.ts"), str(playlist)]  # fmt: skip
        duration = cfg.end_after if cfg.mode is Mode.END else None
        clock = self.config.clock  # its stdin is the clock's pipe, which communicate() would close at once
        quiet = {"stderr": subprocess.DEVNULL} if clock else {}
        proc = self._spawn_encoder(self._encoder_args(duration=duration, fmt=fmt), stdout=subprocess.DEVNULL, **quiet)
        self._track(proc, True)
        self._hls_started_at = time.monotonic()
        try:
            if clock:
                proc.wait()
                err = b""
            else:
                _, err = proc.communicate()
            if proc.returncode not in (0, -signal.SIGTERM, 255) and not self._stopping.is_set():
                log.warning("synthetic: hls encoder exit %s: %s", proc.returncode, err.decode(errors="replace")[-300:])
        finally:
            self._track(proc, False)

    # request handling (called from handler threads)

    def fault_active_hls(self) -> bool:
        cfg = self.config
        if cfg.mode not in (Mode.STALL, Mode.DROP):
            return False
        elapsed = time.monotonic() - self._hls_started_at
        return cfg.fault_after <= elapsed < cfg.fault_after + cfg.fault_seconds

    def hls_playlist(self) -> bytes | None:
        assert self._hls_dir is not None
        path = self._hls_dir / f"{self.config.name}.m3u8"
        deadline = time.monotonic() + 10
        while not path.is_file():
            if time.monotonic() > deadline or self._stopping.is_set():
                return None
            time.sleep(0.05)
        if self.config.mode is Mode.STALL and self.fault_active_hls():
            if self._hls_frozen is None:
                self._hls_frozen = path.read_bytes()
            return self._hls_frozen
        self._hls_frozen = None
        return path.read_bytes()

    def hls_segment(self, name: str) -> Path | None:
        assert self._hls_dir is not None
        if "/" in name or "\\" in name or not name.endswith(".ts") or name.startswith("."):
            return None
        path = self._hls_dir / name
        return path if path.is_file() else None

    def open_flv(self) -> tuple[int, bool]:
        """Count a new FLV connection; answer (its number, whether the stream is offline)."""
        with self._lock:
            if self._ended:
                return 0, True
            self._flv_connections += 1
            return self._flv_connections, False

    def flv_process(self, connection: int) -> subprocess.Popen[bytes]:
        cfg = self.config
        duration = cfg.end_after if cfg.mode is Mode.END and connection == 1 else None
        proc = self._spawn_encoder(self._encoder_args(duration=duration, fmt=["-f", "flv", "pipe:1"]),
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        self._track(proc, True)
        return proc

    def mark_ended(self) -> None:
        with self._lock:
            self._ended = True

    def fault_for(self, connection: int) -> Mode | None:
        cfg = self.config
        if cfg.mode in (Mode.STALL, Mode.DROP) and connection <= cfg.fault_connections:
            return cfg.mode
        return None

    def register_socket(self, sock: socket.socket, add: bool) -> None:
        with self._lock:
            (self._sockets.add if add else self._sockets.discard)(sock)

    def wait_stopped(self, timeout: float) -> bool:
        return self._stopping.wait(timeout)

    def release(self, proc: subprocess.Popen[bytes]) -> None:
        _terminate(proc)
        close_pipes(proc)
        self._track(proc, False)


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    stop_in_stages(proc, ((int(signal.SIGTERM), 3.0),))


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        log.debug("synthetic: " + format, *args)

    def do_HEAD(self) -> None:
        self._route(head=True)

    def do_GET(self) -> None:
        self._route(head=False)

    def _route(self, *, head: bool) -> None:
        live = self.server.live
        path = self.path.split("?", 1)[0]
        name = live.config.name
        try:
            # Quality variants (live_hd.flv, live_sd.flv ...) all get the one stream: a room offers several.
            if path.startswith(f"/live/{name}") and path.endswith(".flv"):
                self._serve_flv(live, head)
            elif live.config.hls and path == f"/hls/{name}.m3u8":
                self._serve_playlist(live, head)
            elif live.config.hls and path.startswith("/hls/"):
                self._serve_segment(live, path[len("/hls/") :], head)
            else:
                self.send_error(HTTPStatus.NOT_FOUND)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _headers(self, status: HTTPStatus, content_type: str, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _serve_playlist(self, live: SyntheticLive, head: bool) -> None:
        if live.config.mode is Mode.DROP and live.fault_active_hls():
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        body = live.hls_playlist()
        if body is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        self._headers(HTTPStatus.OK, "application/vnd.apple.mpegurl", len(body))
        if not head:
            self.wfile.write(body)

    def _serve_segment(self, live: SyntheticLive, name: str, head: bool) -> None:
        if live.config.mode is Mode.DROP and live.fault_active_hls():
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        segment = live.hls_segment(name)
        if segment is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        try:
            body = segment.read_bytes()
        except FileNotFoundError:  # deleted from the window between the check and the read
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        self._headers(HTTPStatus.OK, "video/mp2t", len(body))
        if not head:
            self.wfile.write(body)

    def _serve_flv(self, live: SyntheticLive, head: bool) -> None:
        if head:
            self._headers(HTTPStatus.NOT_FOUND if live.ended else HTTPStatus.OK, "video/x-flv", 0)
            return
        connection, offline = live.open_flv()
        if offline:
            self.send_error(HTTPStatus.NOT_FOUND, "stream offline")
            return
        fault = live.fault_for(connection)
        proc = live.flv_process(connection)
        live.register_socket(self.connection, True)
        stdout = cast(io.BufferedReader, proc.stdout)
        started = time.monotonic()
        try:
            self._headers(HTTPStatus.OK, "video/x-flv")
            while True:
                if fault is not None and time.monotonic() - started >= live.config.fault_after:
                    self._fault(live, fault, proc)
                    return
                chunk = stdout.read1(_CHUNK)
                if not chunk:
                    break
                self.wfile.write(chunk)
                self.wfile.flush()
            if live.config.mode is Mode.END and connection == 1:
                live.mark_ended()
        finally:
            live.release(proc)
            live.register_socket(self.connection, False)
            self.close_connection = True

    def _fault(self, live: SyntheticLive, fault: Mode, proc: subprocess.Popen[bytes]) -> None:
        live.release(proc)
        if fault is Mode.DROP:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        # Stall: keep the socket open and silent until the client gives up or the server stops.
        self.connection.settimeout(0.5)
        while not live.wait_stopped(0):
            try:
                if self.connection.recv(1024) == b"":
                    return
            except TimeoutError:
                continue
            except OSError:
                return


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.streamcap.synthetic", description="合成直播流 (synthetic live stream)"
    )
    parser.add_argument("--mode", choices=[m.value for m in Mode], default=Mode.STEADY.value)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="demo")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fault-after", type=float, default=3.0)
    parser.add_argument("--end-after", type=float, default=60.0)
    parser.add_argument("--no-hls", action="store_true")
    parser.add_argument("--audio", type=Path, help="loop this sound file (e.g. speech) instead of a tone")
    parser.add_argument("--speech", action="store_true", help="loop the bundled demo speech (English)")
    args = parser.parse_args(argv)
    if args.speech:
        args.audio = DEMO_SPEECH
    if args.audio is not None and not args.audio.is_file():
        parser.error(f"--audio: no such file: {args.audio}")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if shutil.which("ffmpeg") is None:
        find_ffmpeg()  # raises a ConfigError naming the fix when neither PATH nor the wheel has one
    config = SyntheticConfig(mode=Mode(args.mode), profile=args.profile, port=args.port, fault_after=args.fault_after,
                             end_after=args.end_after, hls=not args.no_hls, audio=args.audio)  # fmt: skip
    live = SyntheticLive(config)
    urls = live.start()
    print(f"HTTP-FLV: {urls.flv}\nHLS:      {urls.hls}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        live.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
