"""The gateway's recording routes over the bus (docs/contracts.md, Workers on several machines): this gateway has no
StreamCap of its own (its port answers nothing, as on ``timao up --role gateway``); a real StreamCap app on another
"machine" (a thread with its own loop, database and recordings folder; ffmpeg faked) serves the commands. Start,
list, get and stop work through the gateway, in the one recording shape; StreamCap's errors come back with the
status codes every worker's do (and a full disk 507); StreamCap's own HTTP routes (rooms) answer 503 here."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from services.gateway.app import create_app
from services.streamcap.app import StreamcapApp
from services.streamcap.manager import StreamCapManager
from services.streamcap.repository import SqlRepository
from shared.bus import Bus
from shared.commands.streamcap import Recording
from shared.config import Settings, load_settings
from shared.db import tables_streamcap  # noqa: F401  (registers the tables)
from shared.db.base import Base
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.retry import constant
from shared.worker import _dispatcher
from tests.unit.gateway.stand_in import StandInService
from tests.unit.streamcap.test_recording_adoption import FAST, URL, Spawner

TOKEN = "gateway-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FarStreamCap(StandInService):
    """A StreamCap on another machine: its commands served by the real app's handlers over a real manager."""

    def __init__(self, redis_url: str, home: Path) -> None:
        super().__init__(redis_url, "streamcap")
        self.engine = engine = create_engine(f"sqlite:///{home / 'streamcap.sqlite'}")
        Base.metadata.create_all(engine)
        self.app = StreamcapApp(Settings(home=home, redis_url=redis_url, worker_id="far", database_url=str(engine.url)))
        self.spawner = Spawner()
        self.app.manager = StreamCapManager(SqlRepository(engine), home / "recordings", free_bytes=lambda _p: 1 << 40,
                                            recorder_config=FAST, retry=constant(0.05), spawn=self.spawner)  # fmt: skip
        self.app.manager.update_settings({"remux_to_mp4": False, "stall_timeout": 60})
        self.dispatch = _dispatcher(self.app)

    async def answer(self, bus: Bus, command: str, params: dict[str, Any]) -> dict[str, Any]:
        return await self.dispatch(command, params)


@pytest.fixture
def far(tmp_path: Path, redis_url: str) -> Iterator[FarStreamCap]:
    (tmp_path / "far").mkdir()
    with FarStreamCap(redis_url, tmp_path / "far") as stand_in:
        yield stand_in
    stand_in.app.manager.shutdown(5.0)
    stand_in.app.engine.dispose()
    stand_in.engine.dispose()


@pytest.fixture
def client(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    # No StreamCap on this machine: its port (1) answers nothing.
    for key, value in {"HOME": str(tmp_path / "office"), "REDIS_URL": redis_url, "TOKEN": TOKEN,
                       "STREAMCAP_PORT": "1", "RECORDING_QUALITY": "HD1"}.items():  # fmt: skip
        monkeypatch.setenv(f"TIMAO_{key}", value)
    monkeypatch.delenv("TIMAO_GATEWAY_PORT", raising=False)
    settings = load_settings()
    upgrade_to_head(make_engine(settings.effective_database_url))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:9019") as c:
        yield c


def eventually(fetch: Any, ok: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not ok(value := fetch()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {value}"
        time.sleep(0.05)
    return value


def test_recordings_are_driven_over_the_bus_from_a_gateway_without_streamcap(
    client: TestClient, far: FarStreamCap
) -> None:
    started = client.post("/api/streamcap/start", json={"platform": "direct", "stream_url": URL, "segment_seconds": 30},
                          headers=AUTH)  # fmt: skip
    assert started.status_code == 200, started.text
    recording_id = started.json()["recording_id"]
    assert started.json() == {"success": True, "recording_id": recording_id}
    # The quality the settings name, filled in by the gateway; the fields the request gave, nothing else.
    assert far.got("start_recording") == [{"platform": "direct", "stream_url": URL, "quality": "HD1",
                                           "segment_seconds": 30}]  # fmt: skip

    def listed() -> dict[str, Any]:
        answer = client.get("/api/streamcap/recordings", headers=AUTH)
        assert answer.status_code == 200, answer.text
        return {r["recording_id"]: r for r in answer.json()["recordings"]}

    view = eventually(lambda: listed().get(recording_id, {}), lambda r: r.get("state") == "recording" and r["files"],
                      10, "recording on the far StreamCap")  # fmt: skip
    assert Recording.model_validate(view).segment_seconds == 30 and view["quality"] == "HD1"
    assert Path(view["files"][0]["path"]).is_relative_to(far.app.manager.root) and len(far.spawner.runs) == 1
    one = client.get(f"/api/streamcap/recordings/{recording_id}", headers=AUTH)
    assert one.status_code == 200 and one.json()["recording_id"] == recording_id and one.json()["files"]

    # StreamCap's errors, as every worker's: unknown 404, a stream it refuses 422, a bad body 422 here.
    missing = client.get("/api/streamcap/recordings/nope", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found", missing.text
    assert client.post("/api/streamcap/stop", json={"recording_id": "nope"}, headers=AUTH).status_code == 404
    refused = client.post("/api/streamcap/start", json={"platform": "direct", "stream_url": "file:///etc/passwd"},
                          headers=AUTH)  # fmt: skip
    assert refused.status_code == 422 and refused.json()["code"] == "invalid", refused.text
    assert client.post("/api/streamcap/start", json={"platform": "Direct!", "stream_url": URL},
                       headers=AUTH).status_code == 422  # fmt: skip
    assert client.get("/api/streamcap/recordings", params={"limit": 0}, headers=AUTH).status_code == 422
    far.app.manager.update_settings({"min_free_gb": 2048})  # more than the 1 TiB its disk has free
    full = client.post("/api/streamcap/start", json={"platform": "direct", "stream_url": URL + "?full"}, headers=AUTH)
    assert full.status_code == 507 and full.json()["code"] == "storage_full" and "磁盘空间不足" in full.json()["detail"]
    far.app.manager.update_settings({"min_free_gb": 1})

    # StreamCap's own HTTP routes go to this machine's StreamCap: there is none here.
    rooms = client.get("/api/streamcap/rooms", headers=AUTH)
    assert rooms.status_code == 503 and "this machine" in rooms.json()["detail"], rooms.text

    stopped = client.post("/api/streamcap/stop", json={"recording_id": recording_id}, headers=AUTH)
    assert stopped.status_code == 200 and stopped.json() == {"success": True}
    eventually(lambda: listed()[recording_id]["state"], lambda s: s == "done", 10, "the recording done")
    assert far.spawner.runs[0].poll() == 0  # its ffmpeg quit
