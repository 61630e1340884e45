"""The synthetic stream's painted wall clock reads back exactly, and a damaged frame reads as nothing."""

from __future__ import annotations

from services.streamcap.synthetic import paint_clock, read_clock


def test_the_painted_clock_reads_back_to_the_centisecond() -> None:
    for wall_ms in (1_796_612_363_712, 946_684_800_000, 4_102_444_799_990):
        frame = paint_clock(wall_ms, 320, 180)
        assert len(frame) == 320 * 180
        assert read_clock(frame, 320, 180) == wall_ms // 10 * 10


def test_a_frame_without_the_pattern_is_unreadable() -> None:
    assert read_clock(bytes(320 * 180), 320, 180) is None  # all black: no bit differs from its complement
    assert read_clock(b"\x80" * 100, 320, 180) is None  # not a frame of that size
