"""The local-only guard of every HTTP service: Host and Origin checks, and the API token.

A web page the user happens to open can reach 127.0.0.1 too. Two checks keep it out:
- ``Host`` must name this machine (a DNS-rebinding page sends its own host name);
- ``Origin``, when a browser sends one, must be one of the UI's own origins (a cross-site form or fetch sends its site).
Then ``/api`` and ``/ws`` need the token (``Authorization: Bearer`` or, for WebSockets, ``?token=``). A request body
larger than ``MAX_BODY`` is refused with 413 before any route reads it, and validation errors (422) say what was wrong
without echoing the body back (``request_validation_handler``).

A UI served from another origin (say the Electron shell on the Vite dev server) works only when the user lists that
origin (``TIMAO_ALLOWED_ORIGINS``): the Origin check then lets it in, and the guard answers its CORS preflights.
Nothing else is trusted by default.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

import orjson
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import ConfigError

__all__ = [
    "HELLO_NONCE_PATTERN",
    "MAX_BODY",
    "WS_CLOSE_BAD_TOKEN",
    "BodyTooLarge",
    "LocalGuard",
    "hello_proof",
    "parse_origins",
    "request_validation_handler",
    "trim_validation_errors",
    "ui_origins",
    "ui_session_value",
]

LOCAL_HOSTNAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
WS_CLOSE_BAD_TOKEN = 4401
# The largest request body a route may get. The biggest real ones (settings, a room with its time windows) are a few
# KiB; nothing is uploaded through the API.
MAX_BODY = 1 << 20
# In a 422 answer, what is left of a rejected value: a short scalar, never the body or a nested part of it.
ECHO_MAX_CHARS = 64
MESSAGE_MAX_CHARS = 300


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body without a usable ``Content-Length`` grows past the limit.

    An HTTPException, so FastAPI lets it through its body parsing (which turns other errors into a 400) and its
    exception middleware answers 413; ``LocalGuard`` answers it itself for an app that lets it escape."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"请求体过大 (request body larger than {limit // 1024} KiB)")


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


def ui_session_value(token: str, ui: str) -> str:
    """The value of the cookie that opens the browser UI named ``ui``: HMAC-SHA256 of a label under the token.

    Never the token itself: browsers send a 127.0.0.1 cookie to every port of 127.0.0.1, so any local server the
    user's browser visits sees it. This value opens that one UI and nothing else (not ``/api``); the label keeps it
    apart from any other value derived from the token (``hello_proof``), and a new token revokes it.
    """
    return hmac.new(token.encode(), f"timao/ui-session/v1\n{ui}".encode(), hashlib.sha256).hexdigest()


# A nonce for hello_proof: no newline can enter the signed text, so it cannot be made to look like another label's.
HELLO_NONCE_PATTERN = r"^[A-Za-z0-9_-]{16,128}$"


def hello_proof(token: str, port: int, nonce: str) -> str:
    """The gateway's answer to a challenge (``GET /health?challenge=NONCE``): HMAC-SHA256 under the token of a label,
    the gateway's port and the caller's nonce, in hex.

    A client that holds the token (the desktop shell) checks it before it trusts what answers on the port with the
    token: a process squatting the port cannot compute it. The port is signed too, so a squatter cannot relay the
    challenge to a real gateway on another port and pass its answer off. Anyone may ask, so the label keeps these
    answers apart from the token's other uses (``ui_session_value``).
    """
    return hmac.new(token.encode(), f"timao/hello/v1\n{port}\n{nonce}".encode(), hashlib.sha256).hexdigest()


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
        max_body: int = MAX_BODY,
    ) -> None:
        self.app = app
        self.max_body = max_body
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
        if scope["type"] == "http":
            await self._bounded(scope, receive, send, headers.get("content-length"))
            return
        await self.app(scope, receive, send)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, content_length: str | None) -> None:
        """Pass the request on with its body capped at ``max_body``: 413 up front when ``Content-Length`` says so,
        else once the bytes received (a chunked body) pass the limit."""
        if content_length is not None and content_length.strip().isdigit() and int(content_length) > self.max_body:
            await _send_json(send, 413, orjson.dumps({"detail": BodyTooLarge(self.max_body).detail}))
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await _send_json(send, 413, orjson.dumps({"detail": exc.detail}))

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


def trim_validation_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors without what they echo: ``loc``, ``type``, a capped ``msg``, scalar ``ctx`` values, and the
    rejected ``input`` only when it is a short scalar. A missing field's ``input`` is the whole body; an answer the
    size of the request (up to 1 MiB) would be sent back and shown or logged wherever the answer goes."""
    trimmed: list[dict[str, Any]] = []
    for error in errors:
        item: dict[str, Any] = {
            "type": error.get("type"),
            "loc": list(error.get("loc", ())),
            "msg": _short(str(error.get("msg", "")), MESSAGE_MAX_CHARS),
        }
        value = error.get("input")
        if value is None or isinstance(value, bool | int | float):
            item["input"] = value
        elif isinstance(value, str):
            item["input"] = _short(value, ECHO_MAX_CHARS)
        ctx = error.get("ctx")
        if isinstance(ctx, dict):
            kept = {
                k: (v if isinstance(v, bool | int | float) else _short(str(v), ECHO_MAX_CHARS)) for k, v in ctx.items()
            }
            item["ctx"] = kept
        trimmed.append(item)
    return trimmed


async def request_validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 for bad input (register it for ``RequestValidationError``), with ``trim_validation_errors``."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse({"detail": trim_validation_errors(errors)}, status_code=422)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
