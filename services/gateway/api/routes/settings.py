"""``GET/PUT /api/settings``: the suite's settings as the UI may see and edit them (never the token).

Edits go to ``$TIMAO_HOME/settings.toml``. Defaults for new recordings and transcriptions apply at once; ports,
the recordings folder and the log level apply when the suite restarts, and the answer says which ones wait.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.gateway.api.deps import StateDep
from services.gateway.api.schemas import SettingsView, errors
from shared.config import RESTART_KEYS, AstEngine, LogLevel, RecordingQuality, Settings, load_settings, save_settings
from shared.errors import ConfigError

router = APIRouter(prefix="/api/settings", tags=["settings"])


class SettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The pattern only documents the rule: the settings' own check refuses a NUL with a clear message.
    recordings_dir: str | None = Field(default=None, max_length=4000, json_schema_extra={"pattern": "^[^\\x00]*$"})
    recording_quality: RecordingQuality | None = None
    ast_engine: AstEngine | None = None
    ast_model: str | None = Field(default=None, max_length=500)
    gateway_port: int | None = Field(default=None, ge=1, le=65535)
    streamcap_port: int | None = Field(default=None, ge=1, le=65535)
    log_level: LogLevel | None = None

    @field_validator("gateway_port", "streamcap_port", mode="before")
    @classmethod
    def _no_bool(cls, value: object) -> object:
        # JSON true is no port number (pydantic would take it as 1).
        if isinstance(value, bool):
            raise ValueError("端口必须是数字 (a port is a number)")
        return value


def current_settings(running: Settings) -> Settings:
    """What the settings file and environment say now (may differ from what the running suite started with)."""
    return load_settings(home=running.home)


def _view(running: Settings, fresh: Settings) -> dict[str, Any]:
    view = fresh.public_view()
    view["recordings_dir"] = str(fresh.effective_recordings_dir)
    pending = sorted(k for k in RESTART_KEYS if getattr(fresh, k) != getattr(running, k))
    view["restart_required"] = pending
    return view


@router.get("", response_model=SettingsView)
async def read_settings(state: StateDep) -> dict[str, Any]:
    fresh = await asyncio.to_thread(current_settings, state.settings)
    return _view(state.settings, fresh)


@router.put("", response_model=SettingsView, responses=errors(400, 422))
async def update_settings(state: StateDep, body: SettingsUpdate) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    try:
        fresh = await asyncio.to_thread(save_settings, state.settings.home, changes)
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from exc
    return _view(state.settings, fresh)
