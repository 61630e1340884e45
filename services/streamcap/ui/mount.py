"""Serving the Flet UI from StreamCap's own FastAPI app, offline.

What the browser loads, all from 127.0.0.1:
- ``/`` and the Flutter web client files (``flet_web``'s bundled build, CanvasKit included, ``no_cdn`` so nothing
  is fetched from a CDN);
- ``/ui/ws``: the Flet session's WebSocket. The page runs in this process and calls the manager directly (rooms,
  recordings, the recordings folder), so its socket is worth as much as the API token;
- ``/assets/fonts/streamcap/...``: the bundled CJK font, so Chinese renders without Google Fonts. It is listed in the
  Flutter ``FontManifest.json`` served to this client (Flet's own list plus ours), so the engine loads it before the
  first frame: text is never laid out with fallback metrics first (tables measured too narrow). Fallback fonts the
  engine may still look for resolve to this server (``assets/fonts/``) and 404, never to Google Fonts.

Every UI path (the page, its files, ``/ui/ws``) needs the UI session cookie (``_UiLogin``): the user opens the UI
once with the token, through ``/?token=...`` or the small login form every UI path shows without the cookie, and
gets an HttpOnly, SameSite=Strict cookie. ``LocalGuard``'s Host and Origin checks still come first, as on every path.

Flet keeps its sessions in a process-wide ``app_manager``. Flet is imported, and its housekeeping started, on the
first UI request, not when StreamCap starts: its import is about a fifth of the service's cold start, and most runs
never open this UI. ``ui_lifespan`` stops the housekeeping if it was started.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode

import orjson
from fastapi import FastAPI, WebSocket
from fastapi.staticfiles import StaticFiles
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.websec import WS_CLOSE_BAD_TOKEN, ui_session_value

if TYPE_CHECKING:
    import flet as ft

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "FONTS_URL",
    "FONT_FAMILY",
    "FONT_FILE",
    "LOGIN_PATH",
    "SESSION_TIMEOUT",
    "UI_WS_PATH",
    "mount_ui",
    "ui_lifespan",
]

UI_WS_PATH = "/ui/ws"
LOGIN_PATH = "/ui/login"
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "Noto Sans SC"
FONT_FILE = "NotoSansCJKsc-Regular-subset.otf"
FONTS_URL = "/assets/fonts/streamcap"
# A closed tab's session (and its refresh task) is kept this long for a reload to pick it up again.
SESSION_TIMEOUT = 300

PageMain = Callable[["ft.Page"], Awaitable[None]]


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


LOGIN_FORM_MAX = 4096
_LOGIN_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>StreamCap 直播录制 · 登录 (sign in)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em;color:#222}}
input{{width:100%;padding:.5em;margin:.5em 0;box-sizing:border-box}}button{{padding:.5em 1.5em}}
.error{{color:#b00020}}code{{background:#eee;padding:0 .2em}}</style></head>
<body><main><h1>StreamCap 直播录制</h1>
<p>请输入提猫直播助手的令牌以打开录制界面。令牌保存在数据目录的 <code>token</code> 文件中，启动时终端会显示其位置。</p>
<p lang="en">Enter the TalkingCat token to open the recorder. It is in the <code>token</code> file of the data folder
(the launcher prints where when it starts).</p>
{error}<form method="post" action="{action}">
<label>令牌 (token)<input type="password" name="token" autocomplete="current-password" autofocus required></label>
<button type="submit">打开 (open)</button></form></main></body></html>
"""
_LOGIN_ERROR = '<p class="error">令牌不正确 (wrong token)</p>'


class _UiLogin:
    """The UI session: every path not in ``exempt`` needs the session cookie, or the token itself.

    - ``GET <any UI path>?token=T`` with the right token sets the cookie and redirects to the same URL without the
      token (so it stays out of the address bar and the history); ``POST /ui/login`` does the same from the form.
    - Without the cookie, a page or file request gets the login form (401) and ``/ui/ws`` is closed with 4401.
      A raw client may present the token instead (``Authorization: Bearer`` or ``?token=`` on the socket).

    The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page makes the browser send it)
    and named after the port (cookies ignore ports: two StreamCaps on one machine must not overwrite each other's).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        cookie_name: str,
        exempt: tuple[str, ...],
        frame_ancestors: str,
    ) -> None:
        self.app = app
        self.token = token.encode()
        self.cookie_name = cookie_name
        self.session = ui_session_value(token, "streamcap").encode()
        self.exempt = exempt
        self.page_headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"cache-control", b"no-store"),
            # Not no-referrer: under it the browser posts the form with "Origin: null", which LocalGuard refuses.
            (b"referrer-policy", b"same-origin"),
            (b"x-content-type-options", b"nosniff"),
            (
                b"content-security-policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
                f"frame-ancestors {frame_ancestors}".encode(),
            ),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        exempt = any(path == p or path.startswith(p + "/") for p in self.exempt)
        if scope["type"] not in ("http", "websocket") or exempt:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if scope["type"] == "http" and path == LOGIN_PATH and scope["method"] == "POST":
            await self._form_login(receive, send)
            return
        if scope["type"] == "http" and "token" in query:
            if self._is_token(query["token"][0]):
                rest = {k: v for k, v in query.items() if k != "token"}
                # Back to the same page on this server only: "//host" would leave it.
                location = quote("/" + path.lstrip("/\\")) + ("?" + urlencode(rest, doseq=True) if rest else "")
                await self._signed_in(send, location)
            else:
                await self._login_page(send, error=True)
            return
        if self._has_session(headers):
            if scope["type"] == "http" and path == LOGIN_PATH:
                await self._signed_in(send, "/")  # already signed in: the form has nothing to do
                return
            await self.app(scope, receive, send)
            return
        if self._bearer_ok(headers, query, scope["type"]):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": WS_CLOSE_BAD_TOKEN, "reason": "sign in first"})
            return
        await self._login_page(send, error=False)

    def _is_token(self, supplied: str) -> bool:
        return bool(supplied) and hmac.compare_digest(supplied.strip().encode(), self.token)

    def _has_session(self, headers: dict[str, str]) -> bool:
        # Starlette's lenient parser: other local apps' odd cookies for 127.0.0.1 must not hide ours.
        value = cookie_parser(headers.get("cookie", "")).get(self.cookie_name, "")
        return hmac.compare_digest(value.encode("latin-1", "replace"), self.session)

    def _bearer_ok(self, headers: dict[str, str], query: dict[str, list[str]], kind: str) -> bool:
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return self._is_token(auth[7:])
        return kind == "websocket" and "token" in query and self._is_token(query["token"][0])

    async def _form_login(self, receive: Receive, send: Send) -> None:
        body = b""
        more = True
        while more and len(body) <= LOGIN_FORM_MAX:
            message = await receive()
            body += message.get("body", b"")
            more = bool(message.get("more_body"))
        form = parse_qs(body[:LOGIN_FORM_MAX].decode("utf-8", "replace"))
        if self._is_token(form.get("token", [""])[0]):
            await self._signed_in(send, "/")
        else:
            await self._login_page(send, error=True)

    async def _signed_in(self, send: Send, location: str) -> None:
        # A session cookie (no Max-Age): it ends with the browser session; reopening the link signs in again.
        cookie = f"{self.cookie_name}={self.session.decode()}; Path=/; HttpOnly; SameSite=Strict"
        headers = [
            (b"location", location.encode("latin-1", "replace")),
            (b"set-cookie", cookie.encode()),
            (b"cache-control", b"no-store"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _login_page(self, send: Send, *, error: bool) -> None:
        page = _LOGIN_PAGE.format(error=_LOGIN_ERROR if error else "", action=html.escape(LOGIN_PATH))
        body = page.encode()
        headers = [*self.page_headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _FletUi:
    """Flet, imported and set up on the first UI request (page, file or session socket), once."""

    def __init__(self, make_main: Callable[[], PageMain], app_name: str) -> None:
        self._make_main = make_main
        self._app_name = app_name
        self._lock = asyncio.Lock()
        self._loaded: tuple[PageMain, ASGIApp] | None = None

    async def ready(self) -> tuple[PageMain, ASGIApp]:
        async with self._lock:
            if self._loaded is None:
                # The imports take a few hundred milliseconds: in a thread, so the API keeps answering meanwhile.
                loaded = await asyncio.to_thread(self._load)
                await _start_flet()
                self._loaded = loaded
            return self._loaded

    def _load(self) -> tuple[PageMain, ASGIApp]:
        from flet.controls.types import RouteUrlStrategy, WebRenderer
        from flet_web.fastapi import FletStaticFiles

        files = FletStaticFiles(
            assets_dir=str(_font_manifest_dir()),
            app_name=self._app_name,
            app_short_name="StreamCap",
            app_description="提猫直播助手 · 直播录制",
            # CanvasKit (JavaScript) everywhere: the desktop build ships only its files, not the WebAssembly
            # renderer's (skwasm, 21 MB; build_backend.py), and it runs in every browser.
            web_renderer=WebRenderer.CANVAS_KIT,
            route_url_strategy=RouteUrlStrategy.PATH,
            no_cdn=True,
            websocket_endpoint_path=UI_WS_PATH,
        )
        return self._make_main(), files

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _, files = await self.ready()
        await files(scope, receive, send)


def mount_ui(
    app: FastAPI,
    make_main: Callable[[], PageMain],
    *,
    token: str,
    port: int,
    app_name: str = "StreamCap 直播录制",
    frame_ancestors: Iterable[str] = (),
) -> None:
    """Add the UI to ``app``: call after every other route, since ``/`` catches all paths left over.

    ``make_main``: builds the page's entry point, called on the first UI request (it may import Flet).
    ``token``: the API token, which signs the user in (``_UiLogin``); ``port``: the port the app listens on.
    ``frame_ancestors``: origins besides this one that may show the UI in a frame (the suite's own UI).
    """
    frame_ancestors = list(frame_ancestors)
    flet_ui = _FletUi(make_main, app_name)

    @app.websocket(UI_WS_PATH)
    async def flet_session(websocket: WebSocket) -> None:
        from flet_web.fastapi import FletApp, app_manager

        main, _ = await flet_ui.ready()
        await FletApp(
            loop=asyncio.get_running_loop(),
            executor=app_manager.executor,
            main=main,
            before_main=None,
            session_timeout_seconds=SESSION_TIMEOUT,
        ).handle(websocket)

    app.mount(FONTS_URL, StaticFiles(directory=FONTS_DIR), name="ui-fonts")
    app.mount("/", _UiFiles(flet_ui, reserved=("/api", "/ws"), frame_ancestors=frame_ancestors), name="ui")
    # /api and /ws have the API token (LocalGuard); /health stays open for the launcher's probe.
    app.add_middleware(
        _UiLogin,
        token=token,
        cookie_name=f"timao_streamcap_{port}",
        exempt=("/api", "/ws", "/health"),
        frame_ancestors=" ".join(["'self'", *frame_ancestors]),
    )


def _font_manifest_dir() -> Path:
    """A Flet assets folder holding only ``assets/FontManifest.json``: the client's own fonts and the bundled one."""
    from flet_web import get_package_web_dir
    from flet_web.fastapi import app_manager

    folder = Path(tempfile.mkdtemp(prefix="streamcap-ui-"))
    app_manager.add_temp_dir(str(folder))  # removed when the server stops
    manifest = json.loads((Path(get_package_web_dir()) / "assets" / "FontManifest.json").read_text("utf-8"))
    asset = f"{FONTS_URL.removeprefix('/assets/')}/{FONT_FILE}"
    manifest.append({"family": FONT_FAMILY, "fonts": [{"asset": asset}]})
    (folder / "assets").mkdir()
    (folder / "assets" / "FontManifest.json").write_text(json.dumps(manifest), "utf-8")
    return folder


_flet_started = False  # Flet's app manager is process-wide, and so is whether its housekeeping runs


async def _start_flet() -> None:
    global _flet_started
    from flet_web.fastapi import app_manager

    await app_manager.start()
    _flet_started = True


@asynccontextmanager
async def ui_lifespan(_app: Any) -> AsyncIterator[None]:
    """Flet's session housekeeping (expiry of closed tabs, temp files), started by the first UI request, stopped
    with the server."""
    global _flet_started
    try:
        yield
    finally:
        if _flet_started:
            from flet_web.fastapi import app_manager

            await app_manager.shutdown()
            _flet_started = False
