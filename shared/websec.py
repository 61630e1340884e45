"""The local-only guard of every HTTP service: Host and Origin checks, and the API token.

A web page the user happens to open can reach 127.0.0.1 too. Two checks keep it out:
- ``Host`` must name this machine (a DNS-rebinding page sends its own host name);
- ``Origin``, when a browser sends one, must be one of the UI's own origins (a cross-site form or fetch sends its site).
Then ``/api`` and ``/ws`` need the token (``Authorization: Bearer`` or, for WebSockets, ``?token=``).

A UI served from another origin (say the Electron shell on the Vite dev server) works only when the user lists that
origin (``TIMAO_ALLOWED_ORIGINS``): the Origin check then lets it in, and the guard answers its CORS preflights.
Nothing else is trusted by default.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from urllib.parse import parse_qs

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import ConfigError

__all__ = ["WS_CLOSE_BAD_TOKEN", "LocalGuard", "parse_origins", "ui_origins"]

LOCAL_HOSTNAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
WS_CLOSE_BAD_TOKEN = 4401
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def parse_origins(extra: Iterable[str]) -> list[str]:
    """Origins the user allowed (``TIMAO_ALLOWED_ORIGINS``), each exactly ``scheme://host[:port]``.

    Anything else is refused rather than guessed at: ``*`` would open the API to every site through CORS, and a path
    or a trailing character never matches a browser's ``Origin`` anyway.
    """
    origins = []
    for item in extra:
        origin = item.strip().rstrip("/").lower()
        if not origin:
            continue
        if not _ORIGIN.match(origin):
            raise ConfigError(
                f"TIMAO_ALLOWED_ORIGINS: {item.strip()!r} 不是来源 (not an origin: scheme://host[:port], e.g. "
                "http://127.0.0.1:10030)"
            )
        origins.append(origin)
    return origins


def ui_origins(port: int, extra: Iterable[str] = ()) -> list[str]:
    """The UI's own origins: the service itself, plus the origins the user allowed explicitly."""
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}", *parse_origins(extra)]


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


class LocalGuard:
    """ASGI middleware. ``protected`` path prefixes need the token; everything else (UI files, /health) does not.

    ``cors_origins``: origins (among ``allowed_origins``) whose pages may call the API cross-origin. The guard answers
    their preflights itself and adds ``Access-Control-Allow-Origin`` to their answers. It does so here rather than
    in a CORS middleware further in: a preflight carries no token, and one let past the token check for a middleware
    to answer would reach the routes wherever that middleware is missing.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        allowed_origins: Iterable[str],
        protected: tuple[str, ...] = ("/api", "/ws"),
        cors_origins: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.token = token.encode()
        self.cors_origins = frozenset(cors_origins)
        self.allowed_origins = frozenset(allowed_origins) | self.cors_origins
        self.protected = protected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        if origin is not None:
            origin = origin.rstrip("/")
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
        if origin is not None and origin not in self.allowed_origins:
            await self._refuse(
                scope,
                receive,
                send,
                403 if scope["type"] == "http" else 4403,
                f"Origin {origin!r} 不被允许 (foreign Origin refused)",
            )
            return
        if scope["type"] == "http" and origin in self.cors_origins:
            send = _with_cors_headers(send, origin)
        if scope["type"] == "http" and scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(send, allowed=origin in self.cors_origins)
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
    async def _preflight(send: Send, *, allowed: bool) -> None:
        """A CORS preflight: answered here, never passed on. The CORS headers come from ``_with_cors_headers``."""
        if not allowed:
            # The service's own origin never needs one (same-origin); any other origin was not allowed by the user.
            body = orjson.dumps({"detail": "跨域请求未被允许 (cross-origin request not allowed)"})
            await _send_json(send, 403, body)
            return
        headers = [
            (b"access-control-allow-methods", CORS_METHODS.encode()),
            (b"access-control-allow-headers", CORS_HEADERS.encode()),
            (b"access-control-max-age", b"600"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

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
        await _send_json(send, code, body, [(b"www-authenticate", b"Bearer")] if code == 401 else [])


CORS_METHODS = "GET, POST, PUT, PATCH, DELETE"
CORS_HEADERS = "Authorization, Content-Type"


def _with_cors_headers(send: Send, origin: str) -> Send:
    """``send`` adding the CORS answer for ``origin`` (an allowed cross-origin UI) to the response's headers."""
    extra = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


async def _send_json(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    response_headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": body})
