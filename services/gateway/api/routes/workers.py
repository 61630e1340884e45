"""The workers that run rooms, recordings and jobs (docs/contracts.md, Workers on several machines)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.gateway.api.deps import StateDep
from services.gateway.api.schemas import WorkersResponse, errors
from shared.bus import TRANSIENT
from shared.errors import BusError
from shared.workers import list_workers

router = APIRouter(prefix="/api/workers", tags=["workers"])


@router.get("", response_model=WorkersResponse, responses=errors(503))
async def workers(state: StateDep) -> dict[str, Any]:
    try:
        return {"workers": await list_workers(state.bus.redis)}
    except TRANSIENT as exc:
        raise BusError(f"redis unreachable: {exc}") from exc
