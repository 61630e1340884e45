"""Transcription jobs: start on a source, stop, the worker's status, and the rooms' hot words ("热词")."""

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
from services.gateway.vocabulary import DEFAULT_ROOM, MAX_WORDS, load_words, room_words, save_words
from shared.commands import wire
from shared.commands.ast import JOBS, SERVICE, START_JOB, STOP_JOB, StopJob

router = APIRouter(prefix="/api/ast", tags=["ast"])


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

    model_config = {"populate_by_name": True}


class AstStop(BaseModel):
    session_id: str = Field(min_length=1, max_length=64)


class Vocabulary(BaseModel):
    room: str = Field(default=DEFAULT_ROOM, min_length=1, max_length=64)
    words: list[str] = Field(max_length=MAX_WORDS * 4)


@router.post("/start", response_model=AstStartResponse, responses=errors(*WORKER_ERRORS))
async def start(state: StateDep, body: AstStart) -> dict[str, Any]:
    await state.require_worker(SERVICE)
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
    params = START_JOB.params_of(
        session_id=session_id, audio_config=audio.model_dump(), model_config=model_config, **extra
    )
    result = wire(await START_JOB.call(state.bus, params, timeout=30.0))
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
    await STOP_JOB.call(state.bus, StopJob(session_id=body.session_id))
    return {"success": True}


@router.get("/status", response_model=AstStatusResponse, responses=errors(502, 503, 504))
async def status(state: StateDep) -> dict[str, Any]:
    await state.require_worker(SERVICE)
    return wire(await JOBS.call(state.bus))


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
