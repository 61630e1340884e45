from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from services.streamcap.recorder import Recorder, RecorderConfig
from services.streamcap.remux import Remuxer
from services.streamcap.sources import DirectSource
from services.streamcap.synthetic import SyntheticConfig, SyntheticLive
from shared.retry import constant

# Short segments and timeouts so each scenario runs in seconds.
FAST = RecorderConfig(segment_seconds=2, stall_timeout=2, start_timeout=8, rw_timeout=6, tick=0.2,
                      stop_waits=(3.0, 2.0, 2.0), max_failed_starts=3)  # fmt: skip


@pytest.fixture
def synthetic() -> Iterator[Callable[..., SyntheticLive]]:
    servers: list[SyntheticLive] = []

    def start(**kwargs: Any) -> SyntheticLive:
        live = SyntheticLive(SyntheticConfig(**kwargs))
        live.start()
        servers.append(live)
        return live

    yield start
    for live in servers:
        live.stop()


class Recording:
    def __init__(self, recorder: Recorder, events: list[dict[str, Any]]) -> None:
        self.recorder = recorder
        self.events = events

    def phases(self) -> list[str]:
        return [e["state"] for e in self.events]


@pytest.fixture
def record(tmp_path: Path) -> Iterator[Callable[..., Recording]]:
    made: list[Recorder] = []

    def make(url: str, *, config: RecorderConfig = FAST, **kwargs: Any) -> Recording:
        events: list[dict[str, Any]] = []
        kwargs.setdefault("remuxer", Remuxer())
        recorder = Recorder("rec1", DirectSource(url), tmp_path / "out", name="测试主播", config=config,
                            on_event=events.append, retry=constant(0.2), **kwargs)  # fmt: skip
        made.append(recorder)
        recorder.start()
        return Recording(recorder, events)

    yield make
    for recorder in made:
        recorder.stop()
        recorder.join(30)
