"""Many rooms in one process, each its own ``RoomClient`` with its own HTTP client: one room's failure never
touches another. Sessions are started, stopped and listed by id."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from services.douyin_fetcher.client import ClientOptions, Emit, EmitBatch, RoomClient
from shared.platforms.douyin.errors import DouyinError
from shared.platforms.douyin.resolve import RoomResolver, parse_live_id
from shared.platforms.douyin.signer import Signer, make_signer
from shared.retry import RetryPolicy

__all__ = ["RoomManager", "UnknownSession"]

log = logging.getLogger(__name__)


class UnknownSession(DouyinError, KeyError):
    code = "not_found"


class RoomManager:
    def __init__(
        self,
        emit: Emit,
        *,
        live_url: str,
        www_url: str,
        ws_url: str,
        signer: Signer,
        options: ClientOptions | None = None,
        retry_policy: RetryPolicy | None = None,
        clock: Callable[[], float] | None = None,
        emit_batch: EmitBatch | None = None,
    ) -> None:
        self._emit = emit
        self._emit_batch = emit_batch
        self._live_url = live_url
        self._www_url = www_url
        self._ws_url = ws_url
        self._signer = signer
        self._options = options
        self._policy = retry_policy
        self._clock = clock
        self._clients: dict[str, RoomClient] = {}
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Any, emit: Emit, **kwargs: Any) -> RoomManager:
        """Build from ``shared.config.Settings``. Raises SignerNotConfigured when no signer is set up."""
        signer = kwargs.pop("signer", None) or make_signer(settings.effective_signer)
        return cls(
            emit,
            live_url=settings.douyin_live_url,
            www_url=settings.douyin_www_url,
            ws_url=settings.douyin_ws_url,
            signer=signer,
            **kwargs,
        )

    async def start(
        self,
        live_id: str,
        session_id: str | None = None,
        *,
        options: ClientOptions | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> str:
        """Start watching a room (id or URL). Returns the session id; raises BadRoomInput for bad input.
        ``options`` and ``retry_policy`` override the manager's defaults for this room."""
        live_id = parse_live_id(live_id)
        async with self._lock:
            for client in self._clients.values():
                if client.live_id == live_id and client.is_running:
                    return client.session_id
            session_id = session_id or uuid.uuid4().hex
            kwargs: dict[str, Any] = {}
            if self._clock is not None:
                kwargs["clock"] = self._clock
            client = RoomClient(
                live_id,
                session_id=session_id,
                emit=self._emit,
                resolver=RoomResolver(self._live_url, self._www_url),
                own_resolver=True,
                signer=self._signer,
                ws_url=self._ws_url,
                emit_batch=self._emit_batch,
                retry_policy=retry_policy or self._policy,
                options=options or self._options,
                **kwargs,
            )
            self._clients[session_id] = client
            await client.start()
            log.info("room=%s session %s started", live_id, session_id)
            return session_id

    async def stop(self, session_id: str) -> None:
        client = self._clients.pop(session_id, None)
        if client is None:
            raise UnknownSession(f"没有这个会话 (no such session): {session_id}")
        await client.stop()

    def get(self, session_id: str) -> RoomClient:
        try:
            return self._clients[session_id]
        except KeyError:
            raise UnknownSession(f"没有这个会话 (no such session): {session_id}") from None

    def status(self) -> list[dict[str, Any]]:
        return [client.status() for client in self._clients.values()]

    async def stop_all(self) -> None:
        clients = list(self._clients.values())
        self._clients.clear()
        await asyncio.gather(*(c.stop() for c in clients), return_exceptions=True)
