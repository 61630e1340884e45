"""Maps the suite's error tree to HTTP answers in one place: JSON ``{"detail": ...}``, never a 500 for bad input."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from shared.errors import BusError, CommandError, CommandTimeout, ServiceUnavailable
from shared.websec import request_validation_handler

__all__ = ["install_error_handlers"]

COMMAND_ERROR_STATUS = {"invalid": 422, "not_found": 404, "conflict": 409, "unavailable": 503}


def install_error_handlers(app: FastAPI) -> None:
    # 422s say which field is wrong and why, without echoing the request body back.
    app.add_exception_handler(RequestValidationError, request_validation_handler)

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(_request: Request, exc: ServiceUnavailable) -> JSONResponse:
        return JSONResponse({"detail": f"{exc.service}: {exc.reason}", "service": exc.service}, status_code=503)

    @app.exception_handler(CommandTimeout)
    async def _timeout(_request: Request, exc: CommandTimeout) -> JSONResponse:
        return JSONResponse({"detail": f"{exc} (服务无响应)", "service": exc.service}, status_code=504)

    @app.exception_handler(CommandError)
    async def _command(_request: Request, exc: CommandError) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.message, "code": exc.code}, status_code=COMMAND_ERROR_STATUS.get(exc.code, 502)
        )

    @app.exception_handler(BusError)
    async def _bus(_request: Request, exc: BusError) -> JSONResponse:
        return JSONResponse({"detail": f"消息总线不可用 (bus unavailable): {exc}"}, status_code=503)
