"""The gateway app in-process over real Redis and SQLite: health, sessions, 503s, /ws fan-out."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from services.gateway.app import create_app
from services.gateway.live import CLIENT_QUEUE_SIZE, LiveHub
from shared.bus import Bus
from shared.config import load_settings
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.events import LiveEvent

TOKEN = "gateway-test-token"
BASE = "http://127.0.0.1:9019"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    # As the launcher does it: every setting through the environment.
    for key, value in {"HOME": str(tmp_path), "REDIS_URL": redis_url, "TOKEN": TOKEN, "STREAMCAP_PORT": "1"}.items():
        monkeypatch.setenv(f"TIMAO_{key}", value)
    monkeypatch.delenv("TIMAO_GATEWAY_PORT", raising=False)
    settings = load_settings()
    upgrade_to_head(make_engine(settings.effective_database_url))
    with TestClient(create_app(settings), base_url=BASE) as c:
        yield c


def publish(redis_url: str, *events: LiveEvent) -> None:
    async def go() -> None:
        bus = Bus(redis_url, service="test")
        await bus.start()
        for e in events:
            await bus.publish(e)
        await bus.close()

    asyncio.run(go())


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_health_without_token(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] in ("ok", "degraded")
    assert body["services"]["gateway"]["status"] == "running"


def test_dead_letters_make_health_degraded_until_read_and_cleared(client: TestClient, redis_url: str) -> None:
    publish(redis_url, LiveEvent.build("chat", "s-dead", {"content": "好"}, msg_id="1", ts=1))

    async def poison() -> None:
        bus = Bus(redis_url, service="test")
        await bus.start()
        await bus.publish(b'{"type":"chat","session_id":"s-dead","msg_id":"2","ts":1,"user":"x","data":{}}')
        await bus.close()

    asyncio.run(poison())
    wait_for(lambda: client.get("/health").json()["services"]["gateway"]["persister"]["dead_letters"] == 1)
    body = client.get("/health").json()
    assert body["status"] == "degraded" and "1 条事件无法存储" in body["reason"]
    assert body["services"]["gateway"]["persister"]["state"] == "running"
    listed = client.get("/api/events/dead-letters", headers=AUTH).json()
    assert listed["count"] == 1 and "user is not an object" in listed["items"][0]["error"]
    assert '"msg_id":"2"' in listed["items"][0]["payload"]
    assert client.get("/api/events/dead-letters").status_code == 401
    assert client.delete("/api/events/dead-letters", headers=AUTH).json() == {"removed": 1, "count": 0}
    body = client.get("/health").json()
    assert "无法存储" not in (body["reason"] or "")


def test_api_needs_token(client: TestClient) -> None:
    assert client.get("/api/sessions").status_code == 401
    assert client.get("/api/sessions", headers=AUTH).json() == {"sessions": []}


@pytest.mark.parametrize(
    ("method", "path", "body", "service"),
    [
        ("post", "/api/douyin/start", {"live_id": "148108118778"}, "douyin_fetcher"),
        ("get", "/api/douyin/status", None, "douyin_fetcher"),
        ("post", "/api/ast/start", {"audio_config": {"source": "url", "url": "http://127.0.0.1:1/a"}}, "ast"),
        ("get", "/api/streamcap/recordings", None, "streamcap"),
    ],
)
def test_routes_of_a_stopped_service_answer_503_with_reason(
    client: TestClient, method: str, path: str, body: dict[str, Any] | None, service: str
) -> None:
    response = client.request(method, path, json=body, headers=AUTH)
    assert response.status_code == 503
    assert service in response.json()["detail"]
    assert "not running" in response.json()["detail"]


def test_bad_input_is_a_4xx_not_a_500(client: TestClient) -> None:
    assert client.post("/api/douyin/start", json={"live_id": ""}, headers=AUTH).status_code == 422
    # Share text copied from the app may be long; beyond 2,000 characters it is no share text.
    assert client.post("/api/douyin/start", json={"live_id": "链" * 2001}, headers=AUTH).status_code == 422
    assert client.post("/api/ast/start", json={"audio_config": {"source": "mic"}}, headers=AUTH).status_code == 422
    assert client.get("/api/sessions/nope", headers=AUTH).status_code == 404
    assert (
        client.post("/api/douyin/start", content=b"{", headers={**AUTH, "Content-Type": "application/json"}).status_code
        == 422
    )


def test_comments_are_persisted_paged_and_searchable(client: TestClient, redis_url: str) -> None:
    events = [LiveEvent.build("chat", "s1", {"content": f"第{i}条 {'100%' if i == 3 else ''}"}, msg_id=str(i),
                              ts=1000 + i,
                              user={"id": f"u{i}", "nickname": f"观众{i}"}) for i in range(10)]  # fmt: skip
    publish(redis_url, *events)
    wait_for(lambda: len(client.get("/api/sessions/s1/comments", headers=AUTH).json()["comments"]) == 10)
    newest = client.get("/api/sessions/s1/comments?limit=3", headers=AUTH).json()["comments"]
    assert [c["msg_id"] for c in newest] == ["9", "8", "7"]
    assert newest[0] == {
        "msg_id": "9",
        "user_name": "观众9",
        "user_id": "u9",
        "content": "第9条 ",
        "ts": 1009,
        "type": "chat",
        "masked": False,
    }
    older = client.get("/api/sessions/s1/comments?limit=3&before=1007", headers=AUTH).json()["comments"]
    assert [c["msg_id"] for c in older] == ["6", "5", "4"]
    found = client.get("/api/sessions/s1/comments?q=100%25", headers=AUTH).json()["comments"]
    assert [c["msg_id"] for c in found] == ["3"]  # % is literal text, not a wildcard


def test_transcripts_in_time_order(client: TestClient, redis_url: str) -> None:
    publish(
        redis_url,
        LiveEvent.build(
            "transcript",
            "s2",
            {"text": "第二句", "start_ms": 2000, "end_ms": 2500, "confidence": 0.8, "language": "zh"},
        ),
        LiveEvent.build(
            "transcript", "s2", {"text": "第一句", "start_ms": 100, "end_ms": 900, "confidence": 0.9, "language": "zh"}
        ),
    )
    wait_for(lambda: len(client.get("/api/sessions/s2/transcripts", headers=AUTH).json()["transcripts"]) == 2)
    rows = client.get("/api/sessions/s2/transcripts", headers=AUTH).json()["transcripts"]
    assert [r["text"] for r in rows] == ["第一句", "第二句"]
    assert rows[0]["start_ms"] == 100 and rows[0]["language"] == "zh"


def test_ws_streams_live_events_filtered_by_session(client: TestClient, redis_url: str) -> None:
    with client.websocket_connect(f"ws://127.0.0.1:9019/ws?token={TOKEN}&session_id=mine") as ws:
        wait_for(lambda: len(client.app.state.gw.hub.clients) == 1)  # type: ignore[attr-defined]
        time.sleep(0.2)
        threading.Thread(
            target=publish,
            args=(
                redis_url,
                LiveEvent.build("chat", "other", {"content": "不是我的"}),
                LiveEvent.build("chat", "mine", {"content": "我的"}),
            ),
        ).start()
        event = LiveEvent.from_json(ws.receive_text())
        assert event.session_id == "mine" and event.data["content"] == "我的"


def test_ws_without_token_is_closed_4401(client: TestClient) -> None:
    with client.websocket_connect("ws://127.0.0.1:9019/ws") as ws, pytest.raises(WebSocketDisconnect) as info:
        ws.receive_text()
    assert info.value.code == 4401


async def test_a_slow_client_is_dropped_without_slowing_others() -> None:
    hub = LiveHub(bus=None)  # type: ignore[arg-type]
    slow, fast = hub.register(None), hub.register(None)
    for i in range(CLIENT_QUEUE_SIZE + 5):
        hub.dispatch(LiveEvent.build("like", "s", {"count": 1}, msg_id=str(i)).to_json())
        fast.queue.get_nowait()  # the fast client keeps up
    assert slow.too_slow.is_set() and slow not in hub.clients
    assert fast in hub.clients and not fast.too_slow.is_set()
    assert hub.dropped_clients == 1


def test_ws_closes_1013_while_the_live_feed_is_down(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.gateway.api.routes import ws as ws_route

    monkeypatch.setattr(ws_route, "LIVE_WAIT_S", 0.3)
    hub: LiveHub = client.app.state.gw.hub  # type: ignore[attr-defined]
    wait_for(hub.live.is_set)
    client.portal.call(hub.live.clear)  # type: ignore[union-attr]  # as if Redis had just gone
    with (
        client.websocket_connect(f"ws://127.0.0.1:9019/ws?token={TOKEN}") as ws,
        pytest.raises(WebSocketDisconnect) as info,
    ):
        ws.receive_text()
    assert info.value.code == 1013 and hub.clients == set()
    client.portal.call(hub.live.set)  # type: ignore[union-attr]
    with client.websocket_connect(f"ws://127.0.0.1:9019/ws?token={TOKEN}"):
        wait_for(lambda: len(hub.clients) == 1)


def test_settings_read_and_edit(client: TestClient, tmp_path: Path) -> None:
    view = client.get("/api/settings", headers=AUTH).json()
    assert view["gateway_port"] == 9019 and view["recording_quality"] == "origin" and "token" not in view
    assert view["restart_required"] == []
    changed = client.put("/api/settings", json={"recording_quality": "HD1", "gateway_port": 9100}, headers=AUTH)
    assert changed.status_code == 200
    assert changed.json()["recording_quality"] == "HD1"
    assert changed.json()["restart_required"] == ["gateway_port"]
    assert 'recording_quality = "HD1"' in (tmp_path / "settings.toml").read_text()
    assert client.get("/api/settings", headers=AUTH).json()["gateway_port"] == 9100
    bad = client.put("/api/settings", json={"gateway_port": 70000}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "gateway_port"]
    assert client.put("/api/settings", json={"token": "x"}, headers=AUTH).status_code == 422
    reset = client.put("/api/settings", json={"gateway_port": None}, headers=AUTH).json()
    assert reset["gateway_port"] == 9019 and reset["restart_required"] == []
