"""Serving the Flet UI from StreamCap's own FastAPI app, offline.

What the browser loads, all from 127.0.0.1:
- ``/`` and the Flutter web client files (``flet_web``'s bundled build, CanvasKit included, ``no_cdn`` so nothing
  is fetched from a CDN);
- ``/ui/ws``: the Flet session's WebSocket. It is deliberately not ``/ws`` (the prefix ``LocalGuard`` keeps for
  token-protected sockets): the page runs in this process and calls the manager directly, so its socket needs no
  API token, while the guard's Host and Origin checks still apply to it like to every other path;
- ``/assets/fonts/streamcap/...``: the bundled CJK font, so Chinese renders without Google Fonts. It is listed in the
  Flutter ``FontManifest.json`` served to this client (Flet's own list plus ours), so the engine loads it before the
  first frame: text is never laid out with fallback metrics first (tables measured too narrow). Fallback fonts the
  engine may still look for resolve to this server (``assets/fonts/``) and 404, never to Google Fonts.

Flet keeps its sessions in a process-wide ``app_manager``; ``ui_lifespan`` starts and stops its housekeeping.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import flet as ft
import orjson
from fastapi import FastAPI, WebSocket
from fastapi.staticfiles import StaticFiles
from flet.controls.types import RouteUrlStrategy, WebRenderer
from flet_web import get_package_web_dir
from flet_web.fastapi import FletApp, FletStaticFiles, app_manager
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "FONTS_URL",
    "FONT_FAMILY",
    "FONT_FILE",
    "SESSION_TIMEOUT",
    "UI_WS_PATH",
    "mount_ui",
    "ui_lifespan",
]

UI_WS_PATH = "/ui/ws"
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "Noto Sans SC"
FONT_FILE = "NotoSansCJKsc-Regular-subset.otf"
FONTS_URL = "/assets/fonts/streamcap"
# A closed tab's session (and its refresh task) is kept this long for a reload to pick it up again.
SESSION_TIMEOUT = 300

PageMain = Callable[[ft.Page], Awaitable[None]]


# The page may load and connect to this server only. Besides protecting the page, this keeps the offline promise:
# the Flutter client's bundled Rive plugin asks a CDN for a script at start-up, and the browser now refuses that
# request before it leaves the machine. CanvasKit needs WebAssembly; Flet's index page has inline scripts and styles.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


class _UiFiles:
    """The catch-all UI files, with the page's security headers; an unknown ``/api/...`` path stays a JSON 404."""

    def __init__(self, app: ASGIApp, *, reserved: tuple[str, ...], frame_ancestors: Iterable[str]) -> None:
        self.app = app
        self.reserved = reserved
        ancestors = " ".join(["'self'", *frame_ancestors])
        self.headers = [
            (b"content-security-policy", f"{CONTENT_SECURITY_POLICY}; frame-ancestors {ancestors}".encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if any(path == p or path.startswith(p + "/") for p in self.reserved):
            body = orjson.dumps({"detail": "Not Found"})
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def mount_ui(
    app: FastAPI, main: PageMain, *, app_name: str = "StreamCap 直播录制", frame_ancestors: Iterable[str] = ()
) -> None:
    """Add the UI to ``app``: call after every other route, since ``/`` catches all paths left over.

    ``frame_ancestors``: origins besides this one that may show the UI in a frame (the suite's own UI).
    """

    @app.websocket(UI_WS_PATH)
    async def flet_session(websocket: WebSocket) -> None:
        await FletApp(
            loop=asyncio.get_running_loop(),
            executor=app_manager.executor,
            main=main,
            before_main=None,
            session_timeout_seconds=SESSION_TIMEOUT,
        ).handle(websocket)

    app.mount(FONTS_URL, StaticFiles(directory=FONTS_DIR), name="ui-fonts")
    files = FletStaticFiles(
        assets_dir=str(_font_manifest_dir()),
        app_name=app_name,
        app_short_name="StreamCap",
        app_description="提猫直播助手 · 直播录制",
        web_renderer=WebRenderer.AUTO,
        route_url_strategy=RouteUrlStrategy.PATH,
        no_cdn=True,
        websocket_endpoint_path=UI_WS_PATH,
    )
    app.mount("/", _UiFiles(files, reserved=("/api", "/ws"), frame_ancestors=frame_ancestors), name="ui")


def _font_manifest_dir() -> Path:
    """A Flet assets folder holding only ``assets/FontManifest.json``: the client's own fonts and the bundled one."""
    folder = Path(tempfile.mkdtemp(prefix="streamcap-ui-"))
    app_manager.add_temp_dir(str(folder))  # removed when the server stops
    manifest = json.loads((Path(get_package_web_dir()) / "assets" / "FontManifest.json").read_text("utf-8"))
    asset = f"{FONTS_URL.removeprefix('/assets/')}/{FONT_FILE}"
    manifest.append({"family": FONT_FAMILY, "fonts": [{"asset": asset}]})
    (folder / "assets").mkdir()
    (folder / "assets" / "FontManifest.json").write_text(json.dumps(manifest), "utf-8")
    return folder


@asynccontextmanager
async def ui_lifespan(_app: Any) -> AsyncIterator[None]:
    """Flet's session housekeeping (expiry of closed tabs, temp files) for as long as the server runs."""
    await app_manager.start()
    try:
        yield
    finally:
        await app_manager.shutdown()
