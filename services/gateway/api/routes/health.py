"""``GET /health``: the launcher's view of every service. No token: the launcher and the UI's health strip poll it.

It lists the services this machine's launcher runs (under ``timao up --role gateway`` the gateway alone: the workers
run elsewhere and ``GET /api/workers`` lists them), and says so when such a gateway has no live worker.

``?challenge=NONCE`` adds ``proof`` (``shared.websec.hello_proof``): the desktop shell checks it before it attaches to a
backend already running on the port, so a process squatting the port never gets the token."""

from __future__ import annotations

import os
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from redis.exceptions import RedisError

from services.gateway.api.deps import StateDep
from services.gateway.api.schemas import HealthResponse, errors
from services.gateway.persister import DEAD_LETTER_STREAM
from shared.websec import HELLO_NONCE_PATTERN, hello_proof
from shared.workers import STALE_S, WORKERS_KEY

router = APIRouter(tags=["health"])

LAUNCHER_STATE_STALE_S = 10.0


Challenge = Annotated[
    str | None,
    Query(
        pattern=HELLO_NONCE_PATTERN,
        description="a fresh random nonce (16-128 of A-Z a-z 0-9 _ -); the answer then carries `proof`, "
        "hex HMAC-SHA256 under the token of `timao/hello/v1\\n<gateway port>\\n<nonce>`",
    ),
]


@router.get("/health", response_model=HealthResponse, response_model_exclude_unset=True, responses=errors(422))
async def health(state: StateDep, challenge: Challenge = None) -> dict[str, Any]:
    services: dict[str, Any] = {}
    launcher = None
    dead_letters = 0
    live_workers = None
    try:
        launcher = await state.bus.read_launcher_state()
        dead_letters = int(await state.bus.redis.xlen(DEAD_LETTER_STREAM))
        if launcher and launcher.get("role") == "gateway":
            # Its workers run on other machines: the registry, not this launcher, says whether any is there.
            since_ms = int((time.time() - STALE_S) * 1000)
            live_workers = int(await state.bus.redis.zcount(WORKERS_KEY, since_ms, "+inf"))
        redis_ok = True
    except (RedisError, OSError):  # Redis down or answering badly: the suite is degraded, the gateway still answers
        redis_ok = False
    if launcher and time.time() - float(launcher.get("ts", 0)) < LAUNCHER_STATE_STALE_S:
        services = launcher.get("services", {})
    persister = state.persister.stats()
    reasons: list[str] = []
    if not redis_ok:
        reasons.append("Redis 无法连接 (Redis unreachable)")
    if persister["state"] != "running":
        reasons.append(
            f"事件存储{_PERSISTER_STATES.get(persister['state'], persister['state'])}: {persister['last_error']}"
        )
    if live_workers == 0:
        reasons.append("没有在线的工作节点 (no live worker: start `timao up --role worker` on a machine)")
    if dead_letters:
        reasons.append(f"{dead_letters} 条事件无法存储 (events could not be stored; see GET /api/events/dead-letters)")
    services["gateway"] = {
        **services.get("gateway", {}),
        "status": "running",
        "pid": os.getpid(),
        "port": state.settings.gateway_port,
        "persister": {**persister, "dead_letters": dead_letters},
        "ws_clients": len(state.hub.clients),
    }
    reasons += [f"{name}: {info.get('status')}" for name, info in services.items() if info.get("status") != "running"]
    answer = {"status": "degraded" if reasons else "ok", "reason": "; ".join(reasons) or None, "redis": redis_ok,
              "services": services}  # fmt: skip
    if challenge is not None:
        answer["proof"] = hello_proof(state.token, state.settings.gateway_port, challenge)
    return answer


_PERSISTER_STATES = {
    "starting": "启动中 (starting)",
    "waiting": "等待数据库或 Redis (waiting for the database or Redis)",
    "restarting": "重启中 (restarting after a crash)",
}
