"""``GET /api/settings``: what the suite runs with (never the token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.gateway.api.deps import StateDep

router = APIRouter(prefix="/api/settings", tags=["settings"])


@router.get("")
async def read_settings(state: StateDep) -> dict[str, Any]:
    return state.settings.public_view()
