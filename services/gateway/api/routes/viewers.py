"""A viewer's history across every stored session (the viewer card of the UI)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from services.gateway.api.deps import StateDep
from services.gateway.api.schemas import errors
from services.gateway.viewers import ViewerHistory


class ViewerSession(BaseModel):
    session_id: str
    title: str | None
    anchor_name: str | None
    live_id: str | None
    first_ts: int
    last_ts: int
    comments: int
    gift_messages: int


class ViewerComment(BaseModel):
    session_id: str
    msg_id: str
    content: str
    ts: int


class ViewerGift(BaseModel):
    session_id: str
    msg_id: str
    ts: int
    gift_name: str
    count: int
    diamonds: int


class ViewerFollow(BaseModel):
    session_id: str
    ts: int


class ViewerResponse(BaseModel):
    """Every session the viewer appeared in (oldest first); their latest comments, gifts and follows (newest first)."""

    user_id: str
    nickname: str
    sessions: list[ViewerSession]
    comments: list[ViewerComment]
    gifts: list[ViewerGift]
    follows: list[ViewerFollow]
    diamonds: int = Field(description="diamonds of the listed gifts")
    first_seen: int
    last_seen: int


router = APIRouter(prefix="/api/viewers", tags=["viewers"])


@router.get(
    "/{user_id}",
    response_model=ViewerResponse,
    responses=errors(404, 422),
)
async def viewer(
    state: StateDep,
    user_id: Annotated[str, Path(max_length=64)],
    limit: Annotated[int, Query(ge=1, le=1000, description="most recent comments / gifts / follows listed")] = 200,
) -> dict[str, Any]:
    history = None if "\x00" in user_id else await asyncio.to_thread(ViewerHistory(state.engine).get, user_id, limit)
    if history is None:
        raise HTTPException(404, f"没有这位观众的记录 (no stored history for this viewer): {user_id}")
    return history
