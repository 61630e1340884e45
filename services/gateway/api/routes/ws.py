"""``/ws``: the live event stream (token checked by the guard middleware, optional ``session_id`` filter)."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from services.gateway.live import WS_CLOSE_TOO_SLOW
from services.gateway.state import GatewayState

router = APIRouter(tags=["live"])


@router.websocket("/ws")
async def live_stream(websocket: WebSocket, session_id: str | None = None) -> None:
    state: GatewayState = websocket.app.state.gw
    await websocket.accept()
    client = state.hub.register(session_id)

    async def drain_incoming() -> None:
        # The client sends nothing we need, but reading is how a disconnect is noticed.
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    reader = asyncio.create_task(drain_incoming())
    slow = asyncio.create_task(client.too_slow.wait())
    try:
        while True:
            # Send whatever is queued without waiting; only an empty queue costs a wait on three things.
            while not client.queue.empty() and not slow.done():
                await websocket.send_text(client.queue.get_nowait().decode())
            getter = asyncio.create_task(client.queue.get())
            done, _ = await asyncio.wait({getter, reader, slow}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                if slow in done:
                    await websocket.close(WS_CLOSE_TOO_SLOW, "client too slow")
                break
            await websocket.send_text(getter.result().decode())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        state.hub.unregister(client)
        reader.cancel()
        slow.cancel()
