"""Stream resolution behind one small interface: give me a playable URL now.

Stream URLs from live platforms expire (signed CDN links), so a recorder calls ``resolve`` before every start and
restart instead of keeping a URL. ``attempt`` lets a source rotate through its candidate URLs (CDN failover).

- ``direct``: an FLV/HLS/RTMP URL used as it is. A live HLS playlist that carries ``#EXT-X-ENDLIST`` (or a 404) means
  the broadcast is over, which is the only way to tell "ended" from "dropped" for a bare URL.
- ``douyin``: candidate URLs per quality from an injected resolver (``shared/platforms/douyin``); no parsing here.
- anything else: the ``streamlink`` library's plugins, an optional extra imported only when used.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from services.streamcap.errors import SourceUnavailable, StreamOffline, UnsupportedSource

__all__ = [
    "ALLOWED_SCHEMES",
    "QUALITY_ORDER",
    "DirectSource",
    "DouyinResolver",
    "DouyinSource",
    "DouyinStreams",
    "ResolvedStream",
    "StreamSource",
    "StreamlinkSource",
    "choose_quality",
    "make_source",
    "validate_stream_url",
]

log = logging.getLogger(__name__)

# ffmpeg can also read local files, pipes and concat lists; a URL from a client must never reach those.
ALLOWED_SCHEMES = ("http", "https", "rtmp", "rtmps")
# Douyin's quality keys, best first; "best"/None picks the first one available.
QUALITY_ORDER = ("origin", "uhd", "hd", "sd", "ld", "md", "ao")
_RESOLVE_TIMEOUT = 20.0
# A live media playlist is a few KiB; a master playlist of many variants stays far below this.
MAX_PLAYLIST_BYTES = 1 << 20


@dataclass(frozen=True)
class ResolvedStream:
    url: str
    quality: str = ""
    # A display name for file names (streamer or room title); sanitized by the caller.
    name: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_hls(self) -> bool:
        return urlsplit(self.url).path.lower().endswith(".m3u8")


class StreamSource(Protocol):
    platform: str
    target: str

    def resolve(self, attempt: int = 0) -> ResolvedStream:
        """A fresh URL. Raises ``StreamOffline`` (not live), ``SourceUnavailable`` (retry), ``UnsupportedSource``."""
        ...


def validate_stream_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.netloc:
        raise UnsupportedSource(
            f"不支持的直播地址 (unsupported stream URL, need {'/'.join(ALLOWED_SCHEMES)}): {url[:200]}"
        )
    return url


def choose_quality(streams: Mapping[str, Sequence[str]], wanted: str | None) -> tuple[str, Sequence[str]]:
    """The requested quality if offered, else the best offered one (``QUALITY_ORDER``, then the answer's order)."""
    offered = {q: urls for q, urls in streams.items() if urls}
    if not offered:
        raise StreamOffline("没有可用的直播流 (no stream offered)")
    if wanted and wanted != "best" and wanted in offered:
        return wanted, offered[wanted]
    for quality in QUALITY_ORDER:
        if quality in offered:
            return quality, offered[quality]
    first = next(iter(offered))
    return first, offered[first]


class DirectSource:
    platform = "direct"

    def __init__(self, url: str, *, check_live: bool = True, timeout: float = 5.0) -> None:
        self.target = validate_stream_url(url)
        self._check_live = check_live
        self._timeout = timeout

    def resolve(self, attempt: int = 0) -> ResolvedStream:
        stream = ResolvedStream(url=self.target, quality="source", name=_name_from_url(self.target))
        if self._check_live and stream.is_hls:
            self._check_playlist(stream.url)
        return stream

    def _check_playlist(self, url: str) -> None:
        # Streamed and capped: a "playlist" URL that answers with a video or an endless body must not fill memory.
        try:
            with httpx.stream("GET", url, timeout=self._timeout, follow_redirects=True) as response:
                if response.status_code in (404, 410):
                    raise StreamOffline(f"直播已结束 (playlist gone, HTTP {response.status_code})")
                if response.status_code >= 400:
                    raise SourceUnavailable(f"playlist answered HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_PLAYLIST_BYTES:
                        raise SourceUnavailable(f"playlist larger than {MAX_PLAYLIST_BYTES} bytes: not a live playlist")
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"playlist unreachable: {exc}") from exc
        if b"#EXT-X-ENDLIST" in body:
            raise StreamOffline("直播已结束 (playlist has #EXT-X-ENDLIST)")


def _name_from_url(url: str) -> str:
    parts = urlsplit(url)
    stem = parts.path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem or parts.hostname or "stream"


@dataclass(frozen=True)
class DouyinStreams:
    """What a Douyin resolver answers: candidate URLs per quality (best candidate first) and names for files."""

    streams: Mapping[str, Sequence[str]]
    anchor: str = ""
    title: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


DouyinAnswer = DouyinStreams | Mapping[str, Sequence[str]]


class DouyinResolver(Protocol):
    """Resolve a Douyin room (URL or id) to stream candidates; sync or async.

    Answer an empty ``streams`` mapping when the room is not live. Raise for failures; the errors named in
    ``DouyinSource(transient_errors=...)`` are retried, others end the recording as failed.
    """

    def __call__(self, room: str) -> Awaitable[DouyinAnswer] | DouyinAnswer: ...


class DouyinSource:
    platform = "douyin"

    def __init__(
        self,
        room: str,
        resolver: DouyinResolver,
        *,
        quality: str | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        transient_errors: tuple[type[BaseException], ...] = (OSError, TimeoutError, httpx.HTTPError),
    ) -> None:
        room = room.strip()
        if not room:
            raise UnsupportedSource("抖音直播间地址或房间号不能为空 (empty Douyin room)")
        self.target = room
        self._resolver = resolver
        self._quality = quality
        # An async resolver bound to the service's event loop (its HTTP client lives there) runs on that loop.
        self._loop = loop
        self._transient = transient_errors

    def resolve(self, attempt: int = 0) -> ResolvedStream:
        try:
            answer = _call_maybe_async(self._resolver, self.target, self._loop)
        except (StreamOffline, SourceUnavailable, UnsupportedSource):
            raise
        except self._transient as exc:
            raise SourceUnavailable(f"douyin resolve failed: {exc}") from exc
        streams = answer if isinstance(answer, DouyinStreams) else DouyinStreams(streams=answer)
        quality, candidates = choose_quality(streams.streams, self._quality)
        url = validate_stream_url(candidates[attempt % len(candidates)])
        return ResolvedStream(
            url=url, quality=quality, name=streams.anchor or streams.title or self.target, headers=streams.headers
        )


def _call_maybe_async(fn: Callable[[str], Any], arg: str, loop: asyncio.AbstractEventLoop | None) -> Any:
    result = fn(arg)
    if not inspect.isawaitable(result):
        return result
    if loop is not None and loop.is_running():
        future = asyncio.run_coroutine_threadsafe(_await(result), loop)
        try:
            return future.result(timeout=_RESOLVE_TIMEOUT)
        except TimeoutError as exc:
            future.cancel()
            raise SourceUnavailable(f"resolve timed out after {_RESOLVE_TIMEOUT:g}s") from exc
    return asyncio.run(_await(result))


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


class StreamlinkSource:
    """Any site streamlink has a plugin for. ``pip install streamlink`` enables it (an optional extra)."""

    def __init__(self, platform: str, url: str, *, quality: str | None = None) -> None:
        self.platform = platform
        self.target = validate_stream_url(url)
        self._quality = quality or "best"

    def resolve(self, attempt: int = 0) -> ResolvedStream:
        streamlink = _import_streamlink()
        session = streamlink.Streamlink()
        try:
            streams = session.streams(self.target)
        except streamlink.NoPluginError as exc:
            raise UnsupportedSource(f"streamlink 不支持该地址 (no plugin for {self.target[:200]})") from exc
        except streamlink.PluginError as exc:
            raise SourceUnavailable(f"streamlink: {exc}") from exc
        if not streams:
            raise StreamOffline("直播未开始或已结束 (no streams)")
        quality = self._quality if self._quality in streams else "best" if "best" in streams else next(iter(streams))
        stream = streams[quality]
        try:
            url = stream.to_url()
        except TypeError as exc:
            raise UnsupportedSource(
                f"streamlink stream {quality!r} has no direct URL ({type(stream).__name__})"
            ) from exc
        headers = {k: v for k, v in session.http.headers.items() if k.lower() in ("user-agent", "referer", "cookie")}
        return ResolvedStream(
            url=validate_stream_url(url), quality=quality, name=_name_from_url(self.target), headers=headers
        )


def _import_streamlink() -> Any:
    try:
        import streamlink
    except ImportError as exc:
        raise UnsupportedSource(
            "该平台需要可选组件 streamlink "
            "(this platform needs the optional 'streamlink' package: pip install streamlink)"
        ) from exc
    return streamlink


def make_source(
    platform: str,
    target: str,
    *,
    quality: str | None = None,
    douyin_resolver: DouyinResolver | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> StreamSource:
    platform = platform.strip().lower()
    if platform == "direct":
        return DirectSource(target)
    if platform == "douyin":
        if douyin_resolver is None:
            raise UnsupportedSource("抖音解析器未配置 (no Douyin resolver configured)")
        return DouyinSource(target, douyin_resolver, quality=quality, loop=loop)
    if not platform.isidentifier():
        raise UnsupportedSource(f"未知平台 (unknown platform): {platform[:50]!r}")
    return StreamlinkSource(platform, target, quality=quality)
