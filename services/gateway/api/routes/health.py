"""``GET /health``: the launcher's view of every service. No token: the launcher and the UI's health strip poll it."""

from __future__ import annotations

import os
import time
from typing import Any

from fastapi import APIRouter
from redis.exceptions import RedisError

from services.gateway.api.deps import StateDep

router = APIRouter(tags=["health"])

LAUNCHER_STATE_STALE_S = 10.0


@router.get("/health")
async def health(state: StateDep) -> dict[str, Any]:
    services: dict[str, Any] = {}
    launcher = None
    try:
        launcher = await state.bus.read_launcher_state()
        redis_ok = True
    except (RedisError, OSError):  # Redis down or answering badly: the suite is degraded, the gateway still answers
        redis_ok = False
    if launcher and time.time() - float(launcher.get("ts", 0)) < LAUNCHER_STATE_STALE_S:
        services = launcher.get("services", {})
    services["gateway"] = {
        **services.get("gateway", {}),
        "status": "running",
        "pid": os.getpid(),
        "port": state.settings.gateway_port,
        "persister": state.persister.stats(),
        "ws_clients": len(state.hub.clients),
    }
    if not redis_ok:
        overall = "degraded"
    else:
        statuses = [s.get("status") for s in services.values()]
        overall = "ok" if all(s == "running" for s in statuses) else "degraded"
    return {"status": overall, "redis": redis_ok, "services": services}
