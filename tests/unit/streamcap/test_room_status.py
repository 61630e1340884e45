"""A room's status as the UIs show it, from the manager and its monitor."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from services.streamcap.manager import StreamCapManager
from services.streamcap.repository import RoomRecord, SqlRepository
from shared.db import tables  # noqa: F401
from shared.db.base import Base


@pytest.fixture
def manager(tmp_path: Path) -> StreamCapManager:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Base.metadata.create_all(engine)
    return StreamCapManager(SqlRepository(engine), tmp_path / "recordings", free_bytes=lambda _p: 1 << 40)


async def test_status_follows_the_monitor(manager: StreamCapManager) -> None:
    room = manager.add_room(RoomRecord(id="r1", platform="direct", url="http://127.0.0.1:9/live.flv"))
    paused = manager.add_room(RoomRecord(id="r2", platform="direct", url="http://127.0.0.1:9/b.flv", enabled=False))
    night = manager.add_room(
        RoomRecord(id="r3", platform="direct", url="http://127.0.0.1:9/c.flv", windows=["03:00-03:01"])
    )
    assert manager.room_status(room) == "waiting"  # no monitor yet: watched, not checked
    assert manager.room_status(paused) == "paused"
    monitor = manager.create_monitor(tick=60)
    watch = monitor.core.rooms["r1"]
    watch.checking = True
    assert manager.room_status(room) == "checking"
    watch.checking, watch.live = False, False
    assert manager.room_status(room) == "offline"
    assert manager.room_status(paused) == "paused"
    assert manager.room_status(night) in ("outside_window", "waiting")  # "waiting" only at 03:00 sharp
