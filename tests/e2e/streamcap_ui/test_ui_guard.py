"""The UI behind StreamCap's LocalGuard: the Flet socket needs no API token, but Host and Origin still count."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from launcher.redis_embedded import free_port
from services.streamcap.app import create_http_app
from services.streamcap.ui.mount import FONT_FILE, FONTS_URL, UI_WS_PATH
from shared.websec import MAX_BODY

from .conftest import TOKEN, make_worker


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, int]]:
    port = free_port()
    settings, worker = make_worker(tmp_path, port)
    with TestClient(create_http_app(settings, worker), base_url=f"http://127.0.0.1:{port}") as c:
        yield c, port
    worker.engine.dispose()


def test_page_and_font_served_with_csp(client: tuple[TestClient, int]) -> None:
    c, _port = client
    page = c.get("/")
    assert page.status_code == 200 and '<base href="/">' in page.text
    assert 'flet.webSocketEndpoint="/ui/ws"' in page.text and "flet.noCdn=true" in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    manifest = c.get("/assets/FontManifest.json").json()
    assert {"family": "Noto Sans SC", "fonts": [{"asset": f"fonts/streamcap/{FONT_FILE}"}]} in manifest
    font = c.get(f"{FONTS_URL}/{FONT_FILE}")
    assert font.status_code == 200 and font.content[:4] == b"OTTO"


def test_api_still_needs_token_and_stays_json(client: tuple[TestClient, int]) -> None:
    c, _port = client
    assert c.get("/api/rooms").status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert c.get("/api/rooms", headers=auth).json() == {"rooms": []}
    missing = c.get("/api/no-such-route", headers=auth)
    assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}
    assert c.get("/health").json()["status"] == "ok"


def test_flet_socket_without_token_from_own_origin(client: tuple[TestClient, int]) -> None:
    c, port = client
    with c.websocket_connect(UI_WS_PATH, headers={"Origin": f"http://127.0.0.1:{port}"}) as ws:
        ws.close()  # accepted: the session socket needs no API token


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "http://evil.example"}, id="foreign-origin"),
        pytest.param({"Origin": "null"}, id="null-origin"),
        pytest.param({"Host": "evil.example:6006"}, id="foreign-host"),
    ],
)
def test_flet_socket_refuses_foreign_pages(client: tuple[TestClient, int], headers: dict[str, str]) -> None:
    c, _port = client
    with pytest.raises(WebSocketDisconnect) as refused, c.websocket_connect(UI_WS_PATH, headers=headers) as ws:
        ws.receive_bytes()
    assert refused.value.code == 4403


def test_page_refuses_foreign_host(client: tuple[TestClient, int]) -> None:
    c, _port = client
    assert c.get("/", headers={"Host": "evil.example"}).status_code == 421


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_no_api_explorer_or_schema(client: tuple[TestClient, int], path: str) -> None:
    c, _port = client
    response = c.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert "swagger" not in response.text.lower() and "redoc.standalone" not in response.text.lower()
    assert '"openapi"' not in response.text


def test_api_bodies_are_bounded_and_422s_do_not_echo(client: tuple[TestClient, int]) -> None:
    c, _port = client
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    huge = c.post("/api/rooms", content=b" " * (MAX_BODY + 1), headers=auth)
    assert huge.status_code == 413
    bad = c.post("/api/rooms", json={"url": "https://live.douyin.com/1", "junk": "录" * 100_000}, headers=auth)
    assert bad.status_code == 422 and len(bad.content) < 1000
    [error] = bad.json()["detail"]
    assert error["loc"] == ["body", "junk"] and error["type"] == "extra_forbidden" and len(error["input"]) <= 64
