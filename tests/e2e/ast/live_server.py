"""A live audio stream on loopback: WAV over HTTP, paced like a live broadcast, that can drop once and come back.

Every connection starts at the broadcast's current position (what a viewer joining late hears); after the audio
runs out it goes on sending silence, as a quiet live room would. ``speed`` > 1 plays faster than real time to keep
tests short; the job under test then gets a clock running at the same speed.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

RATE = 16_000
CHUNK_S = 0.1


def _wav_header() -> bytes:
    size = 0x7FFFFFF0  # unknown length: a stream
    return (
        b"RIFF"
        + struct.pack("<I", size + 36)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16)
        + (b"data" + struct.pack("<I", size))
    )


class LiveAudio:
    def __init__(self, audio: np.ndarray, *, speed: float = 1.0, drop_at_s: float | None = None, down_s: float = 0.0):
        self.pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
        self.speed = speed
        self.drop_at_s = drop_at_s
        self.down_s = down_s
        self.t0: float | None = None
        self.down_until = 0.0
        self.connections = 0
        self.refused = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def position_s(self) -> float:
        return 0.0 if self.t0 is None else (time.monotonic() - self.t0) * self.speed


def _handler(live: LiveAudio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with live.lock:
                now = time.monotonic()
                if now < live.down_until:
                    live.refused += 1
                    self.send_error(503, "stream offline")
                    return
                if live.t0 is None:
                    live.t0 = now
                live.connections += 1
                first = live.connections == 1
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.end_headers()
            try:
                self.wfile.write(_wav_header())
                self._stream(first)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _stream(self, first: bool) -> None:
            step = int(CHUNK_S * RATE) * 2
            cursor = int(live.position_s() * RATE) * 2  # a late joiner starts at the live position
            while not live.stopping.is_set():
                cursor_s = cursor / 2 / RATE
                if first and live.drop_at_s is not None and cursor_s >= live.drop_at_s:
                    live.down_until = time.monotonic() + live.down_s / live.speed
                    return  # the connection closes: a dropped stream
                ahead = cursor_s - live.position_s()
                if ahead > 0:
                    time.sleep(ahead / live.speed)
                chunk = live.pcm[cursor : cursor + step]
                self.wfile.write(chunk + bytes(step - len(chunk)))
                cursor += step

    return Handler


@contextmanager
def serve_live(live: LiveAudio) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(live))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="live-audio", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/live.wav"
    finally:
        live.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
