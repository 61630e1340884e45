"""``/ws``: the live event stream (token checked by the guard middleware, optional ``session_id`` filter).

Closed with 1013 (try again later) when the client falls behind, or when the gateway's live subscription is lost
or not up yet: a client that reconnects after a 1013 may have missed events and reads them from the REST API."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from services.gateway.live import FEED_INTERRUPTED, WS_CLOSE_TOO_SLOW
from services.gateway.state import GatewayState

router = APIRouter(tags=["live"])

# How long a new client waits for the live subscription (the gateway just started, or Redis is back) before 1013.
LIVE_WAIT_S = 5.0


@router.websocket("/ws")
async def live_stream(websocket: WebSocket, session_id: str | None = None) -> None:
    state: GatewayState = websocket.app.state.gw
    await websocket.accept()
    if not state.hub.live.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.hub.live.wait(), LIVE_WAIT_S)
        if not state.hub.live.is_set():
            await websocket.close(WS_CLOSE_TOO_SLOW, FEED_INTERRUPTED)
            return
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
                    if client.reason == FEED_INTERRUPTED:  # what came before the loss still goes out, then 1013
                        while not client.queue.empty():
                            await websocket.send_text(client.queue.get_nowait().decode())
                    await websocket.close(WS_CLOSE_TOO_SLOW, client.reason)
                break
            await websocket.send_text(getter.result().decode())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        state.hub.unregister(client)
        reader.cancel()
        slow.cancel()
