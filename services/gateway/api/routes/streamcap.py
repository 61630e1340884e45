"""StreamCap routes: the contract's start/stop/list; any other ``/api/streamcap/*`` goes to the recorder's own API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from services.gateway.api.deps import StateDep
from services.gateway.api.routes.settings import current_settings
from services.gateway.state import GatewayState
from shared.errors import ServiceUnavailable

router = APIRouter(prefix="/api/streamcap", tags=["streamcap"])

SERVICE = "streamcap"
HOP_HEADERS = {"host", "content-length", "authorization", "origin", "connection", "transfer-encoding"}


class StreamcapStart(BaseModel):
    platform: str = Field(min_length=1, max_length=32)
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


@router.post("/start")
async def start(state: StateDep, body: StreamcapStart) -> Response:
    if body.quality is None:
        fresh = await asyncio.to_thread(current_settings, state.settings)
        body.quality = fresh.recording_quality
    return await _forward(state, "POST", "/api/recordings", json=body.model_dump(exclude_none=True))


@router.post("/stop")
async def stop(state: StateDep, body: StreamcapStop) -> Response:
    return await _forward(state, "POST", "/api/recordings/stop", json=body.model_dump())


@router.get("/recordings")
async def recordings(state: StateDep) -> Response:
    return await _forward(state, "GET", "/api/recordings")


@router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def proxy(state: StateDep, path: str, request: Request) -> Response:
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
