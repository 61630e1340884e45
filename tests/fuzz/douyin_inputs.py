"""Inputs for fuzzing the Douyin frame decoder, and the check every input must pass (hardening #12, fuzzing).

Strategies build server frames at every layer the decoder reads: raw bytes; the real captured frames of
tests/fixtures/douyin/danmaku, bit-flipped, truncated or spliced; and PushFrame → (gzip) Response → Message → payload
protobufs generated field by field from their descriptors (random values, NUL and over-long strings, 64-bit edges),
each layer possibly damaged before the next wraps it, so damage reaches past the gzip and the outer parse.

``check_frame`` is the property: the decoder either refuses the frame with FrameError or returns events that are valid
live events, serialise as the fetcher publishes them, carry no NUL, no id over 64 characters and no integer beyond
64 bits; it takes bounded time; and the same decoder still decodes a good frame afterwards.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message
from hypothesis import strategies as st

from shared.events import MAX_ID_LENGTH, MAX_INT, LiveEvent
from shared.platforms.douyin.errors import FrameError
from shared.platforms.douyin.frames import build_msg_frame, gzip_bytes
from shared.platforms.douyin.mapping import METHODS
from shared.platforms.douyin.messages import MessageDecoder
from shared.platforms.douyin.proto import douyin_pb2 as pb

__all__ = [
    "CORPUS_DIR",
    "FRAME_SECONDS",
    "any_frame",
    "check_event",
    "check_frame",
    "corpus_files",
    "damaged",
    "mutated_seed",
    "new_decoder",
    "proto",
    "seed_frames",
    "structured_frame",
]

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = ROOT / "tests" / "fixtures" / "douyin" / "danmaku"
CORPUS_DIR = Path(__file__).resolve().parent / "corpus" / "douyin"

# One frame, however hostile, must not hold the receive loop: real frames decode in well under a millisecond, a
# gzip bomb is refused in a few, the worst frames within the bounds (tests/fuzz/corpus/douyin/slow-*) take about
# 0.13 s, and took 1-1.3 s before them. Measured as this thread's CPU time, so that a busy shared machine does not
# make it flaky (hypothesis's deadline bounds the wall time).
FRAME_SECONDS = 0.5

# Fields of an event that hold ids stored in 64-character columns (docs/contracts.md, Live events).
_ID_FIELDS = ("session_id", "msg_id")


# ---------------------------------------------------------------- seeds


def seed_frames() -> list[bytes]:
    """Every server→client frame of the real captures, smallest first (hypothesis shrinks toward the start)."""
    found: set[bytes] = set()
    for path in sorted(CAPTURES.glob("*/frames.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("dir", "in") == "in":
                found.add(base64.b64decode(row["b64"]))
    return sorted(found, key=lambda b: (len(b), b))


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS_DIR.iterdir() if p.suffix == ".bin")


def _seed_responses(seeds: list[bytes]) -> list[pb.Response]:
    """The Responses inside the seed frames that parse (to damage them below the gzip layer)."""
    out = []
    for data in seeds:
        try:
            frame = pb.PushFrame.FromString(data)
            payload = frame.payload
            if payload[:2] == b"\x1f\x8b":
                payload = zlib.decompress(payload, 16 + zlib.MAX_WBITS)
            if frame.payload_type == "msg":
                out.append(pb.Response.FromString(payload))
        except (DecodeError, zlib.error):  # the vectors include broken frames on purpose
            continue
    return out


_SEEDS = seed_frames()
_SEED_RESPONSES = _seed_responses(_SEEDS)
_SEED_MESSAGES = [m for r in _SEED_RESPONSES for m in r.messages]


# ---------------------------------------------------------------- damage


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` unchanged, or with a few bit flips, a truncation, inserted or deleted bytes, or a spliced repeat."""
    # Three times in four the layer stays intact, so that damage at one layer still leaves the others readable.
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "splice", *["keep"] * 15]))
    if kind == "keep" or not data:
        return data
    buf = bytearray(data)
    if kind == "flip":
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(buf) - 1))
            buf[i] ^= 1 << draw(st.integers(0, 7))
    elif kind == "truncate":
        del buf[draw(st.integers(0, len(buf) - 1)) :]
    elif kind == "insert":
        i = draw(st.integers(0, len(buf)))
        buf[i:i] = draw(st.binary(min_size=1, max_size=12))
    elif kind == "delete":
        i = draw(st.integers(0, len(buf) - 1))
        del buf[i : i + draw(st.integers(1, 8))]
    else:
        i = draw(st.integers(0, len(buf) - 1))
        j = draw(st.integers(i, len(buf)))
        buf[j:j] = buf[i:j]
    return bytes(buf)


# ---------------------------------------------------------------- protobufs from their descriptors

_INT_RANGES = {
    FieldDescriptor.CPPTYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.CPPTYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.CPPTYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.CPPTYPE_UINT64: (0, 2**64 - 1),
}

# Text as viewers and hostile senders write it: any UTF-8 character, NULs on purpose, now and then far too long.
_TEXT = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=24),
    st.text(st.sampled_from("\x00a用户*"), max_size=8),
    st.text(st.sampled_from("7\x00x"), min_size=60, max_size=200),
)


def _int(lo: int, hi: int) -> st.SearchStrategy[int]:
    # Edges (0, ±1, the type's bounds, plausible epoch times) weigh as much as the whole range.
    edges = [v for v in (0, 1, -1, lo, hi, 1_700_000_000, 1_700_000_000_000) if lo <= v <= hi]
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi))


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    cpp = field.cpp_type
    if cpp in _INT_RANGES:
        return _int(*_INT_RANGES[cpp])
    if cpp == FieldDescriptor.CPPTYPE_ENUM:
        return st.one_of(st.sampled_from([v.number for v in field.enum_type.values]), _int(-(2**31), 2**31 - 1))
    if cpp == FieldDescriptor.CPPTYPE_BOOL:
        return st.booleans()
    if cpp in (FieldDescriptor.CPPTYPE_DOUBLE, FieldDescriptor.CPPTYPE_FLOAT):
        return st.floats(width=32 if cpp == FieldDescriptor.CPPTYPE_FLOAT else 64)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=24)
    return _TEXT


@st.composite
def proto(draw: st.DrawFn, descriptor: Descriptor, depth: int = 3) -> Message:
    """A message of ``descriptor``'s type with a random subset of its fields set to random values."""
    msg = message_factory.GetMessageClass(descriptor)()
    for field in descriptor.fields:
        if not draw(st.booleans()):
            continue
        if field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
            if depth <= 0:
                continue
            sub = field.message_type
            if sub.GetOptions().map_entry:
                key_f, value_f = sub.fields_by_name["key"], sub.fields_by_name["value"]
                entries = draw(st.lists(st.tuples(_scalar(key_f), st.just(None)), max_size=2))
                container = getattr(msg, field.name)
                for key, _ in entries:
                    if value_f.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
                        container[key].CopyFrom(draw(proto(value_f.message_type, depth - 1)))
                    else:
                        container[key] = draw(_scalar(value_f))
            elif field.is_repeated:
                for item in draw(st.lists(proto(sub, depth - 1), max_size=2)):
                    getattr(msg, field.name).add().CopyFrom(item)
            else:
                getattr(msg, field.name).CopyFrom(draw(proto(sub, depth - 1)))
        elif field.is_repeated:
            getattr(msg, field.name).extend(draw(st.lists(_scalar(field), max_size=3)))
        else:
            setattr(msg, field.name, draw(_scalar(field)))
    return msg


# ---------------------------------------------------------------- the layers


@st.composite
def message_payload(draw: st.DrawFn, method: str) -> bytes:
    spec = METHODS.get(method)
    if spec is None or draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=64))
    inner = draw(proto(spec.parser.__self__.DESCRIPTOR))  # type: ignore[attr-defined]
    if draw(st.booleans()):
        # A real-looking Common: a plausible msg id and create time, sometimes another room.
        inner.common.msg_id = draw(_int(0, 2**64 - 1))
        inner.common.create_time = draw(_int(0, 2**64 - 1))
        inner.common.room_id = draw(st.sampled_from([0, 7, 7_000_000_000_000_000_000]))
    return draw(damaged(inner.SerializeToString()))


@st.composite
def envelope(draw: st.DrawFn) -> pb.Message:
    if _SEED_MESSAGES and draw(st.integers(0, 3)) == 0:
        seed = draw(st.sampled_from(_SEED_MESSAGES))
        out = pb.Message()
        out.CopyFrom(seed)
        out.payload = draw(damaged(seed.payload))
        out.msg_id = draw(_int(-(2**63), 2**63 - 1))
        return out
    method = draw(st.sampled_from(sorted(METHODS))) if draw(st.integers(0, 4)) else draw(_TEXT)
    return pb.Message(
        method=method,
        payload=draw(message_payload(method)),
        msg_id=draw(_int(-(2**63), 2**63 - 1)),
        msg_type=draw(_int(-(2**31), 2**31 - 1)),
    )


@st.composite
def response_bytes(draw: st.DrawFn) -> bytes:
    if _SEED_RESPONSES and draw(st.integers(0, 3)) == 0:
        response = pb.Response()
        response.CopyFrom(draw(st.sampled_from(_SEED_RESPONSES)))
    else:
        response = draw(proto(pb.Response.DESCRIPTOR, depth=0))
    response.messages.extend(draw(st.lists(envelope(), max_size=4)))
    return draw(damaged(response.SerializeToString()))


_COMPRESS = st.sampled_from(["gzip", "GZIP", "Gzip", "none", "", "deflate", "gzip\x00"])


@st.composite
def structured_frame(draw: st.DrawFn) -> bytes:
    payload = draw(response_bytes())
    compress = draw(_COMPRESS)
    if draw(st.booleans()):
        payload = draw(damaged(gzip_bytes(payload)))
    headers = [pb.HeaderEntry(key="compress_type", value=compress)] if draw(st.integers(0, 4)) else []
    if draw(st.booleans()):
        headers.insert(draw(st.integers(0, len(headers))), draw(proto(pb.HeaderEntry.DESCRIPTOR)))
    frame = pb.PushFrame(
        seq_id=draw(_int(0, 2**64 - 1)),
        log_id=draw(_int(0, 2**64 - 1)),
        service=8888,
        method=8,
        headers=headers,
        payload_encoding=draw(st.sampled_from(["pb", "", "json"])),
        payload_type=draw(st.sampled_from(["msg", "msg", "msg", "hb", "ack", "close", "", "MSG"])),
        payload=payload,
    )
    return draw(damaged(frame.SerializeToString()))


@st.composite
def mutated_seed(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(_SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        data = draw(damaged(data))
    return data


def any_frame() -> st.SearchStrategy[bytes]:
    """Frames for the decoder: raw bytes, damaged captures, and generated frames, roughly evenly."""
    return st.one_of(st.binary(max_size=256), mutated_seed(), structured_frame())


# ---------------------------------------------------------------- the property

_sentinel_ids = itertools.count(9_000_000_000_000_000_001)


def new_decoder() -> MessageDecoder:
    return MessageDecoder("fuzz-session", "fuzz-live", clock=lambda: 0.0)


def _good_frame() -> tuple[bytes, str]:
    """A plain chat frame with a msg id the fuzzer is most unlikely to have used, and that id."""
    msg_id = next(_sentinel_ids)
    chat = pb.ChatMessage(content="still alive")
    chat.common.msg_id = msg_id
    chat.common.create_time = 1_700_000_000_000
    chat.user.id = 42
    message = pb.Message(method="WebcastChatMessage", payload=chat.SerializeToString())
    return build_msg_frame(1, 2, pb.Response(messages=[message]), []), str(msg_id)


def check_frame(decoder: MessageDecoder, data: bytes) -> list[dict[str, Any]]:
    """The fuzz property for one frame (see the module docstring); returns the events it yielded."""
    started = time.thread_time()
    try:
        _inbound, events = decoder.decode_frame(data, received_ms=1_700_000_000_000)
    except FrameError:
        events = []
    elapsed = time.thread_time() - started
    assert elapsed < FRAME_SECONDS, f"one frame of {len(data)} bytes took {elapsed:.3f}s of CPU"
    for event in events:
        check_event(event)
    good, msg_id = _good_frame()
    _inbound, after = decoder.decode_frame(good, received_ms=1_700_000_000_000)
    assert [(e["type"], e["msg_id"], e["data"]["content"]) for e in after] == [("chat", msg_id, "still alive")]
    return events


def check_event(event: dict[str, Any]) -> None:
    LiveEvent.model_validate(event)
    orjson.dumps(event)  # as the fetcher publishes it
    for where, value in _leaves(event, ""):
        if isinstance(value, str):
            assert "\x00" not in value, f"NUL in {where}: {event!r}"
        elif isinstance(value, int):
            assert -MAX_INT - 1 <= value <= MAX_INT, f"{where} does not fit 64 bits: {event!r}"
    for key in _ID_FIELDS:
        assert len(event[key]) <= MAX_ID_LENGTH, f"{key} over {MAX_ID_LENGTH} characters: {event!r}"
    for user in _users(event):
        assert len(user["id"]) <= MAX_ID_LENGTH, f"user id over {MAX_ID_LENGTH} characters: {event!r}"


def _leaves(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Every scalar in an event, keys included, with where it is (``data.ranks[0].user.nickname``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(key, f"{where} (a key)")
            yield from _leaves(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{where}[{i}]")
    else:
        yield where, value


def _users(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if event.get("user") is not None:
        yield event["user"]
    for rank in event["data"].get("ranks", []) if event["type"] == "room_rank" else []:
        if rank.get("user") is not None:
            yield rank["user"]
