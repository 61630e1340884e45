"""The analytics routes in the real gateway app (in-process, real Redis and SQLite): shapes, 404/422, /ws, report."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from shared.bus import Bus
from shared.config import load_settings
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.events import EventType, LiveEvent
from tests.unit.analytics.script import CHATTERS, RANKING, TOTALS, show

TOKEN = "analytics-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def client(home: Path, redis_url: str) -> Iterator[TestClient]:
    settings = load_settings(home=home, redis_url=redis_url, token=TOKEN, streamcap_port=1)
    upgrade_to_head(make_engine(settings.effective_database_url))
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


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_analytics_routes(client: TestClient, redis_url: str, home: Path) -> None:
    with client.websocket_connect(f"ws://127.0.0.1:9019/ws?token={TOKEN}&session_id=show") as ws:
        wait_for(lambda: len(client.app.state.gw.hub.clients) == 1)  # type: ignore[attr-defined]
        publish(redis_url, show())
        wait_for(lambda: (home / "reports" / "show.html").is_file())  # written by itself when the live ended
        stats_event = None
        while stats_event is None:
            msg = orjson.loads(ws.receive_text())
            if msg["type"] == "stats":
                stats_event = msg
    assert stats_event["session_id"] == "show" and set(stats_event["data"]) == {"totals", "minute"}
    assert LiveEvent.from_json(orjson.dumps(stats_event)).type == EventType.STATS  # the event schema has it
    assert {"comments", "gifts", "diamonds", "likes", "peak_online"} <= set(stats_event["data"]["totals"])

    body = client.get("/api/sessions/show/stats?resolution=60", headers=AUTH).json()
    assert body["totals"] == TOTALS
    assert {"t", "online", "comments", "likes", "gifts", "diamonds", "follows", "shares", "members", "chatters"} <= set(
        body["series"][0]
    )
    assert client.get("/api/sessions/show/gifts/ranking", headers=AUTH).json() == {"ranking": RANKING}
    assert client.get("/api/sessions/show/chatters/top", headers=AUTH).json() == {"chatters": CHATTERS}
    words = client.get("/api/sessions/show/hotwords?window=300", headers=AUTH).json()["words"]
    assert words[0] == {"word": "口红", "count": 2}
    questions = client.get("/api/sessions/show/questions", headers=AUTH).json()["questions"]
    assert [(q["msg_id"], q["content"]) for q in questions] == [("c3", "口红有货吗"), ("c2", "这个多少钱")]
    assert set(questions[0]) >= {"msg_id", "user_name", "content", "ts"}

    report = client.get("/api/sessions/show/report", headers=AUTH)
    assert report.status_code == 200 and "default-src 'none'" in report.headers["content-security-policy"]
    assert "&lt;script&gt;" in report.text and "<script" not in report.text
    export = client.get("/api/sessions/show/export?format=jsonl&kind=gifts", headers=AUTH)
    assert sum(orjson.loads(line)["diamonds"] for line in export.content.splitlines()) == 69


def test_bad_requests_are_4xx(client: TestClient) -> None:
    assert client.get("/api/sessions/show/stats").status_code == 401
    assert client.get("/api/sessions/nope/stats", headers=AUTH).status_code == 404
    assert client.get("/api/sessions/nope/report", headers=AUTH).status_code == 404
    assert client.get("/api/sessions/x/stats?resolution=10", headers=AUTH).status_code == 422
    assert client.get("/api/sessions/x/hotwords?window=0", headers=AUTH).status_code == 422
    assert client.get("/api/sessions/x/export?format=xml", headers=AUTH).status_code == 422
