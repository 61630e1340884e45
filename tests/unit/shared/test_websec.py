"""The local-only guard: foreign Host and Origin refused, token required on /api and /ws."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from shared.errors import ConfigError
from shared.websec import (
    WS_CLOSE_BAD_TOKEN,
    LocalGuard,
    hello_proof,
    parse_origins,
    trim_validation_errors,
    ui_origins,
)

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
        pytest.param({**AUTH, "Origin": "http://localhost:10030"}, 403, id="dev-server-origin-not-allowed-by-default"),
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


DEV = "http://127.0.0.1:10030"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}


@pytest.fixture
def cors_client() -> TestClient:
    """A guard whose user allowed the Vite dev server's origin (TIMAO_ALLOWED_ORIGINS)."""
    app = FastAPI()

    @app.api_route("/api/thing", methods=["GET", "POST", "OPTIONS"])
    def thing() -> dict[str, bool]:
        return {"reached": True}

    app.add_middleware(LocalGuard, token=TOKEN, allowed_origins=ui_origins(9019), cors_origins=parse_origins([DEV]))
    return TestClient(app, base_url="http://127.0.0.1:9019")


def test_preflight_from_an_allowed_origin_is_answered_by_the_guard(cors_client: TestClient) -> None:
    response = cors_client.options("/api/thing", headers={"Origin": DEV, **PREFLIGHT})
    assert response.status_code == 204 and response.content == b""  # no token needed, and no route reached
    assert response.headers["access-control-allow-origin"] == DEV
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


def test_cross_origin_answers_carry_the_allow_origin_header(cors_client: TestClient) -> None:
    ok = cors_client.get("/api/thing", headers={"Origin": DEV, **AUTH})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == DEV
    # A refusal is readable by the allowed UI too (it can tell a bad token from a network error).
    refused = cors_client.get("/api/thing", headers={"Origin": DEV})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == DEV
    own = cors_client.get("/api/thing", headers={"Origin": "http://127.0.0.1:9019", **AUTH})
    assert own.status_code == 200 and "access-control-allow-origin" not in own.headers


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://evil.example", id="foreign"),
        pytest.param("http://127.0.0.1:9019", id="own-origin-needs-no-preflight"),
        pytest.param(None, id="no-origin"),
    ],
)
def test_other_preflights_are_refused_and_never_reach_a_route(cors_client: TestClient, origin: str | None) -> None:
    headers = {**PREFLIGHT, **({"Origin": origin} if origin else {})}
    response = cors_client.options("/api/thing", headers=headers)
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert "reached" not in response.text


def test_dev_server_origin_is_refused_unless_allowed(client: TestClient) -> None:
    response = client.options("/api/thing", headers={"Origin": DEV, **PREFLIGHT})
    assert response.status_code == 403 and "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("value", ["*", "http://127.0.0.1:10030/app", "127.0.0.1:10030", "null", "file://x"])
def test_allowed_origins_must_be_origins(value: str) -> None:
    with pytest.raises(ConfigError, match="TIMAO_ALLOWED_ORIGINS"):
        parse_origins(["http://localhost:10030", value])


def test_allowed_origins_parsed() -> None:
    assert parse_origins(["", " HTTP://LocalHost:10030/ ", "http://[::1]:5173"]) == [
        "http://localhost:10030",
        "http://[::1]:5173",
    ]


async def _echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    """A bare ASGI app (no FastAPI): reads the whole body, answers its length."""
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = str(size).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


def _chunked(total: int) -> Iterator[bytes]:
    for start in range(0, total, 300):
        yield b"x" * min(300, total - start)


@pytest.mark.parametrize(("size", "status"), [(1000, 200), (1001, 413)])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_limit(size: int, status: int, chunked: bool) -> None:
    guard = LocalGuard(_echo_length, token=TOKEN, allowed_origins=ui_origins(9019), max_body=1000)
    client = TestClient(guard, base_url="http://127.0.0.1:9019")
    response = client.post("/api/thing", content=_chunked(size) if chunked else b"x" * size, headers=AUTH)
    assert response.status_code == status
    assert response.text == str(size) if status == 200 else "request body larger than" in response.json()["detail"]


def test_validation_errors_are_trimmed() -> None:
    errors = [
        {"type": "missing", "loc": ("body", "name"), "msg": "Field required", "input": {"big": "x" * 10_000}},
        {"type": "string_too_long", "loc": ("body", "name"), "msg": "too long", "input": "y" * 500,
         "ctx": {"max_length": 200}, "url": "https://errors.pydantic.dev/..."},
        {"type": "value_error", "loc": ("body", "n"), "msg": "m" * 1000, "input": 7,
         "ctx": {"error": ValueError("z" * 500)}},
    ]  # fmt: skip
    missing, too_long, value = trim_validation_errors(errors)
    assert missing == {"type": "missing", "loc": ["body", "name"], "msg": "Field required"}
    assert too_long["ctx"] == {"max_length": 200} and len(too_long["input"]) == 64 and "url" not in too_long
    assert value["input"] == 7 and len(value["msg"]) <= 300 and len(value["ctx"]["error"]) <= 64


def test_hello_proof_vector() -> None:
    # The same vector is checked by the desktop shell's own code (electron/test/health.test.ts).
    expected = "882f8ada29d051e645d5cc7d80e497f7c7c30b8bd38c56c5bbd4806112ae3f44"
    assert hello_proof("tok-123", 9019, "nonce-0123456789abcdef") == expected
