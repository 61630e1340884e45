"""StreamCap routes: the contract's start/stop/list; any other ``/api/streamcap/*`` goes to the recorder's own API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from services.gateway.api.deps import StateDep
from services.gateway.api.routes.settings import current_settings
from services.gateway.api.schemas import RecordingsResponse, RecordingStartResponse, SuccessResponse, errors
from services.gateway.state import GatewayState
from shared.errors import ServiceUnavailable

router = APIRouter(prefix="/api/streamcap", tags=["streamcap"])

SERVICE = "streamcap"
HOP_HEADERS = {"host", "content-length", "authorization", "origin", "connection", "transfer-encoding"}


# StreamCap's answers pass through as they are: its statuses (404 unknown recording, 409, 422) and its body.
def _answers(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model}, **errors(400, 404, 409, 422, 502, 503, 504)}


CONTRACT_PATHS = {"start": "POST", "stop": "POST", "recordings": "GET"}


class StreamcapStart(BaseModel):
    platform: str = Field(min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")
    stream_url: str = Field(min_length=1, max_length=4000)
    quality: str | None = None
    segment_seconds: int | None = Field(default=None, ge=10, le=86400)


class StreamcapStop(BaseModel):
    recording_id: str = Field(min_length=1, max_length=64)


async def _forward(state: GatewayState, method: str, path: str, **kwargs: Any) -> Response:
    try:
        upstream = await state.streamcap.request(method, path, **kwargs)
    except httpx.TransportError as exc:
        await state.require_worker(SERVICE)  # raises the launcher's reason when it is down
        raise ServiceUnavailable(SERVICE, f"录制服务无法连接 (unreachable): {exc}") from exc
    headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS | {"content-encoding"}}
    return Response(upstream.content, status_code=upstream.status_code, headers=headers)


@router.post("/start", response_model=None, responses=_answers(RecordingStartResponse))
async def start(state: StateDep, body: StreamcapStart) -> Response:
    if body.quality is None:
        fresh = await asyncio.to_thread(current_settings, state.settings)
        body.quality = fresh.recording_quality
    return await _forward(state, "POST", "/api/recordings", json=body.model_dump(exclude_none=True))


@router.post("/stop", response_model=None, responses=_answers(SuccessResponse))
async def stop(state: StateDep, body: StreamcapStop) -> Response:
    return await _forward(state, "POST", "/api/recordings/stop", json=body.model_dump())


@router.get("/recordings", response_model=None, responses=_answers(RecordingsResponse))
async def recordings(state: StateDep) -> Response:
    return await _forward(state, "GET", "/api/recordings")


@router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def proxy(state: StateDep, path: str, request: Request) -> Response:
    if path in CONTRACT_PATHS:  # the contract's own routes, asked with another method
        raise HTTPException(405, "Method Not Allowed", headers={"Allow": CONTRACT_PATHS[path]})
    # The path arrives percent-decoded: a control character (%00, %0A…) cannot go into the upstream URL at all.
    if ".." in path.split("/") or "\\" in path or any(c < " " or c == "\x7f" for c in path):
        raise HTTPException(400, "invalid path")
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
    return await _forward(
        state,
        request.method,
        f"/api/{path}",
        params=request.query_params,
        content=await request.body(),
        headers=headers,
    )
