"""Schema regeneration, signer, WebSocket URL, stream choice and page / web/enter parsing."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlsplit

import pytest

from services.douyin_fetcher.fake_server.signing import reference_signature
from shared.platforms.douyin.errors import (
    BadRoomInput,
    EmptyAnswer,
    NoStream,
    RiskControlPage,
    RoomNotFound,
    SignatureError,
    SignerNotConfigured,
)
from shared.platforms.douyin.frames import HEARTBEAT, build_ack, parse_push_frame
from shared.platforms.douyin.proto import regen
from shared.platforms.douyin.resolve import LiveStatus, parse_enter, parse_live_id, parse_room_page
from shared.platforms.douyin.signer import JsSigner, NoSigner, make_signer, x_ms_stub
from shared.platforms.douyin.streams import choose_stream, parse_streams
from shared.platforms.douyin.wsurl import build_ws_url, ws_params
from tests.e2e.harness import TEST_SIGNER_JS

from .conftest import FIXTURES, load


def test_generated_schema_matches_the_proto() -> None:
    assert regen.differences() == []


def test_heartbeat_and_ack_bytes() -> None:
    assert bytes.fromhex("3a026862") == HEARTBEAT
    ack = build_ack(4901453207607389421, "internal_src:pushserver")
    assert ack.startswith(b"\x10") and parse_push_frame(ack).payload_type == "ack"


def test_x_ms_stub_uses_the_13_keys_in_order() -> None:
    params = ws_params("7690183442860198697", "2824504236962640624", now_ms=1)
    text = (
        "live_id=1,aid=6383,version_code=180800,webcast_sdk_version=1.0.15,room_id=7690183442860198697,"
        "sub_room_id=,sub_channel_id=,did_rule=3,user_unique_id=2824504236962640624,device_platform=web,"
        "device_type=,ac=,identity=audience"
    )
    import hashlib

    assert x_ms_stub(params) == hashlib.md5(text.encode()).hexdigest()


def test_js_signer_runs_the_test_script() -> None:
    signer = make_signer(f"js:{TEST_SIGNER_JS}")
    assert isinstance(signer, JsSigner)
    for stub in ("0" * 32, "d41d8cd98f00b204e9800998ecf8427e", "ffffffffffffffffffffffffffffffff"):
        value = asyncio.run(signer.sign(stub))
        assert value == reference_signature(stub) and len(value) == 16


def test_signer_errors_say_what_to_do(tmp_path) -> None:
    with pytest.raises(SignerNotConfigured, match="TIMAO_DOUYIN_SIGNER"):
        make_signer("")
    with pytest.raises(SignerNotConfigured, match="not found"):
        make_signer(f"js:{tmp_path / 'missing.js'}")
    bad = tmp_path / "bad.js"
    bad.write_text("var x = 1;", encoding="utf-8")
    with pytest.raises(SignatureError, match="get_sign"):
        make_signer(f"js:{bad}").sign_sync("00")  # type: ignore[attr-defined]
    assert asyncio.run(NoSigner().sign("00")) is None
    assert isinstance(make_signer("none"), NoSigner)


def test_ws_url_encodes_signature_and_keeps_order() -> None:
    params = ws_params("7690183442860198697", "2824504236962640624", cursor="t-1_r-2_d-1_u-1", internal_ext="a:1|b:2")
    url = build_ws_url("wss://host/webcast/im/push/v2/", params, "6l+ErMiddwgL2Tah")
    assert url.endswith("&signature=6l%2BErMiddwgL2Tah")
    query = urlsplit(url).query
    keys = [k for k, _ in parse_qsl(query)]
    assert keys[:3] == ["app_name", "version_code", "webcast_sdk_version"] and keys[-1] == "signature"
    decoded = dict(parse_qsl(query))
    assert decoded["internal_ext"] == "a:1|b:2" and decoded["room_id"] == "7690183442860198697"
    assert "internal_ext" not in ws_params("1", "2")  # a first connection sends none (2026 client)


@pytest.mark.parametrize(
    ("text", "live_id"),
    [
        ("148108118778", "148108118778"),
        ("  148108118778 ", "148108118778"),
        ("https://live.douyin.com/148108118778", "148108118778"),
        ("https://live.douyin.com/148108118778?enter_from=share", "148108118778"),
        ("live.douyin.com/148108118778/", "148108118778"),
    ],
)
def test_live_id_accepts_ids_and_room_urls(text: str, live_id: str) -> None:
    assert parse_live_id(text) == live_id


@pytest.mark.parametrize("text", ["", "abc", "12", "https://evil.example/148108118778", "https://live.douyin.com/abc"])
def test_live_id_rejects_anything_else(text: str) -> None:
    with pytest.raises(BadRoomInput, match="直播间"):
        parse_live_id(text)


def test_room_page_capture() -> None:
    html = (FIXTURES / "S06-room-html-live" / "body.html").read_text(encoding="utf-8")
    page = parse_room_page(html)
    assert page.room_id == "7687741736843512602" and page.live_status is LiveStatus.LIVE
    assert page.user_unique_id == "3206615808875333557" and page.anchor and page.anchor.nickname == "小央视频"
    assert page.title == "央视新闻频道正在直播" and page.web_rid == "547977714661"
    with pytest.raises(RiskControlPage):
        parse_room_page("<html><body>验证码</body></html>")


def test_enter_answers_capture() -> None:
    live = parse_enter(load("S04-enter-live/body.json"), "547977714661")
    assert (live.status, live.room_id, live.room_status) == (LiveStatus.LIVE, "7687741736843512602", 0)
    assert live.anchor and live.anchor.nickname == "小央视频" and live.title == "央视新闻频道正在直播"
    ended = parse_enter(load("S04-enter-offline/body.json"), "745964462470")
    assert (ended.status, ended.room_status) == (LiveStatus.ENDED, 2)
    with pytest.raises(RoomNotFound):
        parse_enter(load("S04-enter-notfound/body.json"), "999999999999")
    with pytest.raises(EmptyAnswer):
        parse_enter(b"", "547977714661")


def test_streams_from_capture() -> None:
    body = load("S04-enter-live/body.json")
    streams = parse_streams(body)
    assert {"origin", "FULL_HD1", "HD1", "SD1", "SD2"} <= set(streams.qualities())
    best = choose_stream(body)
    assert best.quality == "origin" and best.format == "flv" and ".flv" in best.url and best.codec == "h264"
    assert choose_stream(body, "sd1").url.split("?")[0].endswith("_ld.flv")
    assert parse_streams(load("S04-enter-live-portrait/body.json")).pick("HD1").url
    with pytest.raises(NoStream):
        choose_stream(load("S04-enter-offline/body.json"))


def test_h265_prefers_hls() -> None:
    body = {
        "stream_url": {
            "flv_pull_url": {"HD1": "http://x/a.flv"},
            "hls_pull_url_map": {"HD1": "http://x/a.m3u8"},
            "extra": {"h265_enable": True},
        }
    }
    choice = choose_stream(body, "HD1")
    assert (choice.format, choice.url, choice.codec) == ("hls", "http://x/a.m3u8", "h265")


def test_decoder_removes_nul_and_bounds_ids_from_the_wire() -> None:
    """A viewer's NUL or an over-long id string never reaches the bus as it came (PostgreSQL refuses both)."""
    from shared.platforms.douyin.messages import MessageDecoder
    from shared.platforms.douyin.proto import douyin_pb2 as pb

    chat = pb.ChatMessage(content="你\x00好")
    chat.common.msg_id = 7
    chat.user.id_str = "u" * 500
    chat.user.nickname = "昵\x00称"
    fans = pb.FansclubMessage(content="加入\x00粉丝团")
    fans.common.msg_id = 8
    messages = [
        pb.Message(method="WebcastChatMessage", payload=chat.SerializeToString()),
        pb.Message(method="WebcastFansclubMessage", payload=fans.SerializeToString()),
    ]
    chat_event, fans_event = MessageDecoder("s", "1").decode(messages, received_ms=1_700_000_000_000)
    assert chat_event["data"]["content"] == "你好" and chat_event["user"]["nickname"] == "昵称"
    assert len(chat_event["user"]["id"]) == 64 and chat_event["user"]["id"].startswith("uuu")
    assert fans_event["data"]["content"] == "加入粉丝团"
