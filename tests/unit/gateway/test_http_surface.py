"""What the gateway's HTTP surface offers a local caller besides its routes: no API explorer, CORS only for origins
the user allowed, bounded request bodies, validation errors that do not echo the body."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from shared.config import load_settings
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.websec import MAX_BODY

TOKEN = "surface-test-token"
BASE = "http://127.0.0.1:9019"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeClient]:
    """A started gateway; ``env`` adds TIMAO_* settings (e.g. ALLOWED_ORIGINS)."""
    clients: list[TestClient] = []

    def make(**env: str) -> TestClient:
        values = {"HOME": str(tmp_path), "REDIS_URL": redis_url, "TOKEN": TOKEN, "STREAMCAP_PORT": "1", **env}
        for key, value in values.items():
            monkeypatch.setenv(f"TIMAO_{key}", value)
        for key in ("GATEWAY_PORT", "ALLOWED_ORIGINS"):
            if key not in env:
                monkeypatch.delenv(f"TIMAO_{key}", raising=False)
        settings = load_settings()
        upgrade_to_head(make_engine(settings.effective_database_url))
        client = TestClient(create_app(settings), base_url=BASE)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"])
def test_no_api_explorer_or_schema_is_served(make_client: MakeClient, path: str) -> None:
    response = make_client().get(path)
    # 404, or the UI's own page where a built frontend catches every path; never Swagger (CDN scripts) or the schema.
    assert response.status_code in (200, 404)
    assert "swagger" not in response.text.lower() and "redoc" not in response.text.lower()
    assert '"openapi"' not in response.text


DEV = "http://127.0.0.1:10030"
PREFLIGHT = {"Origin": DEV, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}


def test_dev_server_origin_is_not_trusted_by_default(make_client: MakeClient) -> None:
    client = make_client()
    assert client.options("/api/sessions", headers=PREFLIGHT).status_code == 403
    assert client.get("/api/sessions", headers={**AUTH, "Origin": DEV}).status_code == 403


def test_cors_for_an_origin_the_user_allowed(make_client: MakeClient) -> None:
    client = make_client(ALLOWED_ORIGINS=DEV)
    preflight = client.options("/api/sessions", headers=PREFLIGHT)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == DEV
    answer = client.get("/api/sessions", headers={**AUTH, "Origin": DEV})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == DEV
    foreign = {**PREFLIGHT, "Origin": "https://evil.example"}
    assert client.options("/api/sessions", headers=foreign).status_code == 403


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_bodies_over_one_mib_are_refused(make_client: MakeClient, chunked: bool) -> None:
    client = make_client()
    total = MAX_BODY + 1
    body: bytes | Iterator[bytes] = _chunks(total) if chunked else b" " * total
    headers = {**AUTH, "Content-Type": "application/json"}
    for path in ("/api/douyin/start", "/api/streamcap/rooms"):  # a route's model, and the pass-through to StreamCap
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == 413, (path, response.text[:200])
        assert "request body larger than" in response.json()["detail"]
        body = _chunks(total) if chunked else body


def test_a_body_under_the_limit_still_reaches_the_route(make_client: MakeClient) -> None:
    padded = b'{"live_id": ""' + b" " * (MAX_BODY - 100) + b"}"
    response = make_client().post(
        "/api/douyin/start", content=padded, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 422  # validated, not refused for its size


def test_validation_errors_do_not_echo_the_body(make_client: MakeClient) -> None:
    client = make_client()
    filler = "回" * 200_000
    missing = client.post("/api/douyin/start", json={"config": {"note": filler}}, headers=AUTH)
    assert missing.status_code == 422
    assert len(missing.content) < 1000 and "回回回" not in missing.text
    [error] = missing.json()["detail"]
    assert error["loc"] == ["body", "live_id"] and error["type"] == "missing" and "input" not in error
    too_long = client.post("/api/douyin/start", json={"live_id": "9" * 5000}, headers=AUTH)
    [error] = too_long.json()["detail"]
    assert error["type"] == "string_too_long" and error["ctx"] == {"max_length": 2000}
    assert len(error["input"]) <= 64 and len(too_long.content) < 1000


def test_health_answers_a_challenge_with_proof_of_the_token(make_client: MakeClient) -> None:
    client = make_client(GATEWAY_PORT="9019")
    nonce = "Zx_-" + "7" * 28
    body = client.get("/health", params={"challenge": nonce}).json()
    signed = f"timao/hello/v1\n9019\n{nonce}".encode()
    assert body["proof"] == hmac.new(TOKEN.encode(), signed, hashlib.sha256).hexdigest()
    assert body["status"] in ("ok", "degraded")
    assert "proof" not in client.get("/health").json()
    for bad in ("short", "x" * 129, "a" * 16 + "\n", "a" * 16 + "/"):
        assert client.get("/health", params={"challenge": bad}).status_code == 422, bad
