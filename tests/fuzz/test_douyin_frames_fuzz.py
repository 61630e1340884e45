"""Fuzzing the Douyin frame decoder (hardening #12, fuzzing): frames.py and messages.py, from bytes to live events.

The property (tests/fuzz/douyin_inputs.py, ``check_frame``): FrameError or valid, storable events, in bounded time,
and the decoder still works on the next good frame. The corpus in tests/fuzz/corpus/douyin/ (crashers found so far
and hand-made hostile frames) and every real captured frame are replayed on each run; hypothesis then generates
fresh inputs from raw bytes, from damaged captures, and from protobufs built field by field.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, target
from hypothesis import strategies as st

from shared.platforms.douyin.messages import MessageDecoder
from tests.fuzz.budget import fuzz_settings, save_failure
from tests.fuzz.douyin_inputs import (
    any_frame,
    check_frame,
    corpus_files,
    mutated_seed,
    new_decoder,
    seed_frames,
    structured_frame,
)


@pytest.fixture(autouse=True)
def _quiet_decoder() -> Iterator[None]:
    # Bad payloads are logged (up to 20 per decoder): thousands of warnings would only slow the run down.
    logger = logging.getLogger("shared.platforms.douyin.messages")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def _check(data: bytes, decoder: MessageDecoder | None = None) -> int:
    try:
        return len(check_frame(decoder or new_decoder(), data))
    except BaseException:
        save_failure("douyin", data)
        raise


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus(path: Path) -> None:
    _check(path.read_bytes())


def test_every_captured_frame() -> None:
    decoder = new_decoder()
    assert sum(_check(data, decoder) for data in seed_frames()) > 100


@fuzz_settings(300)
@given(st.binary(max_size=512))
def test_raw_bytes(data: bytes) -> None:
    _check(data)


@fuzz_settings(300)
@given(mutated_seed())
def test_damaged_captures(data: bytes) -> None:
    target(float(_check(data)), label="events")


@fuzz_settings(200)
@given(structured_frame())
def test_generated_frames(data: bytes) -> None:
    # Steer toward frames that decode into many events: the deep end of the mapping code.
    target(float(_check(data)), label="events")


@fuzz_settings(40)
@given(st.lists(any_frame(), min_size=2, max_size=6), st.sampled_from([0, 7, 7_000_000_000_000_000_000]))
def test_one_decoder_through_a_stream(frames: list[bytes], room_id: int) -> None:
    """State that lives across frames (dedupe, gift combos, the room filter) never turns a later frame into a crash."""
    decoder = new_decoder()
    decoder.room_id = room_id
    for data in frames:
        _check(data, decoder)
