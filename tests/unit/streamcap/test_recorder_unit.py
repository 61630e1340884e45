from __future__ import annotations

from pathlib import Path

import pytest

from services.streamcap.errors import InvalidState
from services.streamcap.recorder import (
    FINAL_STATES,
    REC_MOVES,
    Recorder,
    RecorderConfig,
    RecState,
    SegmentFile,
    build_command,
)
from services.streamcap.segments import find_segments, wall_starts
from services.streamcap.sources import DirectSource, ResolvedStream
from shared.retry import constant, exponential, linear
from shared.states import IllegalTransition


def test_command_copies_without_re_and_with_timeouts(tmp_path: Path) -> None:
    stream = ResolvedStream("http://127.0.0.1:1/a.flv", headers={"Referer": "https://live.douyin.com/"})
    cmd = build_command(stream, tmp_path / "x_%03d.ts", tmp_path / ".l.csv", 4, RecorderConfig(segment_seconds=90))
    joined = " ".join(cmd)
    assert "-re" not in cmd
    assert cmd[cmd.index("-c") + 1] == "copy"
    assert cmd[cmd.index("-rw_timeout") + 1] == "15000000"
    assert cmd[cmd.index("-segment_time") + 1] == "90"
    assert cmd[cmd.index("-segment_start_number") + 1] == "4"
    assert cmd[cmd.index("-flush_packets") + 1] == "1"
    # Every packet reaches the TS at once, audio too (no PES gathering a stop would lose).
    assert cmd[cmd.index("-segment_format_options") + 1] == "flush_packets=1:pes_payload_size=0"
    assert "-protocol_whitelist" in cmd and "file" not in cmd[cmd.index("-protocol_whitelist") + 1]
    assert "Referer: https://live.douyin.com/\r\n" in joined
    assert "-m3u8_hold_counters" not in cmd


def test_command_hls_options(tmp_path: Path) -> None:
    cmd = build_command(ResolvedStream("https://cdn/x/index.m3u8"), tmp_path / "p", tmp_path / "l", 0, RecorderConfig())
    for option in ("-m3u8_hold_counters", "-reconnect", "-reconnect_on_network_error", "-max_reload"):
        assert option in cmd


def test_size_rotation_disables_time_cut(tmp_path: Path) -> None:
    cmd = build_command(
        ResolvedStream("http://h/a.flv"), tmp_path / "p", tmp_path / "l", 0, RecorderConfig(segment_bytes=10)
    )
    assert float(cmd[cmd.index("-segment_time") + 1]) >= 10**6


def test_retry_policies() -> None:
    assert constant(2)(5, 9) == 2
    assert [linear(1, 2, 4)(a, a) for a in (1, 2, 3, 4)] == [1, 3, 4, 4]
    policy = exponential(1, 8, jitter=0.0)
    assert [policy(a, a) for a in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 8]
    jittered = exponential(1, 8, jitter=0.5, rng=lambda: 1.0)
    assert jittered(1, 1) == 1.5


def test_stop_before_start_and_double_start(tmp_path: Path) -> None:
    rec = Recorder("r", DirectSource("http://127.0.0.1:9/a.flv"), tmp_path)
    rec.stop()
    assert rec.state is RecState.DONE
    with pytest.raises(InvalidState):
        rec.start()


def test_the_recorder_moves_only_as_its_table_allows(tmp_path: Path) -> None:
    """shared/states.py: an illegal move raises and leaves the state as it was; rotation by size is the one stay."""
    rec = Recorder("r", DirectSource("http://127.0.0.1:9/a.flv"), tmp_path)
    with pytest.raises(IllegalTransition, match="recording r: idle → recording"):
        rec._set_state(RecState.RECORDING)
    assert rec.state is RecState.IDLE
    assert REC_MOVES.allowed(RecState.RECORDING, RecState.RECORDING)
    assert not REC_MOVES.allowed(RecState.STARTING, RecState.STARTING)
    assert not any(REC_MOVES.targets(s) for s in FINAL_STATES)  # an ended recording never moves again
    rec.stop()
    with pytest.raises(IllegalTransition):
        rec._set_state(RecState.STARTING)
    assert rec.state is RecState.DONE


def test_segment_wall_starts_from_the_list_the_previous_end_or_the_runs_start(tmp_path: Path) -> None:
    segs = [SegmentFile(tmp_path / f"s_{i:03d}.ts", i) for i in (4, 5, 6, 8)]
    times = {"s_005.ts": (10.0, 20.5)}  # the segment list knows only the second one
    starts = wall_starts(segs, 4, times, offset=1_000.0)
    assert [(s.index, ms) for s, ms in starts] == [(4, 1_000_000), (5, 1_010_000), (6, 1_020_500)]  # 8: unknown yet
    found = find_segments(tmp_path, "s", 5)
    assert found == {}
    for seg in segs:
        seg.path.write_bytes(b"x")
    (tmp_path / "other_005.ts").write_bytes(b"x")
    assert sorted(find_segments(tmp_path, "s", 5)) == [5, 6, 8]
