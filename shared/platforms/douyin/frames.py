"""Bytes ⇄ PushFrame / Response (docs/protocol/douyin.md §3).

A server frame is a serialized ``PushFrame``; its payload is a ``Response`` that is gunzipped only when the frame's
``compress_type`` header says ``gzip`` (never by sniffing magic bytes). Client frames are the ACK and the binary
heartbeat. Everything here is pure and synchronous: the client calls it from its receive loop.

Both the frame and its inflated payload are bounded (``MAX_FRAME_BYTES``, ``MAX_INFLATED_BYTES``), and so is the number
of messages in its Response (``MAX_MESSAGES``): a frame over any bound is refused with FrameError, one frame lost and
never the connection, so a gzip bomb costs a few MiB and a few milliseconds instead of the whole memory and the event
loop, and 4 KiB of gzip cannot make the decoder walk two million empty messages (seconds of event-loop time).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from google.protobuf.message import DecodeError

from shared.platforms.douyin.errors import FrameError, truncate
from shared.platforms.douyin.proto import douyin_pb2 as pb

__all__ = [
    "HEARTBEAT",
    "MAX_FRAME_BYTES",
    "MAX_INFLATED_BYTES",
    "MAX_MESSAGES",
    "FrameKind",
    "InboundFrame",
    "build_ack",
    "build_close",
    "build_heartbeat_reply",
    "build_msg_frame",
    "decode_inbound",
    "gzip_bomb",
    "gzip_bytes",
    "header",
    "parse_push_frame",
    "parse_response",
]

# PushFrame{payload_type: "hb"}: exactly 3a 02 68 62, as the browser sends it (§3.7).
HEARTBEAT = b":\x02hb"
_GZIP_MAGIC = b"\x1f\x8b"

# Real push frames are a few KiB (the largest of the captures in tests/fixtures/douyin/danmaku: 1.4 KiB, 1.5 KiB
# inflated); a busy room batches more messages into one frame, still far below these bounds. The client's WebSocket
# limit (ClientOptions.max_frame_bytes, 8 MiB) stays above MAX_FRAME_BYTES, so an oversized frame is refused here,
# counted as bad, and the connection goes on.
MAX_FRAME_BYTES = 1 << 20
MAX_INFLATED_BYTES = 4 << 20
# The captures carry 1–19 messages per frame. Parsing 4 MiB of Response is cheap (about 0.2 s at worst); walking each
# of its messages in Python is what costs, so their number is bounded far above any real batch.
MAX_MESSAGES = 5_000


class FrameKind:
    MSG = "msg"
    HEARTBEAT = "hb"
    ACK = "ack"
    CLOSE = "close"


@dataclass(slots=True)
class InboundFrame:
    """A decoded server frame. ``response`` is set for ``msg`` frames; ``ack`` is the reply to send, if any."""

    frame: pb.PushFrame
    kind: str
    response: pb.Response | None = None
    ack: bytes | None = None


def parse_push_frame(data: bytes) -> pb.PushFrame:
    frame = pb.PushFrame()
    try:
        frame.ParseFromString(data)
    except DecodeError as exc:
        raise FrameError(f"not a PushFrame: {truncate(data)}") from exc
    return frame


def header(frame: pb.PushFrame, key: str) -> str:
    """The frame header ``key`` (first occurrence), or ''."""
    for entry in frame.headers:
        if entry.key == key:
            return str(entry.value)
    return ""


def _gunzip(data: bytes, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """Inflate a gzip payload to at most ``limit`` bytes; a bigger, truncated or corrupt stream is a FrameError."""
    # wbits 16+MAX_WBITS: gzip container only. max_length stops zlib at the bound instead of inflating it all.
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise FrameError(f"bad gzip payload: {exc}: {truncate(data)}") from exc
    if len(out) > limit:
        raise FrameError(f"gzip payload inflates past {limit} bytes ({len(data)} bytes compressed): refused")
    if not inflater.eof:
        raise FrameError(f"bad gzip payload: truncated stream: {truncate(data)}")
    return out


def parse_response(frame: pb.PushFrame) -> pb.Response:
    """The frame's ``Response``; gunzip only when the header ``compress_type`` is gzip (any case).

    A payload flagged gzip that lacks the gzip magic is read as plain protobuf rather than dropped: test vectors
    and relays that re-encode payloads keep the header. A gzip stream is never inferred without the header.
    """
    payload = frame.payload
    if header(frame, "compress_type").lower() == "gzip" and payload[:2] == _GZIP_MAGIC:
        payload = _gunzip(payload)
    response = pb.Response()
    try:
        response.ParseFromString(payload)
    except DecodeError as exc:
        raise FrameError(f"not a Response: {truncate(payload)}") from exc
    if len(response.messages) > MAX_MESSAGES:
        raise FrameError(f"Response of {len(response.messages)} messages is over the {MAX_MESSAGES} bound: refused")
    return response


def build_ack(log_id: int, internal_ext: str) -> bytes:
    """The ACK for a frame: ``PushFrame{log_id, payload_type="ack", payload=internal_ext}`` and nothing else (§3.6)."""
    ack = pb.PushFrame(log_id=log_id, payload_type=FrameKind.ACK, payload=internal_ext.encode())
    return bytes(ack.SerializeToString())


def decode_inbound(data: bytes) -> InboundFrame:
    """Decode one server frame and prepare its ACK. Raises FrameError for a frame that cannot be read."""
    if len(data) > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {len(data)} bytes is over the {MAX_FRAME_BYTES} byte bound: refused")
    frame = parse_push_frame(data)
    kind = frame.payload_type
    if kind != FrameKind.MSG:
        return InboundFrame(frame, kind)
    response = parse_response(frame)
    ack = build_ack(frame.log_id, response.internal_ext) if response.need_ack else None
    return InboundFrame(frame, kind, response, ack)


# ---------------------------------------------------------------- server-side builders (fake server, tests)


def gzip_bytes(data: bytes) -> bytes:
    comp = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return comp.compress(data) + comp.flush()


def gzip_bomb(inflated_bytes: int) -> bytes:
    """A gzip stream of about ``inflated_bytes / 1000`` bytes that inflates to a valid ``Response`` of
    ``inflated_bytes`` (one huge ``internal_ext``): the decompression bomb the decoder must refuse."""
    size = max(0, inflated_bytes - 16)
    head = pb.Response(cursor="bomb").SerializeToString() + b"\x2a" + _varint(size)  # field 5 (internal_ext)
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [comp.compress(head)]
    chunk = b"a" * (1 << 20)
    for start in range(0, size, len(chunk)):
        parts.append(comp.compress(chunk[: min(len(chunk), size - start)]))
    parts.append(comp.flush())
    return b"".join(parts)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def build_msg_frame(
    seq_id: int,
    log_id: int,
    response: pb.Response,
    headers: list[tuple[str, str]],
    *,
    gzip: bool = True,
) -> bytes:
    payload = response.SerializeToString()
    all_headers = ([("compress_type", "gzip")] if gzip else []) + headers
    frame = pb.PushFrame(
        seq_id=seq_id,
        log_id=log_id,
        service=8888,
        method=8,
        headers=[pb.HeaderEntry(key=k, value=v) for k, v in all_headers],
        payload_encoding="pb",
        payload_type=FrameKind.MSG,
        payload=gzip_bytes(payload) if gzip else payload,
    )
    return bytes(frame.SerializeToString())


def build_heartbeat_reply(seq_id: int, server_time_ms: int) -> bytes:
    frame = pb.PushFrame(
        seq_id=seq_id,
        service=8888,
        method=8,
        headers=[
            pb.HeaderEntry(key="server_time", value=str(server_time_ms)),
            pb.HeaderEntry(key="compress_type", value="gzip"),
        ],
        payload_type=FrameKind.HEARTBEAT,
        payload=gzip_bytes(b""),
    )
    return bytes(frame.SerializeToString())


def build_close(seq_id: int) -> bytes:
    return bytes(pb.PushFrame(seq_id=seq_id, service=8888, method=8, payload_type=FrameKind.CLOSE).SerializeToString())
