"""Douyin rooms: start/stop watching a live room, and the fetchers' view of every running session.

On several workers (docs/contracts.md, Workers on several machines) a new room goes to the worker named in the body,
else to the one with the most free capacity (``shared/workers.py``); a stop goes to the worker that holds the room's
lease; the status asks every live worker. With no worker in the registry yet, any fetcher takes the command. A move
(``POST /api/douyin/move``) goes to the room's lease owner, which stops the room and gives its lease back; the named
worker resumes it from its cursor.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.gateway.api.deps import StateDep
from services.gateway.api.schemas import (
    WORKER_ERRORS,
    DouyinMoveResponse,
    DouyinStartResponse,
    DouyinStatusResponse,
    SuccessResponse,
    errors,
)
from services.gateway.fanout import ask_each
from shared.assignments import Assignments
from shared.bus import TRANSIENT
from shared.commands import wire
from shared.commands.douyin import MOVE_ROOM, ROOMS, SERVICE, START_ROOM, STOP_ROOM, MoveRoom, RoomsResult, StopRoom
from shared.errors import BusError, CommandError
from shared.leases import Leases, worker_of
from shared.workers import NoSuchWorker, list_workers, pick_worker

router = APIRouter(prefix="/api/douyin", tags=["douyin"])

START_TIMEOUT_S = 20.0
# How long the status waits for a busy fetcher; a silent one (dead, still in the registry) gets 1.5 s
# (services/gateway/fanout.py).
STATUS_TIMEOUT_S = 5.0


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
    worker_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="the worker to run the room on (GET /api/workers); it still fails over to another when that worker"
        " dies, and comes back to it; default: the worker with the most free capacity",
    )


class DouyinStop(BaseModel):
    session_id: str = Field(min_length=1, max_length=64)


class DouyinMove(BaseModel):
    session_id: str = Field(min_length=1, max_length=64)
    worker_id: str = Field(min_length=1, max_length=100, description="the live worker to run the room on from now on")


@router.post(
    "/start", response_model=DouyinStartResponse, response_model_exclude_unset=True, responses=errors(*WORKER_ERRORS)
)
async def start(state: StateDep, body: DouyinStart) -> dict[str, Any]:
    await state.require_worker(SERVICE)
    workers = await _fetchers(state)
    try:
        target = pick_worker(workers, body.worker_id) if workers or body.worker_id else ""
    except NoSuchWorker as exc:
        raise CommandError("not_found", str(exc)) from exc
    requested = uuid.uuid4().hex
    # A bad config is refused here (422, code bad_command); the fetcher resolves the room: a bad id comes back as a
    # 422, an unknown room as a 404.
    fields: dict[str, Any] = {"live_id": body.live_id.strip(), "session_id": requested, "config": body.config}
    if body.transport:
        fields["transport"] = body.transport
    if body.worker_id:
        fields["worker_id"] = body.worker_id
    params = START_ROOM.params_of(**fields)
    result = await START_ROOM.call(state.bus, params, timeout=START_TIMEOUT_S, worker_id=target)
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
    try:
        held = await Leases(state.bus.redis, SERVICE).owner(body.session_id)
    except TRANSIENT as exc:
        raise BusError(f"redis unreachable: {exc}") from exc
    # The room's owner stops it at once; unowned (between owners), any fetcher removes its assignment.
    owner = worker_of(held[0]) if held else ""
    live = {w["worker_id"] for w in await _fetchers(state)}
    await STOP_ROOM.call(state.bus, StopRoom(session_id=body.session_id), worker_id=owner if owner in live else "")
    return {"success": True}


@router.post("/move", response_model=DouyinMoveResponse, responses=errors(*WORKER_ERRORS))
async def move(state: StateDep, body: DouyinMove) -> dict[str, Any]:
    """Move a running room to another worker by hand: the same session goes on there from its cursor. 404 for an
    unknown (or ended) session or a worker that is not live, 409 when the room is there already or that worker is
    full."""
    await state.require_worker(SERVICE)
    workers = await _fetchers(state)
    try:
        target = pick_worker(workers, body.worker_id)
        item = await Assignments(state.bus.redis, SERVICE).get(body.session_id)
        held = await Leases(state.bus.redis, SERVICE).owner(body.session_id)
    except NoSuchWorker as exc:
        raise CommandError("not_found", str(exc)) from exc
    except TRANSIENT as exc:
        raise BusError(f"redis unreachable: {exc}") from exc
    if item is None:
        raise CommandError("not_found", f"没有这个运行中的直播间 (no running room in session {body.session_id})")
    owner = worker_of(held[0]) if held else ""
    if owner == target or (not owner and item.spec.get("worker_id") == target):
        raise CommandError("conflict", f"直播间已在工作节点 {target} 上 (the room is on worker {target} already)")
    view = next(w for w in workers if w["worker_id"] == target)
    if len(view["rooms"]) >= view["capacity"] > 0:
        raise CommandError(
            "conflict", f"工作节点 {target} 已满 ({len(view['rooms'])}/{view['capacity']}) (worker {target} is full)"
        )
    live = {w["worker_id"] for w in workers}
    # The owner stops it and gives its lease back; between owners, the target itself writes the new placement.
    result = await MOVE_ROOM.call(
        state.bus, MoveRoom(session_id=body.session_id, worker_id=target), worker_id=owner if owner in live else target
    )
    return {"success": True, "session_id": result.session_id, "worker_id": result.worker_id,
            "from_worker_id": result.from_worker_id}  # fmt: skip


@router.get("/status", response_model=DouyinStatusResponse, responses=errors(502, 503, 504))
async def status(state: StateDep) -> dict[str, Any]:
    await state.require_worker(SERVICE)
    workers = await _fetchers(state)
    if not workers:
        return wire(await ROOMS.call(state.bus))

    async def ask(worker_id: str) -> RoomsResult:
        return await ROOMS.call(state.bus, worker_id=worker_id, timeout=STATUS_TIMEOUT_S)

    # A worker that does not answer (dead, not yet out of the registry) is left out: its rooms show as unowned.
    answered = await ask_each(state.bus.redis, SERVICE, [w["worker_id"] for w in workers], ask)
    sessions = [{**wire(room), "worker_id": worker_id} for worker_id, answer in answered.items()
                for room in answer.sessions]  # fmt: skip
    try:
        assigned = {item.id: item for item in await Assignments(state.bus.redis, SERVICE).list()}
    except TRANSIENT as exc:
        raise BusError(f"redis unreachable: {exc}") from exc
    shown = {s["session_id"] for s in sessions}
    # A room between owners (its worker died, the lease not expired yet): listed, with no worker.
    for session_id in sorted(set(assigned) - shown):
        live_id = str(assigned[session_id].spec.get("live_id", ""))
        sessions.append({"session_id": session_id, "live_id": live_id, "state": "unowned", "worker_id": None})
    return {"sessions": sessions}


async def _fetchers(state: StateDep) -> list[dict[str, Any]]:
    try:
        return await list_workers(state.bus.redis, service=SERVICE)
    except TRANSIENT as exc:
        raise BusError(f"redis unreachable: {exc}") from exc
