"""The HTTP API over a real recording: start, watch it end with the stream, list the MP4 files."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from services.streamcap.api import create_router
from services.streamcap.manager import StreamCapManager
from services.streamcap.repository import SqlRepository
from services.streamcap.synthetic import Mode, SyntheticLive
from shared.db import tables_streamcap  # noqa: F401
from shared.db.base import Base
from shared.retry import constant

from .conftest import FAST


def test_record_through_api(synthetic: Callable[..., SyntheticLive], tmp_path: Path) -> None:
    live = synthetic(mode=Mode.END, end_after=4.0, hls=False)
    assert live.urls is not None
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Base.metadata.create_all(engine)
    events: list[dict[str, Any]] = []
    manager = StreamCapManager(SqlRepository(engine), tmp_path / "recordings", on_event=events.append,
                               free_bytes=lambda _p: 1 << 40, recorder_config=FAST, retry=constant(0.2))  # fmt: skip
    app = FastAPI()
    app.include_router(create_router(manager), prefix="/api")
    with TestClient(app) as client:
        answer = client.post("/api/recordings", json={"platform": "direct", "stream_url": live.urls.flv,
                                                      "segment_seconds": 10, "name": "API 测试"})  # fmt: skip
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["success"] is True
        recording_id = body["recording_id"]
        deadline = time.monotonic() + 40
        while True:
            item = client.get(f"/api/recordings/{recording_id}").json()
            if item["state"] in ("done", "failed"):
                break
            assert time.monotonic() < deadline, item
            time.sleep(0.3)
        listing = client.get("/api/recordings").json()["recordings"]
    assert [r["recording_id"] for r in listing] == [recording_id]
    rec = listing[0]
    assert rec["state"] == "done", rec
    assert rec["files"], rec
    for file in rec["files"]:
        path = Path(file["path"])
        assert path.is_absolute() and path.suffix == ".mp4" and path.is_file()
        assert file["size"] == path.stat().st_size and file["duration"] > 0
        assert path.parent.name == "API 测试"
    assert abs(sum(f["duration"] for f in rec["files"]) - 4.0) <= 1.0
    assert {"started", "stopped", "remuxed", "done"} <= {e["state"] for e in events}
    assert all(e["recording_id"] == recording_id for e in events)
    engine.dispose()


def test_a_second_start_of_one_stream_joins_it_and_the_cap_holds(
    synthetic: Callable[..., SyntheticLive], tmp_path: Path
) -> None:
    """Starting what already records answers with that recording (a retry or a resumed demo must not record twice),
    and recordings started through the API stop at max_recordings with a clear 409."""
    lives = [synthetic(mode=Mode.STEADY, hls=False) for _ in range(2)]
    urls = [live.urls.flv for live in lives if live.urls is not None]
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Base.metadata.create_all(engine)
    manager = StreamCapManager(SqlRepository(engine), tmp_path / "recordings", free_bytes=lambda _p: 1 << 40,
                               recorder_config=FAST, retry=constant(0.2))  # fmt: skip
    manager.update_settings({"max_recordings": 1})
    app = FastAPI()
    app.include_router(create_router(manager), prefix="/api")
    with TestClient(app) as client:
        first = client.post("/api/recordings", json={"platform": "direct", "stream_url": urls[0]}).json()
        again = client.post("/api/recordings", json={"platform": "direct", "stream_url": urls[0]}).json()
        assert again["recording_id"] == first["recording_id"]
        over = client.post("/api/recordings", json={"platform": "direct", "stream_url": urls[1]})
        assert over.status_code == 409 and "max_recordings" in over.json()["detail"]
        assert len(client.get("/api/recordings").json()["recordings"]) == 1
        client.post("/api/recordings/stop", json={"recording_id": first["recording_id"]})
    manager.shutdown()
    engine.dispose()
