"""Many rooms in one process, each its own ``RoomClient`` with its own HTTP client: one room's failure never
touches another. Sessions are started, stopped and listed by id.

``on_progress(session_id, resume)`` hears each room's last delivered cursor and ``on_finished(client)`` each room
that ended by itself or was stopped, so the process can keep the durable assignment of every room in step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from services.douyin_fetcher.browser_room import AccountCookies
from services.douyin_fetcher.client import TRANSPORTS, AccountSource, ClientOptions, Emit, EmitBatch, Resume, RoomClient
from services.douyin_fetcher.resolver import AccountResolver
from services.douyin_fetcher.site_page import SitePage
from shared.browser import BrowserOwner
from shared.platforms.douyin.errors import BadRoomInput, DouyinError
from shared.platforms.douyin.resolve import parse_live_id
from shared.platforms.douyin.signer import Signer, make_signer
from shared.retry import RetryPolicy

__all__ = ["OnFinished", "RoomManager", "RoomProgress", "UnknownSession"]

log = logging.getLogger(__name__)

MAX_FINISHED_ROOMS = 100

RoomProgress = Callable[[str, Resume], Awaitable[None]]
OnFinished = Callable[[RoomClient], Awaitable[None]]


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
        on_progress: RoomProgress | None = None,
        on_finished: OnFinished | None = None,
        transport: str = "direct",
        browser: BrowserOwner | None = None,
        site: SitePage | None = None,
        account: AccountSource | None = None,
    ) -> None:
        self._emit = emit
        # Real rooms: the default transport, the worker's browser, the signing page and the login (client.py).
        self.transport = transport
        self.browser = browser
        self.site = site
        self._account = account
        self._prepare_page = AccountCookies(account, live_url) if account is not None else None
        self._on_progress = on_progress
        self._on_finished = on_finished
        self._watchers: set[asyncio.Task[None]] = set()
        self._emit_batch = emit_batch
        self._live_url = live_url
        self._www_url = www_url
        self._ws_url = ws_url
        self._signer = signer
        self._options = options
        self._policy = retry_policy
        self._clock = clock
        self._clients: dict[str, RoomClient] = {}
        # Rooms that ended by themselves (live over, room gone, gave up): their last status only, so the client,
        # its sockets and caches are freed while the user can still see how the room ended. Oldest dropped first.
        self._finished: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Any, emit: Emit, **kwargs: Any) -> RoomManager:
        """Build from ``shared.config.Settings``. Raises SignerNotConfigured when no signer is set up."""
        browser = kwargs.get("browser")
        signer = kwargs.pop("signer", None)
        if signer is None and settings.page_signing and browser is not None:
            # No sign.js: the live site's own page signs, and its fetch carries web/enter (site_page.py).
            account = kwargs.get("account")
            prepare = AccountCookies(account, settings.douyin_live_url) if account is not None else None
            kwargs["site"] = signer = SitePage(browser, settings.douyin_live_url, prepare=prepare)
        signer = signer or make_signer(settings.effective_signer)
        kwargs.setdefault("transport", settings.douyin_transport)
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
        resume: Resume | None = None,
        transport: str | None = None,
    ) -> str:
        """Start watching a room (id or URL). Returns the session id; raises BadRoomInput for bad input.
        ``options`` and ``retry_policy`` override the manager's defaults for this room; ``resume`` continues a
        session a previous process was watching, from its last delivered cursor."""
        live_id = parse_live_id(live_id)
        transport = transport or self.transport
        if transport not in TRANSPORTS:
            raise BadRoomInput(f"未知的连接方式 (unknown transport) {transport!r}: auto、direct 或 browser")
        async with self._lock:
            for client in self._clients.values():
                if client.live_id == live_id and client.is_running:
                    return client.session_id
            session_id = session_id or uuid.uuid4().hex
            kwargs: dict[str, Any] = {}
            if self._clock is not None:
                kwargs["clock"] = self._clock
            if self._on_progress is not None:
                kwargs["on_progress"] = self._progress_hook(session_id)
            client = RoomClient(
                live_id,
                session_id=session_id,
                emit=self._emit,
                resolver=AccountResolver(self._live_url, self._www_url, site=self.site),
                own_resolver=True,
                signer=self._signer,
                ws_url=self._ws_url,
                emit_batch=self._emit_batch,
                retry_policy=retry_policy or self._policy,
                options=options or self._options,
                resume=resume,
                transport=transport,
                account=self._account,
                browser=self.browser,
                live_url=self._live_url,
                prepare_page=self._prepare_page,
                transport_reason=self._why(transport),
                **kwargs,
            )
            self._clients[session_id] = client
            await client.start()
            watcher = asyncio.create_task(self._watch(client), name=f"douyin-watch-{session_id[:12]}")
            self._watchers.add(watcher)
            watcher.add_done_callback(self._watchers.discard)
            log.info("room=%s session %s %s", live_id, session_id, "resumed" if resume else "started")
            return session_id

    def _why(self, transport: str) -> str:
        if transport == "auto":
            signer = "页面签名" if isinstance(self._signer, SitePage) else f"签名器 {self._signer.name}"
            return f"自动：先直连（{signer}），被拒绝时改用浏览器 (auto: direct first)"
        return {"direct": "指定直连 (direct chosen)", "browser": "指定浏览器 (browser chosen)"}[transport]

    def account_changed(self) -> None:
        """After a login, logout or import: every running room reconnects with the account as it is now."""
        for client in self._clients.values():
            client.account_changed()

    def _progress_hook(self, session_id: str) -> Callable[[Resume], Awaitable[None]]:
        hook = self._on_progress
        assert hook is not None

        async def progress(resume: Resume) -> None:
            await hook(session_id, resume)

        return progress

    async def _watch(self, client: RoomClient) -> None:
        with contextlib.suppress(Exception):  # the client logged its own crash; the hook still hears of its end
            await client.join()
        if self._clients.get(client.session_id) is client:  # ended by itself, not stopped by the user
            del self._clients[client.session_id]
            self._finished[client.session_id] = client.status()
            while len(self._finished) > MAX_FINISHED_ROOMS:
                self._finished.popitem(last=False)
        if self._on_finished is not None:
            try:
                await self._on_finished(client)
            except Exception:
                log.exception("room=%s finish hook failed", client.live_id)

    async def stop(self, session_id: str) -> None:
        client = self._clients.pop(session_id, None)
        if client is None and self._finished.pop(session_id, None) is not None:
            return  # it had ended already: stopping is idempotent
        if client is None:
            raise UnknownSession(f"没有这个会话 (no such session): {session_id}")
        await client.stop()

    async def drop(self, session_id: str, *, reason: str = "") -> bool:
        """Let a room go without ending its session (another worker took it over, or it moves there): the client
        ends ``suspended`` (with ``reason``) and its assignment stays. False when no such room runs here."""
        client = self._clients.pop(session_id, None)
        if client is None:
            return False
        await client.suspend(reason)
        return True

    def get(self, session_id: str) -> RoomClient:
        try:
            return self._clients[session_id]
        except KeyError:
            raise UnknownSession(f"没有这个会话 (no such session): {session_id}") from None

    def status(self) -> list[dict[str, Any]]:
        return [*self._finished.values(), *(client.status() for client in self._clients.values())]

    @property
    def client_count(self) -> int:
        """Room clients held in memory (finished rooms are not)."""
        return len(self._clients)

    async def stop_all(self, *, suspend: bool = False) -> None:
        """Stop every room; with ``suspend`` (the worker is going down) they end ``suspended``, to be resumed."""
        clients = list(self._clients.values())
        self._clients.clear()
        await asyncio.gather(*(c.suspend() if suspend else c.stop() for c in clients), return_exceptions=True)
        if self._watchers:
            await asyncio.gather(*self._watchers, return_exceptions=True)
        if self.site is not None:
            await self.site.close()
