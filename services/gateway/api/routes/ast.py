"""Transcription jobs: start on a source, stop, the workers' status, and the rooms' hot words ("热词").

On several workers (docs/contracts.md, Workers on several machines) a new job goes to the worker named in the body,
else to the one with the most free transcription slots (``shared/workers.py``); a stop goes to the worker that holds
the job's lease; the status asks every live AST worker and names each job's worker. With no worker in the registry
yet, any AST worker takes the command.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.api.deps import StateDep
from services.gateway.api.routes.settings import current_settings
from services.gateway.api.schemas import (
    WORKER_ERRORS,
    AstStartResponse,
    AstStatusResponse,
    SuccessResponse,
    VocabularyResponse,
    errors,
)
from services.gateway.fanout import ask_each
from services.gateway.vocabulary import DEFAULT_ROOM, MAX_WORDS, load_words, room_words, save_words
from shared.assignments import Assignments
from shared.bus import TRANSIENT
from shared.commands import wire
from shared.commands.ast import JOBS, SERVICE, START_JOB, STOP_JOB, JobsResult, StopJob
from shared.errors import BusError, CommandError
from shared.leases import Leases, worker_of
from shared.workers import NoSuchWorker, list_workers, pick_worker

router = APIRouter(prefix="/api/ast", tags=["ast"])

START_TIMEOUT_S = 30.0
# How long the status waits for a busy worker; a silent one (dead, still in the registry) gets 1.5 s
# (services/gateway/fanout.py).
STATUS_TIMEOUT_S = 5.0


class AudioConfig(BaseModel):
    # Extra keys (live, realtime, ...) pass through: the worker validates the whole config.
    model_config = ConfigDict(extra="allow")

    source: Literal["session", "url", "file"]
    session_id: str | None = None
    url: str | None = Field(default=None, max_length=4000)
    path: str | None = Field(default=None, max_length=4000)
    save_audio: bool = False


class AstStart(BaseModel):
    audio_config: AudioConfig
    model_config_: dict[str, Any] = Field(default_factory=dict, alias="model_config")
    worker_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="the worker to run the job on (GET /api/workers); it still fails over to another when that worker"
        " dies, and comes back to it; default: the worker with the most free transcription slots",
    )

    model_config = {"populate_by_name": True}


class AstStop(BaseModel):
    session_id: str = Field(min_length=1, max_length=64)


class Vocabulary(BaseModel):
    room: str = Field(default=DEFAULT_ROOM, min_length=1, max_length=64)
    words: list[str] = Field(max_length=MAX_WORDS * 4)


@router.post("/start", response_model=AstStartResponse, responses=errors(*WORKER_ERRORS))
async def start(state: StateDep, body: AstStart) -> dict[str, Any]:
    await state.require_worker(SERVICE)
    workers = await _ast_workers(state)
    try:
        target = pick_worker(workers, body.worker_id, service=SERVICE) if workers or body.worker_id else ""
    except NoSuchWorker as exc:
        raise CommandError("not_found", str(exc)) from exc
    audio = body.audio_config
    extra: dict[str, Any] = {}
    live: dict[str, Any] | None = None
    if audio.source == "session":
        live = await asyncio.to_thread(state.repo.get_session, audio.session_id) if audio.session_id else None
        if live is None:
            raise HTTPException(404, f"没有这个场次 (no such session): {audio.session_id}")
        session_id = live["id"]
        new_session = False
        # Transcript times are on the live session's clock: the stream starts "now" into the session.
        started = datetime.fromisoformat(live["started_at"]) if live["started_at"] else None
        if started is not None and started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        origin_ms = int((datetime.now(UTC) - started).total_seconds() * 1000) if started else 0
        extra = {"live_id": live["live_id"], "origin_ms": max(origin_ms, 0)}
    elif audio.source == "url" and not audio.url:
        raise HTTPException(422, "audio_config.url is required for source=url")
    elif audio.source == "file" and not audio.path:
        raise HTTPException(422, "audio_config.path is required for source=file")
    if audio.source != "session":
        session_id = uuid.uuid4().hex
        new_session = True
    model_config = dict(body.model_config_)
    # The room's hot words and title, unless the request brings its own (services/gateway/vocabulary.py).
    room = extra.get("live_id") or DEFAULT_ROOM
    if "hotwords" not in model_config:
        words = await asyncio.to_thread(room_words, state.settings.home, room)
        if words:
            model_config["hotwords"] = words
    if audio.source == "session" and live is not None and live.get("title") and "room_title" not in model_config:
        model_config["room_title"] = live["title"]
    if "engine" not in model_config:
        fresh = await asyncio.to_thread(current_settings, state.settings)
        model_config["engine"] = fresh.ast_engine
        if fresh.ast_model and "model" not in model_config:
            model_config["model"] = fresh.ast_model
    if body.worker_id:
        extra["worker_id"] = body.worker_id
    params = START_JOB.params_of(
        session_id=session_id, audio_config=audio.model_dump(), model_config=model_config, **extra
    )
    result = wire(await START_JOB.call(state.bus, params, timeout=START_TIMEOUT_S, worker_id=target))
    if new_session:
        await asyncio.to_thread(
            state.repo.create_session,
            session_id=session_id,
            platform=audio.source,
            live_id=(audio.url or audio.path or "")[:64],
            meta={"audio_config": audio.model_dump(), "model_config": model_config},
        )
    return {"success": True, "session_id": session_id, **{k: v for k, v in result.items() if k != "session_id"}}


@router.post("/stop", response_model=SuccessResponse, responses=errors(*WORKER_ERRORS))
async def stop(state: StateDep, body: AstStop) -> dict[str, Any]:
    await state.require_worker(SERVICE)
    try:
        held = await Leases(state.bus.redis, SERVICE).owner(body.session_id)
    except TRANSIENT as exc:
        raise BusError(f"redis unreachable: {exc}") from exc
    # The job's owner stops it at once; unowned (between owners), any AST worker removes its assignment.
    owner = worker_of(held[0]) if held else ""
    live = {w["worker_id"] for w in await _ast_workers(state)}
    await STOP_JOB.call(state.bus, StopJob(session_id=body.session_id), worker_id=owner if owner in live else "")
    return {"success": True}


@router.get("/status", response_model=AstStatusResponse, responses=errors(502, 503, 504))
async def status(state: StateDep) -> dict[str, Any]:
    await state.require_worker(SERVICE)
    workers = await _ast_workers(state)
    if not workers:
        return wire(await JOBS.call(state.bus))

    async def ask(worker_id: str) -> JobsResult:
        return await JOBS.call(state.bus, worker_id=worker_id, timeout=STATUS_TIMEOUT_S)

    # A worker that does not answer (dead, not yet out of the registry) is left out: its jobs show as unowned.
    answered = await ask_each(state.bus.redis, SERVICE, [w["worker_id"] for w in workers], ask)
    answers = [wire(answer) for answer in answered.values()]
    merged = answers[0] if len(answers) == 1 else _merge_status(answers)
    try:
        assigned = await Assignments(state.bus.redis, SERVICE).list()
    except TRANSIENT as exc:
        raise BusError(f"redis unreachable: {exc}") from exc
    shown = {job["session_id"] for job in merged.get("jobs", [])}
    # A job between owners (its worker died, the lease not expired yet): listed, with no worker.
    for item in assigned:
        if item.id not in shown:
            source = str((item.spec.get("audio_config") or {}).get("source") or "")
            merged.setdefault("jobs", []).append(
                {"session_id": item.id, "state": "unowned", "source": source, "worker_id": None}
            )
    return merged


def _merge_status(answers: list[dict[str, Any]]) -> dict[str, Any]:
    """Several workers' status as one: their jobs and engines side by side, the load figures added up."""
    if not answers:
        return {"jobs": [], "recent_jobs": [], "max_jobs": 0, "engine": None, "model": None, "engines": [],
                "rtf": None, "queue_depth": 0, "last_error": None}  # fmt: skip
    busy = next((a for a in answers if a.get("jobs")), answers[0])
    rtfs = [a["rtf"] for a in answers if a.get("rtf") is not None]
    return {
        "jobs": [job for a in answers for job in a.get("jobs", [])],
        "recent_jobs": [job for a in answers for job in a.get("recent_jobs", [])],
        "max_jobs": sum(int(a.get("max_jobs") or 0) for a in answers),
        "engine": busy.get("engine"),
        "model": busy.get("model"),
        "engines": [{**e, "worker_id": a.get("worker_id")} for a in answers for e in a.get("engines", [])],
        "rtf": round(sum(rtfs), 4) if rtfs else None,
        "queue_depth": sum(int(a.get("queue_depth") or 0) for a in answers),
        "last_error": next((a["last_error"] for a in answers if a.get("last_error")), None),
        "workers": [a.get("worker_id") for a in answers],
    }


@router.get("/vocabulary", response_model=VocabularyResponse, responses=errors(422))
async def read_vocabulary(
    state: StateDep, room: str = Query(DEFAULT_ROOM, min_length=1, max_length=64)
) -> dict[str, Any]:
    """A room's hot words (a Douyin live id, or ``default`` for every other source)."""
    return {"room": room, "words": await asyncio.to_thread(load_words, state.settings.home, room)}


@router.put("/vocabulary", response_model=VocabularyResponse, responses=errors(400, 422))
async def write_vocabulary(state: StateDep, body: Vocabulary) -> dict[str, Any]:
    """Replace a room's hot words; jobs started from now on get them (running jobs keep theirs)."""
    try:
        words = await asyncio.to_thread(save_words, state.settings.home, body.room, body.words)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return {"room": body.room, "words": words}


async def _ast_workers(state: StateDep) -> list[dict[str, Any]]:
    try:
        return await list_workers(state.bus.redis, service=SERVICE)
    except TRANSIENT as exc:
        raise BusError(f"redis unreachable: {exc}") from exc
