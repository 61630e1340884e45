"""Stream URLs of a live room from the ``web/enter`` answer (for the recorder).

``stream_url.flv_pull_url`` and ``hls_pull_url_map`` name the qualities FULL_HD1, HD1, SD1, SD2; the original
quality ("origin") and each stream's codec come from ``live_core_sdk_data.pull_data.stream_data`` (a JSON string).
FLV is preferred; an H.265 stream is taken as HLS when HLS exists (FLV players often lack HEVC).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.platforms.douyin.errors import NoStream

__all__ = ["QUALITY_ORDER", "RoomStreams", "StreamChoice", "StreamVariant", "choose_stream", "parse_streams"]

# Best first. origin is the untranscoded stream.
QUALITY_ORDER = ("origin", "FULL_HD1", "HD1", "SD2", "SD1")
# stream_data sdk keys → the pull-map names that carry the same stream.
_SDK_TO_NAME = {"origin": "origin", "hd": "HD1", "sd": "SD2", "ld": "SD1", "md": "md", "ao": "ao"}


@dataclass(slots=True, frozen=True)
class StreamVariant:
    quality: str
    flv: str = ""
    hls: str = ""
    codec: str = ""  # "h264", "h265" or "" when unknown


@dataclass(slots=True, frozen=True)
class StreamChoice:
    quality: str
    url: str
    format: str  # "flv" or "hls"
    codec: str


@dataclass(slots=True, frozen=True)
class RoomStreams:
    variants: dict[str, StreamVariant] = field(default_factory=dict)
    default_quality: str = ""

    def qualities(self) -> list[str]:
        ranked = [q for q in QUALITY_ORDER if q in self.variants]
        return ranked + sorted(q for q in self.variants if q not in QUALITY_ORDER)

    def pick(self, quality: str = "origin") -> StreamChoice:
        """The requested quality, else the best available one; FLV unless the stream is H.265 and HLS exists."""
        names = [q for q in self.qualities() if q not in ("ao", "md")] or self.qualities()
        if not names:
            raise NoStream("直播间没有可用的视频流 (no stream URL in the answer)")
        wanted = quality if quality in self.variants else _match(quality, names)
        variant = self.variants[wanted]
        if variant.codec == "h265" and variant.hls:
            return StreamChoice(wanted, variant.hls, "hls", variant.codec)
        if variant.flv:
            return StreamChoice(wanted, variant.flv, "flv", variant.codec)
        return StreamChoice(wanted, variant.hls, "hls", variant.codec)


def _match(quality: str, names: list[str]) -> str:
    folded = {q.lower(): q for q in names}
    return folded.get(quality.lower(), names[0])


def _room(body: Mapping[str, Any]) -> Mapping[str, Any]:
    data = body.get("data")
    if isinstance(data, Mapping) and isinstance(data.get("data"), list):  # the whole web/enter answer
        rooms = data["data"]
        return rooms[0] if rooms and isinstance(rooms[0], Mapping) else {}
    return body  # already the room entry


def _codec(sdk_params: Any) -> str:
    try:
        params = json.loads(sdk_params) if isinstance(sdk_params, str) and sdk_params else {}
    except ValueError:
        return ""
    vcodec = str(params.get("VCodec", "")).lower() if isinstance(params, dict) else ""
    return "h265" if vcodec in ("h265", "hevc", "bytevc1") else ("h264" if vcodec else "")


def parse_streams(enter_body: Mapping[str, Any]) -> RoomStreams:
    """Every stream of the room from the whole ``web/enter`` answer or its room entry; missing parts are skipped."""
    stream_url = _room(enter_body).get("stream_url")
    if not isinstance(stream_url, Mapping):
        return RoomStreams()
    flv = stream_url.get("flv_pull_url") or {}
    hls = stream_url.get("hls_pull_url_map") or {}
    extra = stream_url.get("extra") or {}
    fallback_codec = "h265" if isinstance(extra, Mapping) and extra.get("h265_enable") else ""

    sdk: dict[str, tuple[str, str, str]] = {}
    try:
        raw = stream_url["live_core_sdk_data"]["pull_data"]["stream_data"]
        stream_data = json.loads(raw) if isinstance(raw, str) else raw
        for key, entry in (stream_data.get("data") or {}).items():
            main = entry.get("main") or {}
            sdk[_SDK_TO_NAME.get(key, key)] = (main.get("flv", ""), main.get("hls", ""), _codec(main.get("sdk_params")))
    except (KeyError, TypeError, ValueError, AttributeError):
        pass  # older answers carry only the pull maps

    variants: dict[str, StreamVariant] = {}
    for name in set(flv) | set(hls):
        codec = sdk.get(name, ("", "", ""))[2]
        if not codec and name == "FULL_HD1":
            codec = sdk.get("origin", ("", "", ""))[2]
        variants[name] = StreamVariant(name, str(flv.get(name, "")), str(hls.get(name, "")), codec or fallback_codec)
    for name, (flv_url, hls_url, codec) in sdk.items():
        if name not in variants and (flv_url or hls_url):
            variants[name] = StreamVariant(name, flv_url, hls_url, codec or fallback_codec)
    default = str(stream_url.get("default_resolution", ""))
    return RoomStreams(variants, default)


def choose_stream(enter_body: Mapping[str, Any], quality: str = "origin") -> StreamChoice:
    """The stream to record for ``quality`` (``origin``, ``FULL_HD1``, ``HD1``, ``SD1``, ``SD2``). Raises NoStream."""
    return parse_streams(enter_body).pick(quality)
