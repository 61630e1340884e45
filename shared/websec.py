"""The local-only guard of every HTTP service: Host and Origin checks, and the API token.

A web page the user happens to open can reach 127.0.0.1 too. Two checks keep it out:
- ``Host`` must name this machine (a DNS-rebinding page sends its own host name);
- ``Origin``, when a browser sends one, must be one of the UI's own origins (a cross-site form or fetch sends its site).
Then ``/api`` and ``/ws`` need the token (``Authorization: Bearer`` or, for WebSockets, ``?token=``).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from urllib.parse import parse_qs

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["WS_CLOSE_BAD_TOKEN", "LocalGuard", "ui_origins"]

LOCAL_HOSTNAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
WS_CLOSE_BAD_TOKEN = 4401
UI_DEV_PORT = 10030


def ui_origins(port: int, extra: Iterable[str] = ()) -> list[str]:
    """The UI's own origins: the service itself, the Vite dev server, and configured extras."""
    origins = []
    for p in (port, UI_DEV_PORT):
        origins += [f"http://127.0.0.1:{p}", f"http://localhost:{p}"]
    return origins + [o.strip().rstrip("/") for o in extra if o.strip()]


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


class LocalGuard:
    """ASGI middleware. ``protected`` path prefixes need the token; everything else (UI files, /health) does not."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        allowed_origins: Iterable[str],
        protected: tuple[str, ...] = ("/api", "/ws"),
    ) -> None:
        self.app = app
        self.token = token.encode()
        self.allowed_origins = frozenset(allowed_origins)
        self.protected = protected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if _hostname(host).lower() not in LOCAL_HOSTNAMES:
            await self._refuse(
                scope,
                receive,
                send,
                421 if scope["type"] == "http" else 4403,
                f"Host {host!r} 不被允许 (foreign Host refused)",
            )
            return
        origin = headers.get("origin")
        if origin is not None and origin.rstrip("/") not in self.allowed_origins:
            await self._refuse(
                scope,
                receive,
                send,
                403 if scope["type"] == "http" else 4403,
                f"Origin {origin!r} 不被允许 (foreign Origin refused)",
            )
            return
        path: str = scope["path"]
        if path.startswith(self.protected) and not self._token_ok(scope, headers):
            code = 401 if scope["type"] == "http" else WS_CLOSE_BAD_TOKEN
            await self._refuse(scope, receive, send, code, "缺少或错误的令牌 (missing or invalid token)")
            return
        await self.app(scope, receive, send)

    def _token_ok(self, scope: Scope, headers: dict[str, str]) -> bool:
        supplied = ""
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            supplied = auth[7:].strip()
        elif scope["type"] == "websocket":
            supplied = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[0]
        return bool(supplied) and hmac.compare_digest(supplied.encode(), self.token)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, code: int, detail: str) -> None:
        if scope["type"] == "websocket":
            # Accept then close, so the client sees a close code it can act on instead of a bare HTTP 403.
            await receive()
            await send({"type": "websocket.accept"})
            # Close reasons are capped at 123 bytes: send the English part only.
            reason = detail.rsplit("(", 1)[-1].rstrip(")")[:120]
            await send({"type": "websocket.close", "code": code, "reason": reason})
            return
        body = orjson.dumps({"detail": detail})
        response_headers: list[tuple[bytes, bytes]] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if code == 401:
            response_headers.append((b"www-authenticate", b"Bearer"))
        await send({"type": "http.response.start", "status": code, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})
