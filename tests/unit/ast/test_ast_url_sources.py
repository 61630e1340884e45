"""Hardening #12, finding 11: ffmpeg reads streams as a client only, never listens, and only through known protocols."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from services.ast.config import parse_audio_config
from services.ast.errors import InvalidJobConfig, SourceFailed
from services.ast.sources import FILE_PROTOCOLS, NETWORK_PROTOCOLS, FfmpegOpener, ffmpeg_pcm_command
from shared.ffmpeg import find_ffmpeg

SPEECH = Path(__file__).resolve().parents[2] / "e2e" / "ast" / "fixtures" / "speech_en.flac"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        pytest.param("tcp://0.0.0.0:9000?listen=1", "not a network stream", id="tcp-listen"),
        pytest.param("tcp://203.0.113.5:9000", "not a network stream", id="tcp"),
        pytest.param("udp://0.0.0.0:1234", "not a network stream", id="udp"),
        pytest.param("srt://:9000?mode=listener", "not a network stream", id="srt-listener"),
        pytest.param("rtsp://cam.test/live", "not a network stream", id="rtsp"),
        pytest.param("hls+file:///etc/passwd", "not a network stream", id="hls-file"),
        pytest.param("file:///etc/passwd", "not a network stream", id="file"),
        pytest.param("concat:a.mp3|b.mp3", "not a network stream", id="concat"),
        pytest.param("http://cdn.test/live.flv?listen=1", "must not make ffmpeg listen", id="http-listen"),
        pytest.param("rtmp://cdn.test/app/key?rtmp_listen=1", "must not make ffmpeg listen", id="rtmp-listen"),
        pytest.param("https://cdn.test/a?x=1&LISTEN", "must not make ffmpeg listen", id="listen-key-any-case"),
        pytest.param("http:///live.flv", "no host", id="no-host"),
    ],
)
def test_urls_that_could_listen_or_read_locally_are_refused(url: str, fragment: str) -> None:
    with pytest.raises(InvalidJobConfig) as info:
        parse_audio_config({"source": "url", "url": url})
    message = str(info.value)
    assert fragment in message and "audio_config" in message
    assert info.value.code == "invalid"


@pytest.mark.parametrize(
    "url",
    [
        "http://cdn.test/live.flv?expire=1&sign=abc",
        "https://cdn.test/live/index.m3u8",
        "rtmp://cdn.test/live/stream",
        "rtmps://cdn.test/live/stream",
        "hls+https://cdn.test/live/index.m3u8",
    ],
)
def test_client_stream_urls_are_accepted(url: str) -> None:
    assert parse_audio_config({"source": "url", "url": url}).url == url


def test_ffmpeg_argv_carries_the_protocol_whitelist() -> None:
    network = ffmpeg_pcm_command("ffmpeg", "https://cdn.test/a.flv", network=True)
    local = ffmpeg_pcm_command("ffmpeg", "file:/tmp/a.wav", network=False)
    for cmd, allowed in ((network, NETWORK_PROTOCOLS), (local, FILE_PROTOCOLS)):
        at = cmd.index("-protocol_whitelist")
        assert cmd[at + 1] == allowed and at < cmd.index("-i")  # an input option: before -i
    assert set(NETWORK_PROTOCOLS.split(",")).isdisjoint({"udp", "srt", "rtsp", "file", "pipe", "concat", "subfile"})
    assert FILE_PROTOCOLS == "file"


def test_the_real_ffmpeg_refuses_protocols_off_the_list() -> None:
    ffmpeg = find_ffmpeg()
    for target, network in (("udp://127.0.0.1:9", True), (f"file:{SPEECH}", True), ("http://127.0.0.1:9/", False)):
        cmd = ffmpeg_pcm_command(ffmpeg, target, network=network)
        done = subprocess.run(cmd, capture_output=True, timeout=30, check=False)
        assert done.returncode != 0
        assert b"not on whitelist" in done.stderr, done.stderr


def test_a_file_source_is_read_through_the_file_protocol() -> None:
    opener = FfmpegOpener(parse_audio_config({"source": "file", "path": str(SPEECH)}), label="t")
    stream = opener.open()
    try:
        assert len(stream.read(32_000)) > 0
    finally:
        assert stream.close().ok


def test_a_resolved_session_url_is_held_to_the_same_rule() -> None:
    """A platform answer that would make ffmpeg listen is refused before any ffmpeg starts."""
    opener = FfmpegOpener(
        parse_audio_config({"source": "session", "session_id": "s1"}),
        label="t",
        resolve_session=lambda: "tcp://0.0.0.0:9000?listen=1",
        ffmpeg="/nonexistent/ffmpeg",  # would fail differently (SourceUnreadable) if it were ever started
    )
    with pytest.raises(SourceFailed, match="unusable stream url"):
        opener.open()
