"""``GET /api/workers`` and room placement (docs/contracts.md, Workers on several machines), in-process over real
Redis with two stand-in fetchers, each on its own worker queue and in the registry: a new room goes to the worker
with the most free capacity or the one named, a stop to the room's lease owner, the status names each room's
worker."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from shared.bus import Bus
from shared.config import load_settings
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.workers import register
from tests.unit.gateway.stand_in import StandInService

TOKEN = "gateway-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class StandInWorker(StandInService):
    """A fetcher of one worker: serves its own queue, beats, and registers ``rooms`` with ``capacity``."""

    def __init__(self, redis_url: str, worker_id: str, capacity: int, rooms: list[str]) -> None:
        super().__init__(redis_url, "douyin_fetcher", worker_id=worker_id, ready_s=5)
        self.capacity, self.rooms = capacity, rooms

    async def answer(self, bus: Bus, command: str, params: dict[str, Any]) -> dict[str, Any]:
        if command == "start_room":
            return {"session_id": params["session_id"], "live_id": "100000000001", "transport": "direct",
                    "worker_id": self.worker_id}  # fmt: skip
        if command == "rooms":
            return {"sessions": [{"session_id": r, "live_id": "1", "state": "connected"} for r in self.rooms]}
        if command == "move_room":
            return {
                "session_id": params["session_id"],
                "worker_id": params["worker_id"],
                "from_worker_id": self.worker_id,
            }
        return {}

    async def beat(self, bus: Bus) -> None:
        await bus.heartbeat({"pid": 1, "state": "running"})
        assert self.worker_id is not None
        await register(bus.redis, self.worker_id, "douyin_fetcher", capacity=self.capacity, work=self.rooms,
                       pid=1, host=f"host-{self.worker_id}")  # fmt: skip


@pytest.fixture
def client(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    env = {"HOME": str(tmp_path / "home"), "REDIS_URL": redis_url, "TOKEN": TOKEN, "STREAMCAP_PORT": "1"}
    for key, value in env.items():
        monkeypatch.setenv(f"TIMAO_{key}", value)
    monkeypatch.delenv("TIMAO_GATEWAY_PORT", raising=False)
    settings = load_settings()
    upgrade_to_head(make_engine(settings.effective_database_url))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:9019") as c:
        yield c


def test_workers_are_listed_and_new_rooms_are_placed_by_free_capacity_or_by_name(
    client: TestClient, redis_url: str
) -> None:
    with (
        StandInWorker(redis_url, "w1", capacity=10, rooms=["a1", "a2", "a3"]) as w1,
        StandInWorker(redis_url, "w2", capacity=5, rooms=["b1"]) as w2,
    ):
        listed = client.get("/api/workers", headers=AUTH)
        assert listed.status_code == 200, listed.text
        workers = {w["worker_id"]: w for w in listed.json()["workers"]}
        assert set(workers) == {"w1", "w2"}
        assert workers["w1"]["rooms"] == ["a1", "a2", "a3"] and workers["w1"]["capacity"] == 10
        assert workers["w2"]["host"] == "host-w2" and workers["w2"]["recordings"] == [] == workers["w2"]["jobs"]

        started = client.post("/api/douyin/start", json={"live_id": "100000000001"}, headers=AUTH)
        assert started.status_code == 200, started.text
        assert started.json()["worker_id"] == "w1"  # 7 free against 4
        assert len(w1.got("start_room")) == 1 and w2.got("start_room") == []
        assert "worker_id" not in w1.got("start_room")[0]  # placed by capacity: no preference kept

        placed = client.post("/api/douyin/start", json={"live_id": "100000000001", "worker_id": "w2"}, headers=AUTH)
        assert placed.status_code == 200 and placed.json()["worker_id"] == "w2"
        assert w2.got("start_room")[0]["worker_id"] == "w2"
        missing = client.post("/api/douyin/start", json={"live_id": "1", "worker_id": "nope"}, headers=AUTH)
        assert missing.status_code == 404 and "nope" in missing.json()["detail"]

        status = client.get("/api/douyin/status", headers=AUTH).json()["sessions"]
        assert sorted((s["session_id"], s["worker_id"]) for s in status) == [
            ("a1", "w1"), ("a2", "w1"), ("a3", "w1"), ("b1", "w2")
        ]  # fmt: skip

        # A stop goes to the worker that holds the room's lease.
        direct = redis.Redis.from_url(redis_url)
        direct.hset("timao:lease:douyin_fetcher:b1", mapping={"owner": "w2/123-abc", "token": 7})
        direct.close()
        stopped = client.post("/api/douyin/stop", json={"session_id": "b1"}, headers=AUTH)
        assert stopped.status_code == 200, stopped.text
        assert [p["session_id"] for p in w2.got("stop_room")] == ["b1"] and w1.got("stop_room") == []


def test_a_worker_that_stopped_reporting_is_gone(client: TestClient, redis_url: str) -> None:
    with StandInWorker(redis_url, "w9", capacity=3, rooms=[]):
        assert [w["worker_id"] for w in client.get("/api/workers", headers=AUTH).json()["workers"]] == ["w9"]
    direct = redis.Redis.from_url(redis_url)
    direct.zadd("timao:workers", {"w9": int((time.time() - 60) * 1000)})  # its last record, a minute ago
    direct.close()
    assert client.get("/api/workers", headers=AUTH).json()["workers"] == []


def test_a_room_is_moved_through_its_owner_to_a_live_worker_with_room_for_it(
    client: TestClient, redis_url: str
) -> None:
    direct = redis.Redis.from_url(redis_url)
    record = {"spec": {"live_id": "100000000001", "config": {}}, "assigned_at": 1}
    for session_id in ("a1", "b1"):
        direct.hset("timao:work:douyin_fetcher", session_id, json.dumps(record))
    direct.hset("timao:lease:douyin_fetcher:a1", mapping={"owner": "w1/123-abc", "token": 3})
    direct.close()
    with (
        StandInWorker(redis_url, "w1", capacity=10, rooms=["a1"]) as w1,
        StandInWorker(redis_url, "w2", capacity=1, rooms=["b1"]) as w2,
        StandInWorker(redis_url, "w3", capacity=5, rooms=[]) as w3,
    ):

        def move(session_id: str, worker_id: str) -> Any:
            return client.post("/api/douyin/move", json={"session_id": session_id, "worker_id": worker_id},
                               headers=AUTH)  # fmt: skip

        moved = move("a1", "w3")
        assert moved.status_code == 200, moved.text
        assert moved.json() == {"success": True, "session_id": "a1", "worker_id": "w3", "from_worker_id": "w1"}
        assert w1.got("move_room") == [{"session_id": "a1", "worker_id": "w3"}]  # sent to the room's owner
        assert w2.got("move_room") == [] == w3.got("move_room")

        there = move("a1", "w1")
        assert there.status_code == 409 and "已在工作节点 w1" in there.json()["detail"]
        full = move("a1", "w2")
        assert full.status_code == 409 and "w2 已满 (1/1)" in full.json()["detail"]
        unknown = move("zz", "w3")
        assert unknown.status_code == 404 and "zz" in unknown.json()["detail"]
        gone = move("a1", "nope")
        assert gone.status_code == 404 and "nope" in gone.json()["detail"]
        assert move("a1", "").status_code == 422
        # Between owners (no lease), the target writes the placement itself.
        between = move("b1", "w3")
        assert between.status_code == 200 and w3.got("move_room") == [{"session_id": "b1", "worker_id": "w3"}]
        assert len(w1.got("move_room")) == 1
