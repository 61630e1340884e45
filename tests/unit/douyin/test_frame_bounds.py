"""Hardening #12, finding 7: a gzip bomb in a push frame is refused with bounded memory and time."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from shared.platforms.douyin.errors import FrameError
from shared.platforms.douyin.frames import (
    MAX_FRAME_BYTES,
    MAX_INFLATED_BYTES,
    decode_inbound,
    gzip_bomb,
    gzip_bytes,
)
from shared.platforms.douyin.proto import douyin_pb2 as pb


def msg_frame(payload: bytes, *, gzip: bool = True) -> bytes:
    headers = [pb.HeaderEntry(key="compress_type", value="gzip")] if gzip else []
    frame = pb.PushFrame(seq_id=1, log_id=2, headers=headers, payload_type="msg", payload=payload)
    return bytes(frame.SerializeToString())


@pytest.fixture(scope="module")
def bomb_frame() -> bytes:
    """The finding's bomb: about 510 KiB on the wire, 512 MiB inflated, a valid Response once inflated."""
    frame = msg_frame(gzip_bomb(512 << 20))
    assert len(frame) < MAX_FRAME_BYTES  # small enough to pass the frame bound: the inflation bound must catch it
    return frame


def test_gzip_bomb_is_refused_in_bounded_memory_and_time(bomb_frame: bytes) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(FrameError, match="inflates past"):
            decode_inbound(bomb_frame)
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * MAX_INFLATED_BYTES, peak
    assert elapsed < 0.5, elapsed


def test_a_payload_just_under_the_bound_still_decodes() -> None:
    data = decode_inbound(msg_frame(gzip_bomb(MAX_INFLATED_BYTES - 1024)))
    assert data.response is not None and data.response.cursor == "bomb"
    assert len(data.response.internal_ext) > MAX_INFLATED_BYTES - 2048


def test_an_oversized_frame_is_refused_before_parsing() -> None:
    response = pb.Response(cursor="big", internal_ext="x" * MAX_FRAME_BYTES)
    with pytest.raises(FrameError, match="over the"):
        decode_inbound(msg_frame(response.SerializeToString(), gzip=False))


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(gzip_bytes(pb.Response(cursor="c").SerializeToString())[:-6], id="truncated"),
        pytest.param(gzip_bytes(b"\x0a\x05hello")[:-9] + b"\x00garbage", id="corrupt"),
    ],
)
def test_truncated_or_corrupt_gzip_is_still_a_frame_error(payload: bytes) -> None:
    with pytest.raises(FrameError, match="bad gzip"):
        decode_inbound(msg_frame(payload))
