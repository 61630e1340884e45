"""``GET/PUT /api/settings``: the suite's settings as the UI may see and edit them (never the token).

Edits go to ``$TIMAO_HOME/settings.toml``. Defaults for new recordings and transcriptions apply at once; ports,
the recordings folder and the log level apply when the suite restarts, and the answer says which ones wait.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict

from services.gateway.api.deps import StateDep
from shared.config import RESTART_KEYS, Settings, load_settings, save_settings
from shared.errors import ConfigError

router = APIRouter(prefix="/api/settings", tags=["settings"])


class SettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recordings_dir: str | None = None
    recording_quality: str | None = None
    ast_engine: str | None = None
    ast_model: str | None = None
    gateway_port: int | None = None
    streamcap_port: int | None = None
    log_level: str | None = None


def current_settings(running: Settings) -> Settings:
    """What the settings file and environment say now (may differ from what the running suite started with)."""
    return load_settings(home=running.home)


def _view(running: Settings, fresh: Settings) -> dict[str, Any]:
    view = fresh.public_view()
    view["recordings_dir"] = str(fresh.effective_recordings_dir)
    pending = sorted(k for k in RESTART_KEYS if getattr(fresh, k) != getattr(running, k))
    view["restart_required"] = pending
    return view


@router.get("")
async def read_settings(state: StateDep) -> dict[str, Any]:
    fresh = await asyncio.to_thread(current_settings, state.settings)
    return _view(state.settings, fresh)


@router.put("")
async def update_settings(state: StateDep, body: SettingsUpdate) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    try:
        fresh = await asyncio.to_thread(save_settings, state.settings.home, changes)
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from exc
    return _view(state.settings, fresh)
