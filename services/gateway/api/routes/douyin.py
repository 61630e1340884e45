"""Douyin rooms: start/stop watching a live room, and the fetcher's view of every running session."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.gateway.api.deps import StateDep
from services.gateway.api.schemas import (
    WORKER_ERRORS,
    DouyinStartResponse,
    DouyinStatusResponse,
    SuccessResponse,
    errors,
)
from shared.commands import wire
from shared.commands.douyin import ROOMS, SERVICE, START_ROOM, STOP_ROOM, StopRoom

router = APIRouter(prefix="/api/douyin", tags=["douyin"])

START_TIMEOUT_S = 20.0


class DouyinStart(BaseModel):
    # Any link a user has: the fetcher finds the room in it (docs/protocol/douyin.md §1.6).
    live_id: str = Field(
        min_length=1,
        max_length=2000,
        description="room id (148108118778), room URL, share text copied from the app (with its v.douyin.com link)"
        " or the profile URL of a streamer who is live",
    )
    config: dict[str, Any] = Field(default_factory=dict)
    transport: Literal["auto", "direct", "browser"] | None = Field(
        default=None,
        description="how this room connects: our own socket (direct), the room page in a browser (browser), or direct"
        " moving to the browser when refused (auto); default: TIMAO_DOUYIN_TRANSPORT",
    )


class DouyinStop(BaseModel):
    session_id: str = Field(min_length=1, max_length=64)


@router.post(
    "/start", response_model=DouyinStartResponse, response_model_exclude_unset=True, responses=errors(*WORKER_ERRORS)
)
async def start(state: StateDep, body: DouyinStart) -> dict[str, Any]:
    await state.require_worker(SERVICE)
    requested = uuid.uuid4().hex
    # A bad config is refused here (422, code bad_command); the fetcher resolves the room: a bad id comes back as a
    # 422, an unknown room as a 404.
    fields: dict[str, Any] = {"live_id": body.live_id.strip(), "session_id": requested, "config": body.config}
    if body.transport:
        fields["transport"] = body.transport
    result = await START_ROOM.call(state.bus, START_ROOM.params_of(**fields), timeout=START_TIMEOUT_S)
    # A room the fetcher watches already (e.g. resumed after a restart) answers with its session: no new one.
    session_id = result.session_id or requested
    if session_id == requested:
        await asyncio.to_thread(
            state.repo.create_session,
            session_id=session_id,
            platform="douyin",
            live_id=result.live_id,
            meta={"config": body.config},
        )
    answer = wire(result)
    room_info = {k: answer[k] for k in ("room_id", "title", "anchor_name") if answer.get(k)}
    if room_info:
        await asyncio.to_thread(state.repo.update_session, session_id, **room_info)
    return {"success": True, "session_id": session_id, **{k: v for k, v in answer.items() if k != "session_id"}}


@router.post("/stop", response_model=SuccessResponse, responses=errors(*WORKER_ERRORS))
async def stop(state: StateDep, body: DouyinStop) -> dict[str, Any]:
    await state.require_worker(SERVICE)
    await STOP_ROOM.call(state.bus, StopRoom(session_id=body.session_id))
    return {"success": True}


@router.get("/status", response_model=DouyinStatusResponse, responses=errors(502, 503, 504))
async def status(state: StateDep) -> dict[str, Any]:
    await state.require_worker(SERVICE)
    return wire(await ROOMS.call(state.bus))
