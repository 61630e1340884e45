"""Maps the suite's error tree to HTTP answers in one place: JSON ``{"detail": ...}``, never a 500 for bad input."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.commands import BAD_COMMAND
from shared.errors import BusError, CommandError, CommandTimeout, ServiceUnavailable
from shared.websec import request_validation_handler

__all__ = ["allowed_methods", "install_error_handlers"]

# A worker's error codes, and the command layer's (shared/commands): a malformed command is the caller's input
# refused (422, with the field list); a command the worker does not serve or an answer of the wrong shape is the
# worker's fault (unknown_command, bad_result: 502, like every other code).
COMMAND_ERROR_STATUS = {"invalid": 422, BAD_COMMAND: 422, "not_found": 404, "conflict": 409, "unavailable": 503,
                        "storage_full": 507}  # fmt: skip


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI schema documents for this request path (none for a path it does not know)."""
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, "allow_table", None)
    if table is None:
        table = [
            (re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"), {m.upper() for m in ops})
            for template, ops in app.openapi()["paths"].items()
        ]
        app.state.allow_table = table
    return sorted(set().union(*(methods for pattern, methods in table if pattern.match(path))))


def install_error_handlers(app: FastAPI) -> None:
    # 422s say which field is wrong and why, without echoing the request body back.
    app.add_exception_handler(RequestValidationError, request_validation_handler)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # A 405 names every method of the path: Starlette's own names only those of the first route it tried.
        if exc.status_code == 405 and (methods := allowed_methods(app, request.scope["path"])):
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(methods)}
        return await http_exception_handler(request, exc)

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(_request: Request, exc: ServiceUnavailable) -> JSONResponse:
        return JSONResponse({"detail": f"{exc.service}: {exc.reason}", "service": exc.service}, status_code=503)

    @app.exception_handler(CommandTimeout)
    async def _timeout(_request: Request, exc: CommandTimeout) -> JSONResponse:
        return JSONResponse({"detail": f"{exc} (服务无响应)", "service": exc.service}, status_code=504)

    @app.exception_handler(CommandError)
    async def _command(_request: Request, exc: CommandError) -> JSONResponse:
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.details is not None:
            body["errors"] = exc.details
        return JSONResponse(body, status_code=COMMAND_ERROR_STATUS.get(exc.code, 502))

    @app.exception_handler(BusError)
    async def _bus(_request: Request, exc: BusError) -> JSONResponse:
        return JSONResponse({"detail": f"消息总线不可用 (bus unavailable): {exc}"}, status_code=503)
