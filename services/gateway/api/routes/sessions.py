"""Sessions and what was stored for them: comments (paged, searchable) and transcripts."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from services.gateway.api.deps import StateDep
from services.gateway.api.schemas import CommentsResponse, SessionInfo, SessionsResponse, TranscriptsResponse, errors
from shared.events import MAX_INT

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


@router.get("", response_model=SessionsResponse, responses=errors(422))
async def list_sessions(state: StateDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    return {"sessions": await asyncio.to_thread(state.repo.list_sessions, limit)}


@router.get("/{session_id}", response_model=SessionInfo, responses=errors(404, 422))
async def get_session(state: StateDep, session_id: str) -> dict[str, Any]:
    session = await asyncio.to_thread(state.repo.get_session, session_id)
    if session is None:
        raise HTTPException(404, f"没有这个场次 (no such session): {session_id}")
    return session


@router.get("/{session_id}/comments", response_model=CommentsResponse, responses=errors(422))
async def comments(
    state: StateDep,
    session_id: str,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=0, le=MAX_INT, description="only comments older than this ts (ms)")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    rows = await asyncio.to_thread(state.repo.comments, session_id, limit=limit, before=before, q=q)
    return {"comments": rows}


@router.get("/{session_id}/transcripts", response_model=TranscriptsResponse, responses=errors(422))
async def transcripts(state: StateDep, session_id: str) -> dict[str, Any]:
    return {"transcripts": await asyncio.to_thread(state.repo.transcripts, session_id)}
