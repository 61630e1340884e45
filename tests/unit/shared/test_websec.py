"""The local-only guard: foreign Host and Origin refused, token required on /api and /ws."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from shared.websec import WS_CLOSE_BAD_TOKEN, LocalGuard, ui_origins

TOKEN = "t0ken-for-tests"


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/thing")
    def thing() -> dict[str, bool]:
        return {"ok": True}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    app.add_middleware(LocalGuard, token=TOKEN, allowed_origins=ui_origins(9019))
    return TestClient(app, base_url="http://127.0.0.1:9019")


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({}, 401, id="no-token"),
        pytest.param({"Authorization": "Bearer wrong"}, 401, id="wrong-token"),
        pytest.param({"Authorization": TOKEN}, 401, id="not-bearer"),
        pytest.param(AUTH, 200, id="good"),
        pytest.param({**AUTH, "Origin": "http://127.0.0.1:9019"}, 200, id="own-origin"),
        pytest.param({**AUTH, "Origin": "http://localhost:10030"}, 200, id="dev-server-origin"),
        pytest.param({**AUTH, "Origin": "https://evil.example"}, 403, id="foreign-origin"),
        pytest.param({**AUTH, "Origin": "null"}, 403, id="null-origin"),
        pytest.param({**AUTH, "Host": "evil.example:9019"}, 421, id="dns-rebinding-host"),
        pytest.param({**AUTH, "Host": "localhost:9019"}, 200, id="localhost-host"),
        pytest.param({**AUTH, "Host": "[::1]:9019"}, 200, id="ipv6-host"),
    ],
)
def test_api_guard(client: TestClient, headers: dict[str, str], status: int) -> None:
    response = client.get("/api/thing", headers=headers)
    assert response.status_code == status
    if status != 200:
        assert "detail" in response.json()


def test_websocket_with_token_query(client: TestClient) -> None:
    with client.websocket_connect(f"ws://127.0.0.1:9019/ws?token={TOKEN}") as ws:
        assert ws.receive_text() == "hello"


def test_websocket_bad_token_gets_4401(client: TestClient) -> None:
    with (
        client.websocket_connect("ws://127.0.0.1:9019/ws?token=nope") as ws,
        pytest.raises(WebSocketDisconnect) as info,
    ):
        ws.receive_text()
    assert info.value.code == WS_CLOSE_BAD_TOKEN


def test_websocket_foreign_origin_refused(client: TestClient) -> None:
    with (
        client.websocket_connect(
            f"ws://127.0.0.1:9019/ws?token={TOKEN}", headers={"Origin": "https://evil.example"}
        ) as ws,
        pytest.raises(WebSocketDisconnect) as info,
    ):
        ws.receive_text()
    assert info.value.code == 4403
