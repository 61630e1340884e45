from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from services.streamcap.api import create_router
from services.streamcap.manager import StreamCapManager
from services.streamcap.repository import SqlRepository
from shared.db import tables_streamcap  # noqa: F401  (registers the tables)
from shared.db.base import Base


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Base.metadata.create_all(engine)
    manager = StreamCapManager(SqlRepository(engine), tmp_path / "recordings", free_bytes=lambda _p: 1 << 40)
    app = FastAPI()
    app.include_router(create_router(manager), prefix="/api")
    with TestClient(app) as c:
        yield c
    engine.dispose()


def test_rooms_crud(client: TestClient) -> None:
    answer = client.post("/api/rooms", json={"platform": "direct", "url": "http://127.0.0.1:1/a.flv", "name": "小猫",
                                              "windows": ["20:00-23:30"]})  # fmt: skip
    assert answer.status_code == 201, answer.text
    room = answer.json()
    assert room["status"] == "waiting" and room["windows"] == ["20:00-23:30"]
    rooms = client.get("/api/rooms").json()["rooms"]
    assert [r["id"] for r in rooms] == [room["id"]]
    patched = client.patch(f"/api/rooms/{room['id']}", json={"check_interval": 30, "enabled": False}).json()
    assert patched["check_interval"] == 30 and patched["enabled"] is False and patched["name"] == "小猫"
    assert client.delete(f"/api/rooms/{room['id']}").json() == {"success": True}
    assert client.get("/api/rooms").json()["rooms"] == []
    assert client.delete(f"/api/rooms/{room['id']}").status_code == 404


@pytest.mark.parametrize("folder", ["..", "../x", "/etc", "a/b", "a\\b", "CON", "x\u0000y", "C:\\"])
def test_path_traversal_refused(client: TestClient, folder: str) -> None:
    room = client.post("/api/rooms", json={"platform": "direct", "url": "http://h/a.flv", "folder": folder})
    assert room.status_code == 422
    rec = client.post("/api/recordings", json={"platform": "direct", "stream_url": "http://h/a.flv", "folder": folder})
    assert rec.status_code == 422
    assert client.get("/api/rooms").json()["rooms"] == []
    assert client.get("/api/recordings").json()["recordings"] == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"platform": "direct", "stream_url": "file:///etc/passwd"}, id="file-url"),
        pytest.param({"platform": "douyin", "stream_url": "123"}, id="no-douyin-resolver"),
        pytest.param({"platform": "Direct!", "stream_url": "http://h/a.flv"}, id="bad-platform"),
        pytest.param({"platform": "direct", "stream_url": "http://h/a.flv", "segment_seconds": 1}, id="tiny-segment"),
        pytest.param({"platform": "direct", "stream_url": "http://h/a.flv", "extra": 1}, id="unknown-key"),
    ],
)
def test_bad_recording_requests(client: TestClient, body: dict[str, object]) -> None:
    answer = client.post("/api/recordings", json=body)
    assert answer.status_code == 422, answer.text
    assert "detail" in answer.json()


def test_unknown_recording(client: TestClient) -> None:
    assert client.get("/api/recordings/nope").status_code == 404
    assert client.post("/api/recordings/stop", json={"recording_id": "nope"}).status_code == 404


def test_settings(client: TestClient) -> None:
    assert client.get("/api/settings").json()["segment_seconds"] == 1800
    updated = client.put("/api/settings", json={"segment_seconds": 600, "max_recordings": 2})
    assert updated.status_code == 200 and updated.json()["segment_seconds"] == 600
    assert client.get("/api/settings").json()["max_recordings"] == 2
    assert client.put("/api/settings", json={"max_recordings": 0}).status_code == 422
    assert client.put("/api/settings", json={"bogus": 1}).status_code == 422
    assert client.get("/api/settings").json()["max_recordings"] == 2  # bad input lost nothing


def test_disk_full_refuses_start(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Base.metadata.create_all(engine)
    manager = StreamCapManager(SqlRepository(engine), tmp_path / "rec", free_bytes=lambda _p: 10)
    app = FastAPI()
    app.include_router(create_router(manager), prefix="/api")
    with TestClient(app) as c:
        answer = c.post("/api/recordings", json={"platform": "direct", "stream_url": "http://127.0.0.1:1/a.flv"})
    assert answer.status_code == 507
    engine.dispose()
