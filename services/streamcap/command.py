"""The ffmpeg command line of one recorder run: stream copy into MPEG-TS segments, with the segment list beside."""

from __future__ import annotations

from pathlib import Path

from services.streamcap.lifecycle import RecorderConfig
from services.streamcap.sources import ResolvedStream
from shared.ffmpeg import find_ffmpeg

__all__ = ["build_command"]

_SEGMENT_TIME_NEVER = 10**7  # cut by size (a quick restart), never by time


def build_command(
    stream: ResolvedStream, pattern: Path, list_path: Path, start_number: int, config: RecorderConfig
) -> list[str]:
    """The ffmpeg command line of one run (stream copy into TS segments)."""
    cmd = [find_ffmpeg(), "-hide_banner", "-nostats", "-loglevel", "warning", "-progress", "pipe:1"]
    cmd += ["-rw_timeout", str(int(config.rw_timeout * 1_000_000))]
    if stream.url.startswith(("http://", "https://")):
        # ffmpeg must not be talked into reading local files by a playlist or a redirect.
        cmd += ["-protocol_whitelist", "http,https,tls,tcp,crypto,httpproxy"]
        if stream.headers:
            cmd += ["-headers", "".join(f"{k}: {v}\r\n" for k, v in stream.headers.items())]
    if stream.is_hls:
        cmd += ["-m3u8_hold_counters", str(config.hls_hold_counters), "-max_reload", str(config.hls_hold_counters),
                "-seg_max_retry", "3", "-reconnect", "1", "-reconnect_on_network_error", "1",
                "-reconnect_on_http_error", "5xx", "-reconnect_delay_max", "5"]  # fmt: skip
    segment_time = config.segment_seconds if config.segment_bytes <= 0 else _SEGMENT_TIME_NEVER
    cmd += ["-i", stream.url, "-map", "0:v?", "-map", "0:a?", "-c", "copy",
            "-f", "segment", "-segment_format", "mpegts", "-segment_time", f"{segment_time:g}",
            "-segment_start_number", str(start_number), "-reset_timestamps", "1",
            "-segment_list", str(list_path), "-segment_list_type", "csv",
            # The segment muxer does not pass -flush_packets to the TS writer inside it; both are needed.
            # pes_payload_size=0: the TS writer otherwise gathers ~2.9 KB of audio (0.4 s at 64 kb/s) into one PES
            # before writing any of it, and a run stopped after a stall lost it: the stall's last segment held
            # video and an audio stream with no packets, and came out of the remux as a video-only MP4. Each
            # audio frame in its own PES is on disk as soon as its video (a few % more TS bytes; the MP4 the same).
            "-flush_packets", "1", "-segment_format_options", "flush_packets=1:pes_payload_size=0",
            "-y", str(pattern)]  # fmt: skip
    return cmd
