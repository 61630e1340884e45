"""The free-space minimum is a setting: raised while recordings run, it stops them (disk_full) and refuses new ones,
as the setting's own description says — not only for the recordings started after the change."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from services.streamcap.errors import StorageFull
from services.streamcap.manager import StreamCapManager
from services.streamcap.repository import SqlRepository
from shared.db import tables_streamcap  # noqa: F401  (registers the tables)
from shared.db.base import Base
from shared.retry import constant
from tests.unit.streamcap.test_recording_adoption import FAST, URL, Spawner, until


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_a_raised_minimum_stops_the_running_recordings_and_refuses_new_ones(engine: Engine, tmp_path: Path) -> None:
    config = dataclasses.replace(FAST, disk_check_interval=0.1)
    made = StreamCapManager(SqlRepository(engine), tmp_path / "rec", free_bytes=lambda _p: 10 << 30,
                            recorder_config=config, retry=constant(0.05), spawn=Spawner())  # fmt: skip
    made.update_settings({"remux_to_mp4": False, "min_free_gb": 1})  # the fake segments are not media
    recording_id = made.start_recording("direct", URL)
    until(lambda: made.get_recording(recording_id)["state"] == "recording", 5, "recording")

    made.update_settings({"min_free_gb": 20})  # 10 GiB free is now under the minimum
    until(lambda: made.get_recording(recording_id)["state"] == "done", 5, "stopped by the disk guard")
    assert made.get_recording(recording_id)["reason"].startswith("disk_full")
    with pytest.raises(StorageFull):
        made.start_recording("direct", URL)

    made.update_settings({"min_free_gb": 1})
    again = made.start_recording("direct", URL)
    until(lambda: made.get_recording(again)["state"] == "recording", 5, "recording again")
    made.shutdown(5)
