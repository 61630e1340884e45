"""``/api/ast`` on several workers (docs/contracts.md, Workers on several machines), in-process over real Redis with
two stand-in AST workers, each on its own queue and in the registry: a new job goes to the worker with the most free
transcription slots or the one named, a stop to the job's lease owner, and the status names each job's worker (a job
between owners shows as ``unowned``)."""

from __future__ import annotations

import asyncio
from typing import Any

import redis
from fastapi.testclient import TestClient

from shared.assignments import Assignments
from shared.bus import Bus
from shared.workers import register
from tests.unit.gateway.stand_in import StandInService
from tests.unit.gateway.test_workers_api import AUTH, client

__all__ = ["client"]


class StandInAst(StandInService):
    """The AST service of one worker: registers ``jobs`` with ``capacity`` and answers for them."""

    def __init__(self, redis_url: str, worker_id: str, capacity: int, jobs: list[str]) -> None:
        super().__init__(redis_url, "ast", worker_id=worker_id, ready_s=5)
        self.capacity, self.jobs = capacity, jobs

    async def answer(self, bus: Bus, command: str, params: dict[str, Any]) -> dict[str, Any]:
        if command == "start_job":
            return {"session_id": params["session_id"], "state": "starting", "worker_id": self.worker_id}
        if command == "stop_job":
            return {"session_id": params["session_id"], "state": "stopped", "worker_id": self.worker_id}
        jobs = [{"session_id": j, "state": "running", "worker_id": self.worker_id, "rtf": 0.25, "queue_depth": 1}
                for j in self.jobs]  # fmt: skip
        return {"jobs": jobs, "recent_jobs": [], "max_jobs": self.capacity, "engine": "whisper", "model": "base",
                "engines": [{"engine": "whisper", "model": "base", "jobs": len(jobs)}], "rtf": 0.25 * len(jobs),
                "queue_depth": len(jobs), "last_error": None, "worker_id": self.worker_id}  # fmt: skip

    async def beat(self, bus: Bus) -> None:
        await bus.heartbeat({"pid": 1, "state": "running"})
        assert self.worker_id is not None
        await register(bus.redis, self.worker_id, "ast", capacity=self.capacity, work=self.jobs, pid=1,
                       host=f"host-{self.worker_id}")  # fmt: skip


def test_jobs_are_placed_by_free_slots_or_by_name_stopped_at_their_owner_and_listed_with_their_worker(
    client: TestClient, redis_url: str
) -> None:
    with (
        StandInAst(redis_url, "w1", capacity=4, jobs=["j1", "j2"]) as w1,
        StandInAst(redis_url, "w2", capacity=2, jobs=[]) as w2,
    ):
        listed = {w["worker_id"]: w for w in client.get("/api/workers", headers=AUTH).json()["workers"]}
        assert listed["w1"]["jobs"] == ["j1", "j2"] and listed["w2"]["jobs"] == []

        audio = {"source": "file", "path": "/srv/show.wav"}
        started = client.post("/api/ast/start", json={"audio_config": audio}, headers=AUTH)
        assert started.status_code == 200, started.text
        assert started.json()["worker_id"] == "w2"  # 2 free against 2: fewer jobs wins
        assert len(w2.got("start_job")) == 1 and w1.got("start_job") == []
        assert w2.got("start_job")[0].get("worker_id") is None  # placed by capacity: no preference kept

        placed = client.post("/api/ast/start", json={"audio_config": audio, "worker_id": "w1"}, headers=AUTH)
        assert placed.status_code == 200 and placed.json()["worker_id"] == "w1"
        assert w1.got("start_job")[0]["worker_id"] == "w1"
        missing = client.post("/api/ast/start", json={"audio_config": audio, "worker_id": "nope"}, headers=AUTH)
        assert missing.status_code == 404 and "nope" in missing.json()["detail"]

        # A job between owners: assigned, nobody holds its lease.
        direct = redis.Redis.from_url(redis_url)

        async def assign() -> None:
            bus = Bus(redis_url, service="ast")
            await bus.start()
            await Assignments(bus.redis, "ast").put("orphan", {"audio_config": audio})
            await bus.close()

        asyncio.run(assign())
        status = client.get("/api/ast/status", headers=AUTH)
        assert status.status_code == 200, status.text
        body = status.json()
        assert sorted((j["session_id"], j["worker_id"], j["state"]) for j in body["jobs"]) == [
            ("j1", "w1", "running"), ("j2", "w1", "running"), ("orphan", None, "unowned")
        ]  # fmt: skip
        assert body["max_jobs"] == 6 and body["queue_depth"] == 2 and sorted(body["workers"]) == ["w1", "w2"]

        # A stop goes to the worker that holds the job's lease.
        direct.hset("timao:lease:ast:j2", mapping={"owner": "w1/123-abc", "token": 3})
        direct.close()
        stopped = client.post("/api/ast/stop", json={"session_id": "j2"}, headers=AUTH)
        assert stopped.status_code == 200, stopped.text
        assert [p["session_id"] for p in w1.got("stop_job")] == ["j2"] and w2.got("stop_job") == []
