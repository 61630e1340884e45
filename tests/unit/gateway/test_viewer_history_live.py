"""Two shows reach the gateway over the real bus (Redis) and its persister; then the viewer history spans both,
a masked viewer has none, and a draw over the live comments is the same when re-run from its seed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from services.gateway.repo import SessionRepo
from shared.bus import Bus
from shared.config import load_settings
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.events import LiveEvent

TOKEN = "viewer-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T0 = 1_790_000_000_000
FAN = {"id": "7001", "nickname": "铁粉"}


def show(session: str, start: int) -> list[dict[str, Any]]:
    def ev(kind: str, n: int, data: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        return {"type": kind, "session_id": session, "live_id": "123", "msg_id": f"{session}-{n}",
                "ts": start + n * 1000, "user": user, "data": data}  # fmt: skip

    events = [ev("chat", n, {"content": "扣1"}, {"id": f"80{n:02d}", "nickname": f"观众{n}"}) for n in range(20)]
    events += [
        ev("chat", 30, {"content": "主播好，扣1"}, FAN),
        ev("gift", 31, {"gift_id": "1", "gift_name": "玫瑰", "delta": 3, "diamond_count": 10}, FAN),
        ev("follow", 32, {}, FAN),
        ev("chat", 33, {"content": "扣1"}, {"id": "", "nickname": "用户****", "masked": True}),
    ]
    return events


@pytest.fixture
def client(tmp_path: Path, redis_url: str) -> Iterator[TestClient]:
    settings = load_settings(home=tmp_path, redis_url=redis_url, token=TOKEN, streamcap_port=1)
    engine = make_engine(settings.effective_database_url)
    upgrade_to_head(engine)
    for sid in ("show1", "show2"):
        SessionRepo(engine).create_session(session_id=sid, platform="douyin", live_id="123")
    engine.dispose()
    with TestClient(create_app(settings), base_url="http://127.0.0.1:9019") as c:
        yield c


def publish(redis_url: str, events: list[dict[str, Any]]) -> None:
    async def go() -> None:
        bus = Bus(redis_url, service="test")
        await bus.start()
        for e in events:
            await bus.publish(LiveEvent.model_validate(e))
        await bus.close()

    asyncio.run(go())


def test_history_across_two_shows_and_a_replayable_draw(client: TestClient, redis_url: str) -> None:
    publish(redis_url, show("show1", T0) + show("show2", T0 + 86_400_000))
    deadline = time.monotonic() + 30
    history: dict[str, Any] = {}
    while time.monotonic() < deadline:
        res = client.get("/api/viewers/7001", headers=AUTH)
        history = res.json() if res.status_code == 200 else {}
        # Each part of the history is its own query: one answer read while the last batch lands can hold the new
        # follow but the summary from before it, so wait for the whole of it.
        complete = len(history.get("sessions", [])) == 2 and len(history.get("follows", [])) == 2
        if complete and history.get("last_seen") == T0 + 86_400_000 + 32_000:
            break
        time.sleep(0.1)
    assert [s["session_id"] for s in history["sessions"]] == ["show1", "show2"]
    assert history["nickname"] == "铁粉" and history["diamonds"] == 60
    assert [c["content"] for c in history["comments"]] == ["主播好，扣1", "主播好，扣1"]
    assert history["first_seen"] == T0 + 30_000 and history["last_seen"] == T0 + 86_400_000 + 32_000
    assert client.get("/api/viewers/8001", headers=AUTH).json()["sessions"][0]["comments"] == 1
    assert client.get("/api/viewers/111111", headers=AUTH).status_code == 404

    body = {"keyword": "扣1", "since_ms": T0, "until_ms": T0 + 60_000, "winners": 5}
    draw = client.post("/api/sessions/show1/draws", json=body, headers=AUTH).json()
    assert draw["entrants"] == 21  # 20 viewers and the fan; the masked viewer is no entrant
    replay = client.post("/api/sessions/show1/draws", json={**body, "seed": draw["seed"]}, headers=AUTH).json()
    assert replay["winners"] == draw["winners"] and len(draw["winners"]) == 5
