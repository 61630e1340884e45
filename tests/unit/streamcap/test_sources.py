from __future__ import annotations

import sys
import threading
import types
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from services.streamcap.errors import SourceUnavailable, StreamOffline, UnsupportedSource
from services.streamcap.sources import (
    DirectSource,
    DouyinSource,
    DouyinStreams,
    StreamlinkSource,
    choose_quality,
    make_source,
    validate_stream_url,
)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("concat:a|b", id="concat"),
        pytest.param("pipe:0", id="pipe"),
        pytest.param("http://", id="no-host"),
        pytest.param("/tmp/x.flv", id="path"),
    ],
)
def test_refuses_non_network_urls(url: str) -> None:
    with pytest.raises(UnsupportedSource):
        validate_stream_url(url)


def test_direct_source_uses_url_as_is() -> None:
    source = DirectSource("http://127.0.0.1:1/live/room.flv?sign=x", check_live=False)
    stream = source.resolve()
    assert stream.url == "http://127.0.0.1:1/live/room.flv?sign=x"
    assert stream.name == "room"
    assert not stream.is_hls


STREAMS = {"hd": ["http://cdn/hd1.flv", "http://cdn/hd2.flv"], "origin": ["http://cdn/or.flv"], "sd": []}


@pytest.mark.parametrize(
    ("wanted", "quality"),
    [
        pytest.param("hd", "hd", id="requested"),
        pytest.param(None, "origin", id="best-by-default"),
        pytest.param("sd", "origin", id="empty-falls-back"),
        pytest.param("uhd", "origin", id="missing-falls-back"),
    ],
)
def test_choose_quality(wanted: str | None, quality: str) -> None:
    assert choose_quality(STREAMS, wanted)[0] == quality


def test_choose_quality_offline() -> None:
    with pytest.raises(StreamOffline):
        choose_quality({"hd": []}, None)


def test_douyin_source_rotates_candidates_and_reresolves() -> None:
    calls: list[str] = []

    def resolver(room: str) -> Mapping[str, Sequence[str]]:
        calls.append(room)
        return STREAMS

    source = DouyinSource("https://live.douyin.com/123", resolver, quality="hd")
    assert source.resolve(0).url == "http://cdn/hd1.flv"
    assert source.resolve(1).url == "http://cdn/hd2.flv"
    assert len(calls) == 2  # every (re)start asks again: URLs expire


def test_douyin_source_async_resolver_and_names() -> None:
    async def resolver(room: str) -> DouyinStreams:
        return DouyinStreams(streams={"origin": ["https://cdn/a.flv"]}, anchor="小猫", headers={"Referer": "x"})

    stream = DouyinSource("123", resolver).resolve()
    assert (stream.url, stream.name, dict(stream.headers)) == ("https://cdn/a.flv", "小猫", {"Referer": "x"})


def test_douyin_source_offline_and_transient() -> None:
    with pytest.raises(StreamOffline):
        DouyinSource("1", lambda room: {}).resolve()

    def broken(room: str) -> Any:
        raise ConnectionResetError("reset")

    with pytest.raises(SourceUnavailable):
        DouyinSource("1", broken).resolve()


def test_douyin_needs_resolver() -> None:
    with pytest.raises(UnsupportedSource):
        make_source("douyin", "123")


def test_streamlink_missing_gives_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "streamlink", None)
    source = make_source("twitch", "https://www.twitch.tv/someone")
    with pytest.raises(UnsupportedSource, match="pip install streamlink"):
        source.resolve()


def test_streamlink_plugin_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    class PluginError(Exception):
        pass

    class NoPluginError(PluginError):
        pass

    class FakeStream:
        def to_url(self) -> str:
            return "https://cdn.example/index.m3u8"

    class FakeSession:
        http = types.SimpleNamespace(headers={"User-Agent": "ua", "Accept": "*/*"})

        def streams(self, url: str) -> dict[str, Any]:
            if "unknown" in url:
                raise NoPluginError(url)
            return {"720p": FakeStream(), "best": FakeStream()}

    fake = types.SimpleNamespace(Streamlink=FakeSession, NoPluginError=NoPluginError, PluginError=PluginError)
    monkeypatch.setitem(sys.modules, "streamlink", fake)
    stream = StreamlinkSource("twitch", "https://www.twitch.tv/x", quality="720p").resolve()
    assert (
        stream.url == "https://cdn.example/index.m3u8"
        and stream.is_hls
        and dict(stream.headers) == {"User-Agent": "ua"}
    )
    with pytest.raises(UnsupportedSource):
        StreamlinkSource("x", "https://unknown.example/").resolve()


def test_unknown_platform_name_refused() -> None:
    with pytest.raises(UnsupportedSource):
        make_source("../../x", "https://a.b/")


class _Playlists(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.apple.mpegurl")
        self.end_headers()
        if self.path.startswith("/huge"):
            line = b"#EXTINF:2.0,\nseg.ts\n" * 4096
            for _ in range(2000):  # ~160 MB unless the reader stops early
                try:
                    self.wfile.write(line)
                except OSError:
                    return
        elif self.path.startswith("/ended"):
            self.wfile.write(b"#EXTM3U\n#EXTINF:2.0,\na.ts\n#EXT-X-ENDLIST\n")
        else:
            self.wfile.write(b"#EXTM3U\n#EXTINF:2.0,\na.ts\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_the_hls_live_check_reads_a_bounded_playlist() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Playlists)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert DirectSource(f"{base}/live.m3u8").resolve().url.endswith("live.m3u8")
        with pytest.raises(StreamOffline, match="ENDLIST"):
            DirectSource(f"{base}/ended.m3u8").resolve()
        with pytest.raises(SourceUnavailable, match="playlist larger than"):
            DirectSource(f"{base}/huge.m3u8").resolve()
    finally:
        server.shutdown()
        server.server_close()
