"""A gateway-only machine (docs/contracts.md, Workers on several machines): `timao up --role gateway` and one
`timao up --role worker` group, both started at once on a private Redis and a fresh PostgreSQL database (so both
launchers migrate it at the same moment). The gateway machine runs the gateway alone and says so (`timao status`,
`GET /health`); a room started through it runs on the worker and its chats are stored once; a recording started
through it (StreamCap's commands over the bus) records on the worker, is listed and stops, while what needs this
machine's own StreamCap (its rooms) answers 503 and a file on the worker's disk 409; when the worker stops, health
says no worker is live rather than calling services it never ran down, and the recording routes answer 503."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from services.douyin_fetcher.fake_server import load_scenario
from services.streamcap.synthetic import Mode, SyntheticConfig, SyntheticLive
from tests.conftest import RedisServer
from tests.e2e.harness import FAST_ROOM_CONFIG, FakeDouyinThread, Suite, eventually

pytestmark = pytest.mark.e2e

CHATS = 40
NO_WORKER = "no live worker"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDouyinThread]:
    f = FakeDouyinThread()
    f.start()
    yield f
    f.stop()


def scripted_room(web_rid: str) -> tuple[list[dict[str, Any]], set[str]]:
    steps: list[dict[str, Any]] = [{"room": {"web_rid": web_rid, "title": "网关节点测试"}}]
    truth = set()
    for i in range(CHATS):
        msg_id = 7_300_000_000_000_000_000 + i
        truth.add(str(msg_id))
        steps.append({"op": "frame", "events": [{"kind": "chat", "user": {"id": 20 + i % 5, "nickname": f"观众{i % 5}"},
                                                 "content": f"第{i}条", "msg_id": msg_id}]})  # fmt: skip
        steps.append({"op": "sleep", "s": 0.05})
    steps.append({"op": "end"})
    return steps, truth


def test_a_gateway_machine_serves_rooms_run_by_a_worker_machine(
    fake: FakeDouyinThread, private_redis: RedisServer, postgres_url: str, tmp_path: Path
) -> None:
    shared = {**fake.suite_env(), "TIMAO_REDIS_URL": private_redis.url, "TIMAO_DATABASE_URL": postgres_url}
    gateway = Suite(tmp_path / "office", role="gateway", extra_env=dict(shared))
    worker = Suite(tmp_path / "w1", role="worker", extra_env={**shared, "TIMAO_WORKER_ID": "w1"})
    live = SyntheticLive(SyntheticConfig(mode=Mode.STEADY, hls=False))
    stream_urls = live.start()
    try:
        gateway.start()
        worker.start()  # both launchers migrate the fresh database at once
        gateway.wait_running(timeout=180)
        worker.wait_running(timeout=180)

        status = gateway.cli("status", "--json")
        assert status.returncode == 0, status.stderr
        answer = json.loads(status.stdout)
        assert answer["role"] == "gateway" and set(answer["services"]) == {"gateway"}
        workers = eventually(
            lambda: json.loads(gateway.cli("status", "--json").stdout)["workers"] or [],
            lambda ws: [w["worker_id"] for w in ws] == ["w1"],
            30,
            "w1 in timao status",
        )
        assert {"douyin_fetcher", "streamcap", "ast"} <= set(workers[0]["services"])
        assert "role gateway" in gateway.cli("status").stdout
        assert set(worker.status()["services"]) == {"douyin_fetcher", "streamcap", "ast"}

        # Health lists what this machine runs, and is ok: the workers are elsewhere, not down.
        health = eventually(lambda: httpx.get(gateway.base_url + "/health").json(), _ok, 30, "health ok")
        assert set(health["services"]) == {"gateway"}

        # A room started through the gateway runs on the worker; its chats reach the database once.
        steps, truth = scripted_room("6300000000001")
        room = fake.load(load_scenario(steps))
        with httpx.Client(base_url=gateway.base_url, headers=gateway.auth, timeout=30) as api:
            started = api.post("/api/douyin/start", json={"live_id": "6300000000001", "config": FAST_ROOM_CONFIG})
            assert started.status_code == 200, started.text
            session_id = started.json()["session_id"]
            rooms = eventually(
                lambda: api.get("/api/douyin/status").json()["sessions"],
                lambda ss: any(s["session_id"] == session_id and s["worker_id"] == "w1" for s in ss),
                60,
                "the room on w1",
            )
            assert [s["worker_id"] for s in rooms if s["session_id"] == session_id] == ["w1"]
            eventually(room.done.is_set, bool, 120, "the scripted live played")
            stored = eventually(
                lambda: _stored_msg_ids(postgres_url, session_id), lambda ids: len(ids) >= CHATS, 60, "chats stored"
            )
            assert sorted(stored) == sorted(truth)  # every chat, each once
            comments = api.get(f"/api/sessions/{session_id}/comments", params={"limit": 500}).json()["comments"]
            assert len(comments) == CHATS

            # A recording started through the gateway: this machine has no StreamCap, the worker records it.
            answer = api.post("/api/streamcap/start", json={"platform": "direct", "stream_url": stream_urls.flv,
                                                             "segment_seconds": 10})  # fmt: skip
            assert answer.status_code == 200, answer.text
            recording_id = answer.json()["recording_id"]

            def listed() -> dict[str, Any]:
                recordings = api.get("/api/streamcap/recordings").json()["recordings"]
                return next((r for r in recordings if r["recording_id"] == recording_id), {})

            recording = eventually(
                listed,
                lambda r: r.get("state") == "recording" and any(f["size"] > 0 for f in r["files"]),
                60,
                "the recording on w1",
            )
            assert recording["worker_id"] == "w1" and {f["worker_id"] for f in recording["files"]} == {"w1"}
            assert all(Path(f["path"]).is_relative_to(tmp_path / "w1") for f in recording["files"])
            assert api.get(f"/api/streamcap/recordings/{recording_id}").json()["worker_id"] == "w1"
            eventually(lambda: api.get("/api/workers").json()["workers"],
                       lambda ws: [w["recordings"] for w in ws] == [[recording_id]], 10, "w1 lists it")  # fmt: skip
            # The file is on w1's disk: its subtitles say where; StreamCap's own routes need one on this machine.
            far = api.get(f"/api/streamcap/recordings/{recording_id}/subtitles",
                          params={"kind": "danmaku", "format": "srt"})  # fmt: skip
            assert far.status_code == 409 and "w1" in far.json()["detail"], far.text
            assert api.get("/api/streamcap/recordings/nope").status_code == 404
            rooms = api.get("/api/streamcap/rooms")
            assert rooms.status_code == 503 and "this machine" in rooms.json()["detail"], rooms.text
            stopped = api.post("/api/streamcap/stop", json={"recording_id": recording_id})
            assert stopped.status_code == 200, stopped.text
            done = eventually(listed, lambda r: r["state"] == "done", 60, "the recording done")
            assert done["files"] and all(f["worker_id"] == "w1" for f in done["files"])

        # The worker machine stops: health says there is no worker, and still lists only the gateway.
        worker.stop()
        health = eventually(
            lambda: httpx.get(gateway.base_url + "/health").json(),
            lambda h: NO_WORKER in (h["reason"] or ""),
            30,
            "health without a worker",
        )
        assert health["status"] == "degraded" and set(health["services"]) == {"gateway"}
        assert health["services"]["gateway"]["status"] == "running"
        gone = httpx.get(gateway.base_url + "/api/streamcap/recordings", headers=gateway.auth, timeout=30)
        assert gone.status_code == 503 and "streamcap" in gone.json()["detail"], gone.text
    finally:
        live.stop()
        for suite in (worker, gateway):
            with contextlib.suppress(Exception):
                suite.stop()


def _ok(health: dict[str, Any]) -> bool:
    return bool(health["status"] == "ok")


def _stored_msg_ids(database_url: str, session_id: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT msg_id FROM comment_data WHERE session_id = :s"), {"s": session_id})
            return [str(r[0]) for r in rows]
    finally:
        engine.dispose()
