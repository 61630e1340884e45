"""StreamCap routes: the contract's start/stop/list; any other ``/api/streamcap/*`` goes to the recorder's own API."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from services.gateway.api.deps import StateDep
from services.gateway.api.errors import allowed_methods
from services.gateway.api.routes.settings import current_settings
from services.gateway.api.schemas import RecordingsResponse, RecordingStartResponse, SuccessResponse, errors
from services.gateway.state import GatewayState
from services.gateway.subtitles.burn import BurnBusy
from services.gateway.subtitles.service import StreamcapUnreachable, SubtitleService
from services.gateway.subtitles.writer import FORMATS, SubtitleError
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
    worker_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="the worker to record on (404 when it is not live); else the one with the most free capacity",
    )


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


# Recording timelines (docs/contracts.md, Recording timelines): declared before the pass-through below.

RecordingId = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
FileIndex = Annotated[int, Query(ge=0, le=100_000, description="which of the recording's files (0 = the first)")]
SUBTITLE_MEDIA = {"ass": "text/x-ssa; charset=utf-8", "srt": "application/x-subrip; charset=utf-8",
                  "vtt": "text/vtt; charset=utf-8"}  # fmt: skip


class BurnRequest(BaseModel):
    file: int = Field(default=0, ge=0, le=100_000, description="which of the recording's files (0 = the first)")


class BurnStatusResponse(BaseModel):
    """The burn job (one at a time): ``percent`` from ffmpeg's progress; ``output`` the copy once ``done``."""

    state: Literal["idle", "running", "done", "failed", "cancelled"]
    recording_id: str | None = None
    file_index: int | None = None
    percent: float = 0.0
    output: str | None = None
    error: str = ""
    started_ms: int | None = None
    ended_ms: int | None = None


def _subtitles(state: GatewayState) -> SubtitleService:
    if state.subtitles is None:
        raise ServiceUnavailable("gateway", "字幕功能未启用 (recording subtitles are not set up)")
    return state.subtitles


async def _on_this_machine(state: GatewayState, recording_id: str, index: int) -> None:
    """A file on another worker's disk (a recording continued there) cannot be read here: a 409 that names its
    worker rather than a missing file (docs/contracts.md, Workers on several machines)."""
    files = (await _subtitles(state).recording(recording_id)).get("files") or []
    owner = files[index].get("worker_id") if 0 <= index < len(files) and isinstance(files[index], dict) else None
    if owner and owner != state.settings.effective_worker_id:
        raise HTTPException(
            409, f"该录制文件保存在工作节点 {owner} 上，不在本机，请在该机器上查看 "
            f"(file {index} of recording {recording_id} is on worker {owner}'s disk, not on this machine)",
        )  # fmt: skip


@router.get(
    "/recordings/{recording_id}/subtitles",
    response_class=FileResponse,
    responses={
        200: {"content": {m.split(";")[0]: {} for m in SUBTITLE_MEDIA.values()}, "description": "the subtitle file"},
        **errors(404, 409, 422, 503, json_model=False),
    },
)
async def recording_subtitles(
    state: StateDep,
    recording_id: RecordingId,
    kind: Literal["danmaku", "speech"],
    format: Literal["ass", "srt", "vtt"],
    file: FileIndex = 0,
) -> FileResponse:
    """A recorded file's danmaku (``ass``, or plain timed lines in ``srt``/``vtt``) or the streamer's speech
    (``srt``/``vtt``; speech in ASS is a 422), written beside the file when missing or out of date (events stored in
    its window since it was written)."""
    if format not in FORMATS[kind]:
        raise HTTPException(
            422, f"{'弹幕' if kind == 'danmaku' else '语音'}字幕没有 {format} 格式，可选 {' / '.join(FORMATS[kind])}"
            f" ({kind} subtitles come as {', '.join(FORMATS[kind])})",
        )  # fmt: skip
    try:
        await _on_this_machine(state, recording_id, file)
        path = await _subtitles(state).subtitle(recording_id, file, kind, format)
    except SubtitleError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    except StreamcapUnreachable as exc:
        await state.require_worker(SERVICE)  # raises the launcher's reason when it is down
        raise ServiceUnavailable(SERVICE, str(exc)) from exc
    return FileResponse(path, media_type=SUBTITLE_MEDIA[format], filename=path.name)


@router.post("/recordings/{recording_id}/burn", response_model=BurnStatusResponse, responses=errors(404, 409, 503))
async def burn_danmaku(state: StateDep, recording_id: RecordingId, body: BurnRequest) -> dict[str, Any]:
    """烧录弹幕: render a copy of the file with its danmaku burned in (one job at a time; 409 while one runs)."""
    service = _subtitles(state)
    try:
        await _on_this_machine(state, recording_id, body.file)
        status = await service.burn(recording_id, body.file)
    except SubtitleError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    except BurnBusy as exc:
        raise HTTPException(409, str(exc)) from exc
    except StreamcapUnreachable as exc:
        await state.require_worker(SERVICE)
        raise ServiceUnavailable(SERVICE, str(exc)) from exc
    return status.public()


@router.get("/burn", response_model=BurnStatusResponse, responses=errors(503))
async def burn_status(state: StateDep) -> dict[str, Any]:
    """The burn job's state and progress (the last one's outcome once it ended)."""
    return _subtitles(state).burns.status.public()


@router.delete("/burn", response_model=BurnStatusResponse, responses=errors(503))
async def burn_cancel(state: StateDep) -> dict[str, Any]:
    """Cancel the running burn job; its half-written copy is removed."""
    return (await asyncio.to_thread(_subtitles(state).burns.cancel)).public()


@router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def proxy(state: StateDep, path: str, request: Request) -> Response:
    if path in CONTRACT_PATHS:  # the contract's own routes, asked with another method
        raise HTTPException(405, "Method Not Allowed", headers={"Allow": CONTRACT_PATHS[path]})
    # The gateway's own /api/streamcap routes (recording subtitles, the burn job), asked with another method.
    if methods := allowed_methods(request.app, request.scope["path"]):
        raise HTTPException(405, "Method Not Allowed", headers={"Allow": ", ".join(methods)})
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
