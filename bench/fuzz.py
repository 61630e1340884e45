"""The fuzz tests (tests/fuzz) beyond the bounded pass of ``make test``, and the hand-made part of their corpus.

    .venv/bin/python bench/fuzz.py run [--examples 20000] [--only douyin|api] [--conformance]
    .venv/bin/python bench/fuzz.py corpus        # rewrite the hand-made frames of tests/fuzz/corpus/douyin/

``run`` is pytest on tests/fuzz with TIMAO_FUZZ_EXAMPLES set: fresh random inputs on every run (the bounded pass is
derandomized), hypothesis's example database in .hypothesis/ (git-ignored), and every failing Douyin frame kept in
test-artifacts/fuzz/douyin/ (the newest is the shrunk one; copy it into the corpus once fixed). ``--conformance``
also counts what schemathesis's other checks say about the API's documented responses (issue #15), without failing.

``corpus`` writes the frames below from code, so each one says how it was made. Crashers found by a run are copied
into the corpus as they are, under their own names, and this command leaves them alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.platforms.douyin.frames import (  # noqa: E402
    MAX_INFLATED_BYTES,
    MAX_MESSAGES,
    build_close,
    build_heartbeat_reply,
    build_msg_frame,
    gzip_bomb,
    gzip_bytes,
)
from shared.platforms.douyin.proto import douyin_pb2 as pb  # noqa: E402
from tests.fuzz.douyin_inputs import CORPUS_DIR, seed_frames  # noqa: E402

U64 = 2**64 - 1
T0 = 1_700_000_000_000


# ---------------------------------------------------------------- building blocks


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        bits, value = value & 0x7F, value >> 7
        out.append(bits | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field, written by hand (for bytes protobuf itself would refuse to build)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _frame(payload: bytes, *, gzip: bool = True, compress: str = "gzip", payload_type: str = "msg") -> bytes:
    headers = [pb.HeaderEntry(key="compress_type", value=compress)] if compress else []
    frame = pb.PushFrame(seq_id=1, log_id=2, service=8888, method=8, headers=headers, payload_type=payload_type)
    frame.payload = gzip_bytes(payload) if gzip else payload
    return bytes(frame.SerializeToString())


def _messages(*messages: pb.Message, need_ack: bool = False, internal_ext: str = "") -> bytes:
    return build_msg_frame(1, 2, pb.Response(messages=list(messages), need_ack=need_ack, internal_ext=internal_ext), [])


def _message(method: str, payload: bytes, msg_id: int = 0) -> pb.Message:
    return pb.Message(method=method, payload=payload, msg_id=msg_id)


def _common(msg_id: int = 1, create_time: int = T0) -> pb.Common:
    return pb.Common(msg_id=msg_id, create_time=create_time)


def _chat(content: str = "你好", user: pb.User | None = None) -> pb.Message:
    chat = pb.ChatMessage(common=_common(), content=content, user=user)
    return _message("WebcastChatMessage", chat.SerializeToString())


def _raw_response(message_bytes: bytes) -> bytes:
    """A frame around one hand-written Message (its bytes as they are)."""
    return _frame(_field(1, message_bytes))


# ---------------------------------------------------------------- the corpus

HAND_MADE: dict[str, Callable[[], bytes]] = {
    # What the fuzzer found (fixed in shared/platforms/douyin/mapping.py, gifts.py and frames.py).
    "crash-nul-in-room-stats-display.bin": lambda: _messages(
        _message(
            "WebcastRoomUserSeqMessage",
            pb.RoomUserSeqMessage(common=_common(), total_str="9\x00万").SerializeToString(),
        )
    ),
    "crash-nul-in-total-pv-display.bin": lambda: _messages(
        _message(
            "WebcastRoomUserSeqMessage",
            pb.RoomUserSeqMessage(common=_common(), total_pv_for_anchor="\x00").SerializeToString(),
        )
    ),
    "crash-nul-in-display-long.bin": lambda: _messages(
        _message(
            "WebcastRoomStatsMessage", pb.RoomStatsMessage(common=_common(), display_long="91\x00").SerializeToString()
        )
    ),
    "crash-nul-in-user-display-id.bin": lambda: _messages(_chat("hi", pb.User(id=7, display_id="d\x00"))),
    "crash-nul-in-user-id-str.bin": lambda: _messages(_chat("hi", pb.User(id_str="\x00" + "7" * 100))),
    "crash-nul-in-rank-score.bin": lambda: _messages(
        _message(
            "WebcastRoomRankMessage",
            pb.RoomRankMessage(
                common=_common(), ranks=[pb.RoomRank(user=pb.User(id=1), score_str="1\x00")]
            ).SerializeToString(),
        )
    ),
    "crash-gift-delta-past-64-bits.bin": lambda: _messages(
        _message(
            "WebcastGiftMessage",
            pb.GiftMessage(
                common=_common(), gift_id=1, repeat_count=U64, group_count=U64, user=pb.User(id=1)
            ).SerializeToString(),
        )
    ),
    "crash-gift-diamonds-past-64-bits.bin": lambda: _messages(
        _message(
            "WebcastGiftMessage",
            pb.GiftMessage(
                common=_common(),
                gift_id=1,
                repeat_count=2**40,
                gift=pb.GiftStruct(id=1, diamond_count=2**31),
                user=pb.User(id=1),
            ).SerializeToString(),
        )
    ),
    "crash-like-count-past-63-bits.bin": lambda: _messages(
        _message("WebcastLikeMessage", pb.LikeMessage(common=_common(), count=U64, total=U64).SerializeToString())
    ),
    "crash-member-count-past-63-bits.bin": lambda: _messages(
        _message("WebcastMemberMessage", pb.MemberMessage(common=_common(), member_count=2**63).SerializeToString())
    ),
    # 4 KiB of gzip that took seconds of event-loop time before the bounds (MAX_MESSAGES, MAX_RANKS).
    "slow-two-million-empty-messages.bin": lambda: _frame(b"\x0a\x00" * (MAX_INFLATED_BYTES // 2 - 8)),
    "slow-two-million-ranks.bin": lambda: _raw_response(
        _field(1, b"WebcastRoomRankMessage") + _field(2, b"\x12\x00" * (MAX_INFLATED_BYTES // 2 - 64))
    ),
    "bound-max-messages.bin": lambda: _frame(b"\x0a\x00" * MAX_MESSAGES),
    "bound-max-messages-plus-one.bin": lambda: _frame(b"\x0a\x00" * (MAX_MESSAGES + 1)),
    # Hostile or odd frames that were always handled; kept so that they stay so.
    "empty.bin": lambda: b"",
    "one-byte.bin": lambda: b"\x08",
    "gzip-bomb-8mib.bin": lambda: _frame(gzip_bomb(8 << 20), gzip=False),
    "gzip-truncated.bin": lambda: _frame(gzip_bytes(_chat().SerializeToString())[:-6], gzip=False),
    "gzip-bad-crc.bin": lambda: _frame(gzip_bytes(b"")[:-8] + b"\x00" * 8, gzip=False),
    "gzip-two-members.bin": lambda: _frame(gzip_bytes(b"") + gzip_bytes(b"\x12\x01x"), gzip=False),
    "gzip-flag-without-magic.bin": lambda: _frame(_field(1, _chat().SerializeToString()), gzip=False),
    "gzip-without-flag.bin": lambda: _frame(_field(1, _chat().SerializeToString()), compress=""),
    "gzip-flag-uppercase.bin": lambda: _frame(_field(1, _chat().SerializeToString()), compress="GZIP"),
    "invalid-utf8-in-content.bin": lambda: _raw_response(
        _field(1, b"WebcastChatMessage") + _field(2, _field(3, b"\xff\xfe"))
    ),
    "invalid-utf8-in-method.bin": lambda: _raw_response(_field(1, b"Webcast\xffChat")),
    "wrong-wire-type.bin": lambda: _raw_response(_field(1, b"WebcastChatMessage") + _field(2, b"\x18\x05")),
    "field-twice.bin": lambda: _raw_response(
        _field(1, b"WebcastChatMessage") + _field(2, _field(3, b"first") + _field(3, b"second"))
    ),
    "overlong-varint.bin": lambda: b"\x08" + b"\xff" * 10 + b"\x01",
    "length-past-end.bin": lambda: b"\x42\xff\xff\x03abc",
    "negative-envelope-msg-id.bin": lambda: _messages(
        _message("WebcastChatMessage", pb.ChatMessage(content="x").SerializeToString(), msg_id=-1)
    ),
    "max-uint64-msg-id-and-time.bin": lambda: _messages(
        _message(
            "WebcastChatMessage",
            pb.ChatMessage(common=_common(U64, U64), content="x", event_time=U64).SerializeToString(),
        )
    ),
    "create-time-in-seconds.bin": lambda: _messages(
        _message("WebcastChatMessage", pb.ChatMessage(common=_common(5, T0 // 1000), content="x").SerializeToString())
    ),
    "control-ended.bin": lambda: _messages(
        _message("WebcastControlMessage", pb.ControlMessage(common=_common(), status=3).SerializeToString())
    ),
    "control-unknown-status.bin": lambda: _messages(
        _message("WebcastControlMessage", pb.ControlMessage(common=_common(), status=-7).SerializeToString())
    ),
    "social-unknown-action.bin": lambda: _messages(
        _message("WebcastSocialMessage", pb.SocialMessage(common=_common(), action=2).SerializeToString())
    ),
    "need-ack-odd-internal-ext.bin": lambda: _messages(_chat(), need_ack=True, internal_ext="ext\x00用户|" + "x" * 300),
    "unknown-method-with-nul.bin": lambda: _messages(_message("Webcast\x00Nothing", b"\x0a\x00")),
    "known-method-empty-payload.bin": lambda: _messages(_message("WebcastGiftMessage", b"")),
    "heartbeat-with-garbage.bin": lambda: _frame(b"\xff" * 16, gzip=False, payload_type="hb"),
    "heartbeat-reply.bin": lambda: build_heartbeat_reply(3, T0),
    "close.bin": lambda: build_close(4),
    "payload-type-unknown.bin": lambda: _frame(b"", payload_type="MSG"),
}


def write_corpus() -> None:
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    for name, make in HAND_MADE.items():
        (CORPUS_DIR / name).write_bytes(make())
    # Five real frames of the captures as they came, from the smallest to the largest (all of them are replayed by
    # test_every_captured_frame; these are the starting points of a run that uses the corpus alone).
    seeds = [data for data in seed_frames() if len(data) > 16]
    for i in range(5):
        (CORPUS_DIR / f"real-capture-{i}.bin").write_bytes(seeds[(len(seeds) - 1) * i // 4])
    total = sum(p.stat().st_size for p in CORPUS_DIR.glob("*.bin"))
    print(f"{CORPUS_DIR.relative_to(ROOT)}: {len(list(CORPUS_DIR.glob('*.bin')))} frames, {total:,} bytes")


def run(examples: int, only: str | None, conformance: bool) -> int:
    paths = {
        "douyin": ["tests/fuzz/test_douyin_frames_fuzz.py"],
        "api": ["tests/fuzz/test_gateway_api_fuzz.py"],
        None: ["tests/fuzz"],
    }[only]
    env = {**os.environ, "TIMAO_FUZZ_EXAMPLES": str(examples)}
    if conformance:
        env["TIMAO_FUZZ_CONFORMANCE"] = "1"
    started = time.perf_counter()
    # No per-test timeout: a long pass is long on purpose (one example still has its hypothesis deadline).
    argv = [str(ROOT / ".venv" / "bin" / "pytest"), *paths, "-p", "no:cacheprovider", "-o", "timeout=0", "-s", "-q"]
    code = subprocess.call(argv, cwd=ROOT, env=env)
    print(f"fuzz pass of {examples:,} examples a test: {time.perf_counter() - started:.0f}s, exit {code}")
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="a long fuzz pass")
    run_p.add_argument("--examples", type=int, default=20_000, help="examples per test (default 20,000)")
    run_p.add_argument("--only", choices=["douyin", "api"])
    run_p.add_argument("--conformance", action="store_true", help="also count API contract mismatches (#15)")
    sub.add_parser("corpus", help="rewrite the hand-made frames of the corpus")
    args = parser.parse_args()
    if args.command == "corpus":
        write_corpus()
        return 0
    return run(args.examples, args.only, args.conformance)


if __name__ == "__main__":
    raise SystemExit(main())
