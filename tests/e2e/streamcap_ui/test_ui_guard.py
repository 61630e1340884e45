"""The UI behind StreamCap's LocalGuard and its sign-in: pages and the Flet socket need the UI session (a cookie set
by signing in once with the token), and Host and Origin still count."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from launcher.redis_embedded import free_port
from services.streamcap.app import create_http_app
from services.streamcap.ui.mount import FONT_FILE, FONTS_URL, UI_WS_PATH
from shared.websec import MAX_BODY, WS_CLOSE_BAD_TOKEN

from .conftest import TOKEN, UiServer, make_worker


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, int]]:
    port = free_port()
    settings, worker = make_worker(tmp_path, port)
    with TestClient(create_http_app(settings, worker), base_url=f"http://127.0.0.1:{port}") as c:
        yield c, port
    worker.engine.dispose()


def sign_in(c: TestClient) -> None:
    """What the user does: open the UI with the token once; the answer sets the cookie and drops the token."""
    answer = c.get(f"/?token={TOKEN}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_page_and_font_served_with_csp(client: tuple[TestClient, int]) -> None:
    c, _port = client
    sign_in(c)
    page = c.get("/")
    assert page.status_code == 200 and '<base href="/">' in page.text
    assert 'flet.webSocketEndpoint="/ui/ws"' in page.text and "flet.noCdn=true" in page.text
    # CanvasKit, whose files the desktop build keeps (it leaves the WebAssembly renderer's out: build_backend.py)
    assert 'flet.webRenderer="canvaskit"' in page.text
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


def _socket_answer(url: str, headers: dict[str, str] | None = None) -> int | None:
    """Open the Flet socket as a raw client (no Origin header): the close code it gets at once, None while it stays
    open (an accepted session waits for the Flet client to speak)."""
    with ws_connect(url, additional_headers=headers or {}, open_timeout=10) as ws:
        try:
            ws.recv(timeout=1.5)
        except TimeoutError:
            return None
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else -1
    return -1


def test_raw_socket_client_needs_a_credential(ui_server: UiServer) -> None:
    url = f"ws://127.0.0.1:{ui_server.port}{UI_WS_PATH}"
    assert _socket_answer(url) == WS_CLOSE_BAD_TOKEN
    assert _socket_answer(f"{url}?token=wrong") == WS_CLOSE_BAD_TOKEN
    assert _socket_answer(url, {"Cookie": f"timao_streamcap_{ui_server.port}={TOKEN}"}) == WS_CLOSE_BAD_TOKEN
    # The credential: the cookie a sign-in sets, or the token itself.
    signed_in = httpx.get(f"{ui_server.url}/?token={TOKEN}", follow_redirects=False)
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"].split(";", 1)[0]
    assert _socket_answer(url, {"Cookie": cookie}) is None
    assert _socket_answer(f"{url}?token={TOKEN}") is None
    assert _socket_answer(url, {"Authorization": f"Bearer {TOKEN}"}) is None


def test_ui_pages_and_files_need_the_session(client: tuple[TestClient, int]) -> None:
    c, port = client
    for path in ("/", "/recordings", "/main.dart.js", f"{FONTS_URL}/{FONT_FILE}", "/assets/FontManifest.json"):
        page = c.get(path)
        assert page.status_code == 401, path
        assert 'action="/ui/login"' in page.text and "令牌" in page.text and "token" in page.text
        assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
        assert "main.dart.js" not in page.text
    sign_in(c)
    assert c.get("/assets/FontManifest.json").status_code == 200
    cookie = next(v for k, v in c.cookies.items() if k == f"timao_streamcap_{port}")
    assert TOKEN not in cookie  # never the API token itself: a cookie reaches every port of 127.0.0.1


def test_sign_in_link_sets_a_strict_httponly_cookie_and_drops_the_token(client: tuple[TestClient, int]) -> None:
    c, port = client
    answer = c.get(f"/recordings?tab=1&token={TOKEN}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/recordings?tab=1"
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith(f"timao_streamcap_{port}=")
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Path=/" in set_cookie
    assert TOKEN not in set_cookie
    assert answer.headers["cache-control"] == "no-store" and answer.headers["referrer-policy"] == "no-referrer"
    # never off this server, whatever the path
    sneaky = c.get(f"http://127.0.0.1:{port}//evil.example/?token={TOKEN}", follow_redirects=False)
    assert sneaky.headers["location"] == "/evil.example/"


def test_wrong_token_signs_nobody_in(client: tuple[TestClient, int]) -> None:
    c, _port = client
    for answer in (
        c.get("/?token=wrong", follow_redirects=False),
        c.post("/ui/login", data={"token": "wrong"}, follow_redirects=False),
        c.get("/", headers={"Cookie": f"timao_streamcap_{_port}={TOKEN}"}),  # the token is not the cookie
    ):
        assert answer.status_code == 401 and "set-cookie" not in answer.headers
    assert "令牌不正确" in c.post("/ui/login", data={"token": "wrong"}).text


def test_login_form(client: tuple[TestClient, int]) -> None:
    c, port = client
    answer = c.post("/ui/login", data={"token": TOKEN}, headers={"Origin": f"http://127.0.0.1:{port}"})
    assert answer.status_code == 200 and "flet.webSocketEndpoint" in answer.text  # redirected to the page, signed in
    assert c.get("/ui/login", follow_redirects=False).headers["location"] == "/"
    # a form posted from another site never gets here
    foreign = c.post("/ui/login", data={"token": TOKEN}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "http://evil.example"}, id="foreign-origin"),
        pytest.param({"Origin": "null"}, id="null-origin"),
        pytest.param({"Host": "evil.example:6006"}, id="foreign-host"),
    ],
)
def test_flet_socket_refuses_foreign_pages(client: tuple[TestClient, int], headers: dict[str, str]) -> None:
    c, port = client
    sign_in(c)  # even with the session: another site's page, or a DNS-rebinding one, is refused first
    url = f"ws://127.0.0.1:{port}{UI_WS_PATH}"
    with pytest.raises(WebSocketDisconnect) as refused, c.websocket_connect(url, headers=headers) as ws:
        ws.receive_bytes()
    assert refused.value.code == 4403
    assert refused.value.reason == ("foreign Host refused" if "Host" in headers else "foreign Origin refused")


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


def test_flet_is_imported_on_the_first_ui_request_not_at_start(client: tuple[TestClient, int]) -> None:
    """StreamCap starts without Flet (about a fifth of its start-up imports); the first UI request brings it in."""
    import subprocess
    import sys

    probe = (
        "import sys, services.streamcap.app\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flet', 'flet_web')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
    c, _port = client
    flet_ui = next(r.app for r in c.app.routes if getattr(r, "name", "") == "ui").app  # type: ignore[attr-defined]
    assert flet_ui._loaded is None
    assert c.get("/health").status_code == 200 and c.get("/api/rooms", headers={"Authorization": f"Bearer {TOKEN}"})
    assert flet_ui._loaded is None  # the API and the health probe do not load it
    sign_in(c)
    assert c.get("/").status_code == 200
    assert flet_ui._loaded is not None
