"""The OBS overlay (docs/contracts.md, Overlay): its keys under ``/api/overlay/keys`` (API token, like every
``/api`` route), and the pages a browser source opens with a key instead: ``/overlay/{kind}?key=`` and the
read-only live stream ``/overlay/ws?key=``.

The pages are outside ``/api`` and ``/ws``, so the guard does not ask them for the token; it still checks their
Host and Origin like everything else (the overlay page is served by the gateway, so its own requests carry the
gateway's origin, and OBS opens the page itself with none). The key is checked here: missing or unknown → 401,
revoked → 403 (on the WebSocket, close codes 4401 and 4403). The page is a static file with no secret in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Path, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.api.deps import StateDep
from services.gateway.api.schemas import errors
from services.gateway.live import FEED_INTERRUPTED, WS_CLOSE_TOO_SLOW
from services.gateway.overlay import (
    KEY_PATTERN,
    OVERLAY_EVENT_TYPES,
    OVERLAY_KINDS,
    KeyState,
    OverlayConnections,
    OverlayKeyStore,
    OverlayStyle,
)
from services.gateway.state import GatewayState

log = logging.getLogger(__name__)

router = APIRouter(tags=["overlay"])

WS_CLOSE_NO_KEY = 4401
WS_CLOSE_REVOKED = 4403
LIVE_WAIT_S = 5.0

KeyPath = Annotated[str, Path(max_length=64)]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="OBS", min_length=1, max_length=40, description="a label for the list, e.g. 直播间左下")
    style: OverlayStyle | None = None


class OverlayKeyView(BaseModel):
    key: str
    url: str = Field(description="the chat overlay's address with this key, ready for an OBS browser source")
    urls: dict[str, str] = Field(description="every overlay kind's address with this key")
    name: str
    style: OverlayStyle
    created_ms: int


class OverlayKeysResponse(BaseModel):
    keys: list[OverlayKeyView]


class KeyRevoked(BaseModel):
    key: str
    revoked: bool
    closed_streams: int = Field(description="overlay pages that were open with the key and are now closed")


def _store(state: GatewayState) -> OverlayKeyStore:
    return OverlayKeyStore(state.engine)


def connections(app: Any) -> OverlayConnections:
    conns: OverlayConnections | None = getattr(app.state, "overlay_connections", None)
    if conns is None:
        conns = OverlayConnections()
        app.state.overlay_connections = conns
    return conns


def _with_urls(state: GatewayState, record: dict[str, Any]) -> dict[str, Any]:
    base = f"http://127.0.0.1:{state.settings.gateway_port}/overlay"
    urls = {kind: f"{base}/{kind}?key={record['key']}" for kind in OVERLAY_KINDS}
    return {**record, "url": urls["chat"], "urls": urls}


@router.post("/api/overlay/keys", response_model=OverlayKeyView, status_code=201, responses=errors(409, 422))
async def create_key(state: StateDep, body: KeyCreate) -> dict[str, Any]:
    try:
        record = await asyncio.to_thread(_store(state).create, body.name.strip() or "OBS", body.style or OverlayStyle())
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from exc
    log.info("overlay key created: %s…", record["key"][:4])
    return _with_urls(state, record)


@router.get("/api/overlay/keys", response_model=OverlayKeysResponse)
async def list_keys(state: StateDep) -> dict[str, Any]:
    return {"keys": [_with_urls(state, r) for r in await asyncio.to_thread(_store(state).active)]}


@router.delete("/api/overlay/keys/{key}", response_model=KeyRevoked, responses=errors(404, 422))
async def revoke_key(state: StateDep, request: Request, key: KeyPath) -> dict[str, Any]:
    # A path that cannot be a key (a NUL, say, which PostgreSQL refuses in text) is not looked up at all.
    if not re.fullmatch(KEY_PATTERN, key) or not await asyncio.to_thread(_store(state).revoke, key):
        raise HTTPException(404, "没有这个叠加层密钥 (no such overlay key, or already revoked)")
    closed = connections(request.app).revoke(key)
    log.info("overlay key revoked: %s… (%d open page(s) closed)", key[:4], closed)
    return {"key": key, "revoked": True, "closed_streams": closed}


@router.put("/api/overlay/keys/{key}/style", response_model=OverlayKeyView, responses=errors(404, 422))
async def save_style(state: StateDep, request: Request, key: KeyPath, body: OverlayStyle) -> dict[str, Any]:
    record = await asyncio.to_thread(_store(state).set_style, key, body) if re.fullmatch(KEY_PATTERN, key) else None
    if record is None:
        raise HTTPException(404, "没有这个叠加层密钥 (no such overlay key, or revoked)")
    connections(request.app).restyle(key, record["style"])
    return _with_urls(state, record)


def _overlay_page() -> str | None:
    from services.gateway.app import frontend_dist

    dist = frontend_dist()
    page = dist / "overlay.html" if dist else None
    return page.read_text(encoding="utf-8") if page and page.is_file() else None


@router.get(
    "/overlay/{kind}",
    response_class=HTMLResponse,
    responses={
        200: {"content": {"text/html": {}}, "description": "the overlay page (no secret in it)"},
        **errors(401, 403, 422, 503, json_model=False),
    },
)
async def overlay_page(
    state: StateDep,
    kind: Literal["chat", "gifts", "stats", "thanks"],
    key: Annotated[str | None, Query(max_length=64, description="a read-only overlay key")] = None,
) -> HTMLResponse:
    await _require_key(state, key)
    html = await asyncio.to_thread(_overlay_page)
    if html is None:
        raise HTTPException(503, "界面未构建 (the UI is not built: run scripts/build-ui.sh)")
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
    return HTMLResponse(html, headers=headers)


async def _require_key(state: GatewayState, key: str | None) -> dict[str, Any]:
    if not key or not re.fullmatch(KEY_PATTERN, key):
        raise HTTPException(401, "缺少或错误的叠加层密钥 (missing or unknown overlay key)")
    status, record = await asyncio.to_thread(_store(state).get, key)
    if status == KeyState.REVOKED:
        raise HTTPException(403, "叠加层密钥已撤销 (overlay key revoked)")
    if record is None:
        raise HTTPException(401, "缺少或错误的叠加层密钥 (missing or unknown overlay key)")
    return record


@router.websocket("/overlay/ws")
async def overlay_stream(websocket: WebSocket, key: str | None = None) -> None:
    """The room's live events for an overlay page: first ``{"type": "overlay_style", "style"}``, then the events
    an overlay shows (``OVERLAY_EVENT_TYPES``), and a new ``overlay_style`` whenever the key's style is saved."""
    state: GatewayState = websocket.app.state.gw
    await websocket.accept()
    try:
        record = await _require_key(state, key)
    except HTTPException as exc:
        await websocket.close(WS_CLOSE_REVOKED if exc.status_code == 403 else WS_CLOSE_NO_KEY, "overlay key refused")
        return
    if not state.hub.live.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.hub.live.wait(), LIVE_WAIT_S)
        if not state.hub.live.is_set():
            await websocket.close(WS_CLOSE_TOO_SLOW, FEED_INTERRUPTED)
            return
    conn = connections(websocket.app).open(record["key"])
    client = state.hub.register(None)

    async def drain_incoming() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()  # the page sends nothing that is read; this notices a disconnect

    reader = asyncio.create_task(drain_incoming())
    slow = asyncio.create_task(client.too_slow.wait())
    revoked = asyncio.create_task(conn.revoked.wait())
    try:
        await websocket.send_text(orjson.dumps({"type": "overlay_style", "style": record["style"]}).decode())
        while True:
            getter = asyncio.create_task(client.queue.get())
            control = asyncio.create_task(conn.control.get())
            done, _ = await asyncio.wait({getter, control, reader, slow, revoked}, return_when=asyncio.FIRST_COMPLETED)
            for task in (getter, control):
                if task not in done:
                    task.cancel()  # an item it was about to take stays queued (asyncio.Queue.get)
            if revoked in done:
                await websocket.close(WS_CLOSE_REVOKED, "overlay key revoked")
                break
            if slow in done:
                await websocket.close(WS_CLOSE_TOO_SLOW, client.reason)
                break
            if reader in done:
                break
            if control in done:
                await websocket.send_text(orjson.dumps(control.result()).decode())
            if getter in done:
                # Whatever else is queued goes out with it as one JSON array: fewer frames for the page at 1,000/s.
                batch = _take(client.queue, [getter.result()])
                if batch:
                    await websocket.send_text("[" + ",".join(batch) + "]")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        state.hub.unregister(client)
        connections(websocket.app).close(conn)
        reader.cancel()
        slow.cancel()
        revoked.cancel()


def _take(queue: asyncio.Queue[bytes], first: list[bytes], limit: int = 500) -> list[str]:
    """``first`` and what is queued after it (up to ``limit`` messages), keeping only what an overlay shows."""
    payloads = list(first)
    while len(payloads) < limit and not queue.empty():
        payloads.append(queue.get_nowait())
    return [p.decode() for p in payloads if _shown(p)]


def _shown(payload: bytes) -> bool:
    try:
        kind = orjson.loads(payload).get("type")
    except (orjson.JSONDecodeError, AttributeError):
        return False
    return kind in OVERLAY_EVENT_TYPES
