"""The recorder's restart loop on a fake clock: scripted ffmpeg runs (refused, dropped, stalled, silent, recovered),
and the exact waits, events and state changes, without real sleeping or a real ffmpeg.

The recorder's thread runs for real; its waits (``sleep``), its clock and every ffmpeg it spawns are fakes that
share one clock, so minutes of backoff and stall timeouts pass in milliseconds and always in the same order.
"""

from __future__ import annotations

import io
import logging
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.streamcap.errors import SourceUnavailable
from services.streamcap.recorder import Phase, Recorder, RecorderConfig, RecState, StopReason
from services.streamcap.sources import ResolvedStream
from shared.retry import exponential

CONFIG = RecorderConfig(stall_timeout=20.0, start_timeout=30.0, tick=0.5, max_failed_starts=4, remux=False)
RATE = 1000  # bytes a second a fake ffmpeg writes while data flows


class FakeClock:
    """Time only moves when the recorder (or a fake ffmpeg it waits for) sleeps; ``at`` runs something then."""

    def __init__(self) -> None:
        self.now = 0.0
        self._due: list[tuple[float, Callable[[], None]]] = []
        self.writers: list[Callable[[], None]] = []  # fake ffmpeg runs: their files grow as time passes

    def __call__(self) -> float:
        return self.now

    @property
    def t(self) -> float:
        """Now, rounded so that sums of 0.3 and 0.5 compare exactly."""
        return round(self.now, 6)

    def at(self, when: float, action: Callable[[], None]) -> None:
        self._due.append((when, action))

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds
        for write in self.writers:
            write()
        for item in [d for d in self._due if d[0] <= self.now]:
            self._due.remove(item)
            item[1]()


@dataclass
class Run:
    """What one ffmpeg run does: data for ``data_for`` seconds (None: as long as it lives), then exits with ``code``
    after ``exit_after`` seconds (None: only when stopped). ``sigints`` SIGINTs make it exit; ``q`` on stdin too
    unless ``deaf``."""

    data_for: float | None = 0.0
    exit_after: float | None = 0.0
    code: int = 1
    stderr: bytes = b""
    sigints: int = 1
    deaf: bool = False


REFUSED = Run(stderr=b"tcp://cdn.test:80: Connection refused\n")
OFFLINE = Run(stderr=b"HTTP error 404 Not Found\n")


class Stdin(io.BytesIO):
    """Keeps what was written after the recorder closed its end."""

    def close(self) -> None:
        self.kept = self.getvalue()
        super().close()

    def written(self) -> bytes:
        return self.getvalue() if not self.closed else self.kept


class FakeFfmpeg:
    """A ChildProcess that writes its segment file as the fake clock passes and answers q / SIGINT / SIGKILL."""

    _pids = 1000

    def __init__(self, cmd: Sequence[str], run: Run, clock: FakeClock) -> None:
        FakeFfmpeg._pids += 1
        self.pid = FakeFfmpeg._pids
        self.run, self.clock, self.started = run, clock, clock.now
        start_number = int(cmd[cmd.index("-segment_start_number") + 1])
        self.segment = Path(cmd[-1].replace("%03d", f"{start_number:03d}"))  # the stem has no '%' here
        self.exit_at = None if run.exit_after is None else self.started + run.exit_after
        self.code = run.code
        self.sigints = 0
        self.signals: list[str] = []
        self.stdin = Stdin()
        self.stdout: io.BytesIO | None = io.BytesIO()
        self.stderr: io.BytesIO | None = io.BytesIO(run.stderr)
        clock.writers.append(self._write)

    def _write(self) -> None:
        end = self.clock.now if self.exit_at is None else min(self.clock.now, self.exit_at)
        if self.run.data_for is not None:
            end = min(end, self.started + self.run.data_for)
        size = int(max(0.0, end - self.started) * RATE)
        if size > 0 and (not self.segment.exists() or self.segment.stat().st_size < size):
            with self.segment.open("ab") as f:
                f.write(b"\0" * (size - (self.segment.stat().st_size if self.segment.exists() else 0)))

    def _exit(self, code: int) -> None:
        self._write()
        if self.exit_at is None or self.exit_at > self.clock.now:
            self.exit_at, self.code = self.clock.now, code

    def poll(self) -> int | None:
        self._write()
        if b"q" in self.stdin.written() and not self.run.deaf:
            self._exit(0)
        return self.code if self.exit_at is not None and self.exit_at <= self.clock.now else None

    def wait(self, timeout: float | None = None) -> int:
        if self.poll() is not None:
            return self.code
        if self.exit_at is not None and (timeout is None or self.exit_at <= self.clock.now + timeout):
            self.clock.sleep(self.exit_at - self.clock.now)
            return self.code
        assert timeout is not None, "a wait without timeout for an ffmpeg that never exits"
        self.clock.sleep(timeout)
        raise subprocess.TimeoutExpired("ffmpeg", timeout)

    def send_signal(self, sig: int) -> None:
        self.signals.append(signal.Signals(sig).name)
        self.sigints += sig == signal.SIGINT
        if self.sigints >= self.run.sigints:
            self._exit(255)

    def kill(self) -> None:
        self.signals.append("SIGKILL")
        self._exit(-9)


@dataclass
class Source:
    """A stream source whose resolve fails as scripted (an exception instance) or answers a stream."""

    outcomes: list[BaseException | None] = field(default_factory=list)
    target: str = "fake-room"
    platform: str = "test"

    def resolve(self, attempt: int) -> ResolvedStream:
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        return ResolvedStream("http://cdn.test/live.flv", name="room")


@dataclass
class Scenario:
    runs: list[Run]
    clock: FakeClock = field(default_factory=FakeClock)
    spawned: list[tuple[float, FakeFfmpeg]] = field(default_factory=list)
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def spawn(self, cmd: Sequence[str]) -> FakeFfmpeg:
        assert self.runs, "the recorder started more ffmpeg runs than the script has"
        proc = FakeFfmpeg(cmd, self.runs.pop(0), self.clock)
        self.spawned.append((self.clock.t, proc))
        return proc

    def recorder(self, folder: Path, source: Source | None = None, **kwargs: Any) -> Recorder:
        return Recorder(
            "rec1",
            source or Source(),
            folder,
            config=CONFIG,
            on_event=lambda data: self.events.append((self.clock.t, data)),
            retry=exponential(1.0, 30.0, jitter=0.0),
            clock=self.clock,
            now=lambda: datetime(2026, 1, 2, 3, 4, 5),
            spawn=self.spawn,
            sleep=self.clock.sleep,
            **kwargs,
        )

    def run(self, rec: Recorder) -> None:
        rec.start()
        assert rec.join(timeout=60), "the recorder did not finish"

    def phases(self) -> list[tuple[float, str]]:
        return [(t, data["state"]) for t, data in self.events]

    def spawn_times(self) -> list[float]:
        return [t for t, _ in self.spawned]


def states(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The state changes in the order the recorder made them (its own debug log)."""
    out = ["idle"]
    for record in caplog.records:
        if record.name == "services.streamcap.recorder" and " state " in record.getMessage():
            out.append(record.getMessage().rsplit("-> ", 1)[1])
    return out


@pytest.fixture(autouse=True)
def _debug_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="services.streamcap.recorder")


def test_refused_dropped_stalled_then_recovered_until_the_user_stops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = Scenario([
        REFUSED,
        REFUSED,
        Run(data_for=None, exit_after=12.0, stderr=b"End of file\n"),  # dropped after 12 s of data
        Run(data_for=5.0, exit_after=None, sigints=2),  # stalls after 5 s, stuck in a read: needs two SIGINTs
        Run(data_for=None, exit_after=None),  # recovered: records until stopped
    ])  # fmt: skip
    rec = s.recorder(tmp_path)
    s.clock.at(60.0, lambda: rec.stop(StopReason.USER))
    s.run(rec)

    # Two refused starts back off 1 s then 2 s; a run that had data resets the count, so each later restart waits 1 s.
    # The stall is noticed 20 s after the last growth (t=21 → 41); its stuck ffmpeg costs 0.3 s (first SIGINT).
    assert s.spawn_times() == [0.0, 1.0, 3.0, 16.0, 42.3]
    assert [p.signals for _, p in s.spawned] == [[], [], [], ["SIGINT", "SIGINT"], []]
    assert s.spawned[-1][1].stdin.written() == b"q"  # the user's stop asks ffmpeg politely
    restarted = [(t, d["attempt"], d["delay"], d["reason"]) for t, d in s.events if d["state"] == Phase.RESTARTED]
    assert restarted == [
        (0.0, 1, 1.0, "ffmpeg exited (1)"),
        (1.0, 2, 2.0, "ffmpeg exited (1)"),
        (15.0, 1, 1.0, "ffmpeg exited (1)"),
        (41.3, 1, 1.0, "stalled"),
    ]  # fmt: skip
    assert s.phases() == [
        (0.0, "restarted"), (1.0, "restarted"),
        (3.5, "started"), (15.0, "segment_closed"), (15.0, "restarted"),
        (41.0, "stalled"), (41.3, "segment_closed"), (41.3, "restarted"),
        (60.3, "segment_closed"), (60.3, "stopped"), (60.3, "done"),  # the stop comes with the tick after t=60
    ]  # fmt: skip
    assert states(caplog) == [
        "idle", "starting",
        "restarting", "starting", "restarting", "starting",
        "recording", "restarting", "starting",
        "recording", "stalled", "restarting", "starting",
        "recording", "stopping", "done",
    ]  # fmt: skip
    # Three runs had data: three segments numbered in order, with the bytes each run wrote.
    assert [(f.index, f.size, f.closed) for f in rec.files()] == [
        (0, 12 * RATE, True),
        (1, 5 * RATE, True),
        (2, 18 * RATE, True),
    ]
    assert rec.restarts == 4 and rec.stop_reason is StopReason.USER and rec.state is RecState.DONE


def test_a_start_that_never_gets_data_times_out_then_gives_up(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Alive but silent (start_timeout), then refused, silent, refused: the fourth failure in a row gives up.
    silent = Run(data_for=0.0, exit_after=None)
    s = Scenario([silent, REFUSED, silent, REFUSED])
    rec = s.recorder(tmp_path)
    s.run(rec)

    # Silent runs are noticed after start_timeout (30 s) and interrupted (a stuck ffmpeg ignores q). Delays 1, 2, 4 s.
    assert s.spawn_times() == [0.0, 31.0, 33.0, 67.0]
    assert [p.stdin.written() for _, p in s.spawned] == [b"", b"", b"", b""]
    assert [p.signals for _, p in s.spawned] == [["SIGINT"], [], ["SIGINT"], []]
    assert s.phases() == [
        (30.0, "stalled"), (30.0, "restarted"), (31.0, "restarted"),
        (63.0, "stalled"), (63.0, "restarted"),
        (67.0, "stopped"), (67.0, "failed"),
    ]  # fmt: skip
    assert [d["delay"] for _, d in s.events if d["state"] == Phase.RESTARTED] == [1.0, 2.0, 4.0]
    assert states(caplog) == [
        "idle", "starting", "restarting", "starting", "restarting", "starting", "restarting", "starting",
        "stopping", "failed",
    ]  # fmt: skip
    assert rec.stop_reason is StopReason.UNREACHABLE
    assert "gave up after 4 attempts" in rec.reason
    assert list(tmp_path.glob("*.ts")) == [] and rec.files() == []


def test_resolve_failures_back_off_then_an_offline_stream_ends_the_recording(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = Source([SourceUnavailable("CDN 503"), SourceUnavailable("CDN 503")])
    s = Scenario([OFFLINE])
    rec = s.recorder(tmp_path, source)
    s.run(rec)

    assert s.spawn_times() == [3.0]  # after waits of 1 s and 2 s for the resolver
    assert s.phases() == [(0.0, "restarted"), (1.0, "restarted"), (3.0, "stopped"), (3.0, "failed")]
    assert [d["reason"] for _, d in s.events][:2] == ["CDN 503", "CDN 503"]
    assert rec.stop_reason is StopReason.OFFLINE
    assert states(caplog)[-2:] == ["stopping", "failed"]


def test_a_stop_during_the_backoff_ends_at_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    s = Scenario([Run(data_for=None, exit_after=10.0), REFUSED])
    rec = s.recorder(tmp_path)
    s.clock.at(10.5, lambda: rec.stop(StopReason.USER))  # inside the 1 s wait after the drop at t=10
    s.run(rec)

    assert s.spawn_times() == [0.0]  # no run after the stop
    assert s.phases()[-3:] == [(10.0, "restarted"), (11.0, "stopped"), (11.0, "done")]
    assert states(caplog)[-4:] == ["recording", "restarting", "stopping", "done"]
    assert [f.size for f in rec.files()] == [10 * RATE]
