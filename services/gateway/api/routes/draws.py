"""Lucky draws of a session (抽奖): run one, read one back, list them (the report shows them too)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.gateway.api.deps import StateDep
from services.gateway.api.schemas import errors
from services.gateway.draws import MAX_SEED, DrawStore
from shared.events import MAX_INT

router = APIRouter(prefix="/api/sessions", tags=["draws"])

SessionId = Annotated[str, Path(max_length=64)]


class DrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyword: str = Field(min_length=1, max_length=50, description="text a comment must contain, e.g. 扣1")
    since_ms: int = Field(ge=0, le=MAX_INT)
    until_ms: int = Field(ge=0, le=MAX_INT)
    winners: int = Field(ge=1, le=100)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED, description="omit to get a new one")

    @model_validator(mode="after")
    def _window(self) -> DrawRequest:
        if self.until_ms < self.since_ms:
            raise ValueError("结束时间早于开始时间 (until_ms is before since_ms)")
        if not self.keyword.strip():
            raise ValueError("关键词不能为空 (keyword is blank)")
        return self


class Winner(BaseModel):
    user_id: str
    nickname: str


class DrawResponse(BaseModel):
    """A draw as stored: its inputs (so it can be re-run) and its outcome."""

    draw_id: str
    session_id: str
    keyword: str
    since_ms: int
    until_ms: int
    winners_wanted: int
    entrants: int = Field(description="distinct viewers who commented the keyword in the window")
    winners: list[Winner]
    seed: int
    created_ms: int


class DrawsResponse(BaseModel):
    draws: list[DrawResponse]


def _store(state: Any) -> DrawStore:
    return DrawStore(state.engine)


async def _known(state: Any, session_id: str) -> None:
    if "\x00" in session_id or await asyncio.to_thread(state.repo.get_session, session_id) is None:
        raise HTTPException(404, f"没有这个场次 (no such session): {session_id[:64]}")


@router.post("/{session_id}/draws", response_model=DrawResponse, responses=errors(404, 422))
async def run_draw(state: StateDep, session_id: SessionId, body: DrawRequest) -> dict[str, Any]:
    await _known(state, session_id)
    return await asyncio.to_thread(
        _store(state).run, session_id, body.keyword, body.since_ms, body.until_ms, body.winners, body.seed
    )


@router.get("/{session_id}/draws", response_model=DrawsResponse, responses=errors(404, 422))
async def list_draws(state: StateDep, session_id: SessionId) -> dict[str, Any]:
    await _known(state, session_id)
    return {"draws": await asyncio.to_thread(_store(state).all, session_id)}


@router.get("/{session_id}/draws/{draw_id}", response_model=DrawResponse, responses=errors(404, 422))
async def get_draw(
    state: StateDep, session_id: SessionId, draw_id: Annotated[str, Path(max_length=32)]
) -> dict[str, Any]:
    # PostgreSQL refuses a NUL in a query's text; no stored id holds one (fuzzing found the session id unchecked)
    unstorable = "\x00" in session_id or "\x00" in draw_id
    draw = None if unstorable else await asyncio.to_thread(_store(state).get, session_id, draw_id)
    if draw is None:
        raise HTTPException(404, f"没有这次抽奖 (no such draw): {draw_id}")
    return draw
