"""StreamCap routes. Commands over the bus like every worker; file bytes from this machine's StreamCap.

- ``start``, ``stop``, ``recordings`` and ``recordings/{id}`` are StreamCap's bus commands (``shared/commands/
  streamcap.py``), answered in the one recording shape, so they work on a gateway-only machine (``timao up --role
  gateway``) as well. A start goes to the named worker, else to this machine's StreamCap, else to any: the StreamCap
  that takes it places it through the assignments (the named worker, else the one with the most free slots). A stop
  goes to the recording's lease owner, else to any StreamCap (which ends it, or has its owner stop it).
- What carries files or is StreamCap's own UI surface stays HTTP, to the StreamCap on this machine: the recording
  subtitles and the burn job (the gateway's own routes below; a file on another worker's disk answers 409 naming that
  worker) and the pass-through of any other ``/api/streamcap/<path>`` (rooms, settings) to its ``/api/<path>``; on a
  machine without StreamCap those answer 503.
"""

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
from services.gateway.api.schemas import (
    WORKER_ERRORS,
    Recording,
    RecordingsResponse,
    RecordingStartResponse,
    SuccessResponse,
    errors,
)
from services.gateway.state import GatewayState
from services.gateway.subtitles.burn import BurnBusy
from services.gateway.subtitles.service import StreamcapUnreachable, SubtitleService
from services.gateway.subtitles.writer import FORMATS, SubtitleError
from shared.bus import TRANSIENT
from shared.commands.streamcap import (
    GET_RECORDING,
    RECORDINGS,
    SERVICE,
    START_RECORDING,
    STOP_RECORDING,
    GetRecording,
    ListRecordings,
    StopRecording,
)
from shared.errors import BusError, CommandError, ServiceUnavailable
from shared.leases import Leases, worker_of
from shared.workers import list_workers

router = APIRouter(prefix="/api/streamcap", tags=["streamcap"])

HOP_HEADERS = {"host", "content-length", "authorization", "origin", "connection", "transfer-encoding"}
# A Douyin room is resolved before its recording starts: the site may be slow.
START_TIMEOUT_S = 25.0

CONTRACT_PATHS = {"start": "POST", "stop": "POST", "recordings": "GET"}

RecordingId = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class StreamcapStart(BaseModel):
    platform: str = Field(
        min_length=2,
        max_length=32,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="douyin (a room URL or id), direct (an FLV/HLS URL), or a platform streamlink knows",
    )
    stream_url: str = Field(min_length=1, max_length=4000)
    quality: str | None = Field(default=None, max_length=32, description="default: the recording_quality setting")
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


async def _streamcaps(state: GatewayState) -> set[str]:
    """The live StreamCap workers (GET /api/workers)."""
    try:
        return {w["worker_id"] for w in await list_workers(state.bus.redis, service=SERVICE)}
    except TRANSIENT as exc:
        raise BusError(f"redis unreachable: {exc}") from exc


async def _near(state: GatewayState, *preferred: str | None) -> str:
    """The first preferred worker that is live, else this machine's StreamCap when it runs, else "" (any)."""
    live = await _streamcaps(state)
    for worker_id in (*preferred, state.settings.effective_worker_id):
        if worker_id and worker_id in live:
            return worker_id
    return ""


@router.post("/start", response_model=RecordingStartResponse, responses=errors(*WORKER_ERRORS, 507))
async def start(state: StateDep, body: StreamcapStart) -> RecordingStartResponse:
    """Start recording a stream (or answer the recording that records it already, on any worker)."""
    await state.require_worker(SERVICE)
    if body.quality is None:
        fresh = await asyncio.to_thread(current_settings, state.settings)
        body.quality = fresh.recording_quality
    params = START_RECORDING.params_of(**body.model_dump(exclude_none=True))
    target = await _near(state, body.worker_id)
    result = await START_RECORDING.call(state.bus, params, timeout=START_TIMEOUT_S, worker_id=target)
    return RecordingStartResponse(success=True, recording_id=result.recording_id)


@router.post("/stop", response_model=SuccessResponse, responses=errors(*WORKER_ERRORS))
async def stop(state: StateDep, body: StreamcapStop) -> SuccessResponse:
    """Stop a recording wherever it runs (stopping one that ended is no error)."""
    await state.require_worker(SERVICE)
    try:
        held = await Leases(state.bus.redis, SERVICE).owner(body.recording_id)
    except TRANSIENT as exc:
        raise BusError(f"redis unreachable: {exc}") from exc
    target = await _near(state, worker_of(held[0]) if held else None)
    await STOP_RECORDING.call(state.bus, StopRecording(recording_id=body.recording_id), worker_id=target)
    return SuccessResponse(success=True)


@router.get("/recordings", response_model=RecordingsResponse, responses=errors(502, 503, 504))
async def recordings(
    state: StateDep, limit: Annotated[int, Query(ge=1, le=1000, description="the newest first")] = 200
) -> RecordingsResponse:
    """Recordings of every worker, newest first, with their files (absolute paths on the disk of each file's
    ``worker_id``)."""
    await state.require_worker(SERVICE)
    answer = await RECORDINGS.call(state.bus, ListRecordings(limit=limit), worker_id=await _near(state))
    return RecordingsResponse(recordings=answer.recordings)


@router.get("/recordings/{recording_id}", response_model=Recording, responses=errors(404, 502, 503, 504))
async def recording(state: StateDep, recording_id: RecordingId) -> Recording:
    """One recording, with its files."""
    await state.require_worker(SERVICE)
    return await GET_RECORDING.call(state.bus, GetRecording(recording_id=recording_id), worker_id=await _near(state))


async def _forward(state: GatewayState, method: str, path: str, **kwargs: Any) -> Response:
    try:
        upstream = await state.streamcap.request(method, path, **kwargs)
    except httpx.TransportError as exc:
        await state.require_worker(SERVICE)  # raises the launcher's reason when it is down
        raise ServiceUnavailable(
            SERVICE, f"本机录制服务无法连接 (this machine's StreamCap is unreachable): {exc}"
        ) from exc
    headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS | {"content-encoding"}}
    return Response(upstream.content, status_code=upstream.status_code, headers=headers)


# Recording timelines (docs/contracts.md, Recording timelines): declared before the pass-through below.

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
    worker rather than a missing file (docs/contracts.md, Workers on several machines). Asked over the bus, so a
    machine without StreamCap says where the file is too."""
    await state.require_worker(SERVICE)
    try:
        recording = await GET_RECORDING.call(
            state.bus, GetRecording(recording_id=recording_id), worker_id=await _near(state)
        )
    except CommandError as exc:
        if exc.code == "not_found":
            raise SubtitleError(404, f"没有这个录制 (unknown recording {recording_id!r})") from exc
        raise
    files = recording.files
    owner = files[index].worker_id if 0 <= index < len(files) else None
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
        **errors(404, 409, 422, 502, 503, 504, json_model=False),
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


@router.post(
    "/recordings/{recording_id}/burn", response_model=BurnStatusResponse, responses=errors(404, 409, 502, 503, 504)
)
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
