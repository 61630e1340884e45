"""``/api/events/dead-letters``: the entries of the event log that could not be stored, with the reason.

The persister sets such entries aside instead of letting them block storage; ``/health`` stays ``degraded`` while
any wait here, so the user sees that something was not stored, can read what and why, and then clear the list.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from services.gateway.api.deps import StateDep
from services.gateway.api.schemas import DeadLetterClear, DeadLettersResponse, errors
from services.gateway.persister import DEAD_LETTER_STREAM

router = APIRouter(prefix="/api/events/dead-letters", tags=["events"])


@router.get("", response_model=DeadLettersResponse, responses=errors(422))
async def list_dead_letters(state: StateDep, limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    redis = state.bus.redis
    count = int(await redis.xlen(DEAD_LETTER_STREAM))
    newest: list[tuple[bytes, dict[bytes, bytes]]] = await redis.xrevrange(DEAD_LETTER_STREAM, count=limit)  # type: ignore[assignment]
    items = [
        {
            "id": _text(dead_id),
            "entry_id": _text(fields.get(b"id", b"")),
            "error": _text(fields.get(b"error", b"")),
            "at": float(fields.get(b"at") or 0),
            "payload": _text(fields.get(b"e", b"")),
        }
        for dead_id, fields in newest
    ]
    return {"count": count, "items": items}


@router.delete("", response_model=DeadLetterClear)
async def clear_dead_letters(state: StateDep) -> dict[str, int]:
    removed = int(await state.bus.redis.delete(DEAD_LETTER_STREAM))
    count = int(await state.bus.redis.xlen(DEAD_LETTER_STREAM))
    return {"removed": removed, "count": count}


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
