"""The live-room client: one Douyin room, one WebSocket, reconnecting for hours.

Lifecycle ``start() / stop() / join() / is_running`` with an explicit ``ClientState``, whose legal moves are one
table (``ROOM_MOVES``, a ``shared/states.py`` table: any other move is a bug and raises). The receive loop only
parses the frame envelope and ACKs at once; message decoding and ``emit`` run in a worker task so a slow consumer
never delays an ACK. Binary ``hb`` heartbeats keep the socket alive; a watchdog reconnects when no message frame
arrived for ``stall_timeout``. Before each reconnect the room is resolved again (live status, room id, visitor id),
the URL re-signed and the last cursor/internal_ext reused. Control status 3/4 ends the client; 1/2 are reported.

A client can also resume a room another process was watching (``resume``: the cursor and internal_ext of the last
frame whose events reached the bus), so the push server replays the gap; it reports ``resuming`` until connected.
``on_progress`` hears that cursor after a batch of events was handed to ``emit`` (every ``PROGRESS_EVERY_S``, after
each batch with gifts, and the last one when the client stops), with the gift tracker's snapshot as it stood after
those events (docs/protocol/douyin.md §5): a resumed client restores it, so a combo cut by the crash is not counted
again from zero. ``suspend()`` is ``stop()`` for a worker going down: the room ends ``suspended``, not
``stopped``, so its session stays open for the next start.

Failures, sorted as the architecture asks: transient (network, 1006, stall, HTTP hiccups) → retry with the policy;
needs-refresh (empty answer, challenge page, DEVICE_BLOCKED) → drop cookies, re-resolve, long backoff for blocks;
fatal (bad input, room not found, signer not usable, live ended) → stop and report.

Transports (contracts: Douyin account and transports): ``direct`` is our own WebSocket; ``browser`` reads the
frames the room's own page receives (``browser_room.py``); ``auto`` starts direct and moves the room to the browser
when the platform refuses it (DEVICE_BLOCKED, repeated handshake failures, a signer error). Either way every frame
goes through the same decoder, dedupe and gift tracker, so a room that changes transport counts nothing twice.
The account (``account()``, re-read at each connect) sends its cookies with ``web/enter`` and the handshake; a
socket that closes under a login is followed by a check of the account, and an expired login becomes the room
state ``login_expired`` (the room goes on as a guest until the next login).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from services.douyin_fetcher.browser_room import PageFault, PageOptions, RoomPage
from services.douyin_fetcher.resolver import VerificationRequired
from shared.browser import BrowserNotFound, BrowserOwner, BrowserStartError
from shared.commands.douyin import RoomConfig
from shared.events import new_msg_id, now_ms
from shared.platforms.douyin.account import DouyinAccount, fetch_account_nickname
from shared.platforms.douyin.constants import USER_AGENT
from shared.platforms.douyin.errors import (
    BadRoomInput,
    ChallengePage,
    DeviceBlocked,
    EmptyAnswer,
    FrameError,
    RiskControlPage,
    RoomNotFound,
    SignatureError,
    UpstreamError,
)
from shared.platforms.douyin.frames import HEARTBEAT, FrameKind, InboundFrame, decode_inbound
from shared.platforms.douyin.messages import MessageDecoder
from shared.platforms.douyin.proto import douyin_pb2 as pb
from shared.platforms.douyin.resolve import LiveStatus, Room, RoomResolver, parse_live_id
from shared.platforms.douyin.signer import Signer
from shared.platforms.douyin.wsurl import signed_ws_url
from shared.retry import RetryPolicy, exponential
from shared.states import IllegalTransition, Transitions

__all__ = ["ROOM_MOVES", "ClientOptions", "ClientState", "Emit", "EmitBatch", "OnProgress", "Resume", "RoomClient"]

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], Awaitable[None]]
# Takes every event of the frames waiting at once: one bus round trip for many events, not one each.
EmitBatch = Callable[[list[dict[str, Any]]], Awaitable[None]]
# Told the cursor of the last frame whose events were all handed to emit: where a restarted worker resumes.
OnProgress = Callable[["Resume"], Awaitable[None]]
SERVICE = "douyin_fetcher"


class ClientState(StrEnum):
    IDLE = "idle"
    RESUMING = "resuming"  # adopted after a worker restart; the status says so until connected
    RESOLVING = "resolving"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    BACKOFF = "backoff"
    STOPPING = "stopping"
    STOPPED = "stopped"
    ENDED = "ended"
    FAILED = "failed"
    SUSPENDED = "suspended"  # the worker went down; the room stays assigned and the next start resumes it
    # Waiting to reconnect after a named fault (each with a Chinese reason in the status and the service event).
    VERIFICATION = "verification"  # the platform showed its verification (captcha) page
    LOGIN_EXPIRED = "login_expired"  # the account's session is no longer valid; going on as a guest
    BROWSER_CRASHED = "browser_crashed"
    PAGE_CRASHED = "page_crashed"
    PAGE_IDLE = "page_idle"  # the page paused the live for lack of user activity
    SOCKET_SILENT = "socket_silent"  # the page's push socket delivered nothing for too long


_FINAL = (ClientState.STOPPED, ClientState.ENDED, ClientState.FAILED, ClientState.SUSPENDED)
_WAITING = (
    ClientState.BACKOFF,
    *(
        s
        for s in ClientState
        if s.value in {"verification", "login_expired", "browser_crashed", "page_crashed", "page_idle", "socket_silent"}
    ),
)
# The room's legal moves (shared/states.py); any other is a bug: logged and raised as IllegalTransition. A room only
# waits (backoff or a named fault) after a resolution or a connection failed, and every wait ends in a new resolution;
# a refused direct connection resolves again at once (to the browser); STOPPING comes from any live state.
ROOM_MOVES: Transitions[ClientState] = Transitions(
    {
        ClientState.IDLE: {ClientState.RESUMING, ClientState.RESOLVING, ClientState.STOPPING},
        ClientState.RESUMING: {ClientState.RESOLVING, ClientState.STOPPING},
        ClientState.RESOLVING: {ClientState.CONNECTING, *_WAITING, ClientState.STOPPING},
        ClientState.CONNECTING: {ClientState.CONNECTED, ClientState.RESOLVING, *_WAITING, ClientState.STOPPING},
        ClientState.CONNECTED: {*_WAITING, ClientState.STOPPING},
        **{waiting: {ClientState.RESOLVING, ClientState.STOPPING} for waiting in _WAITING},
        ClientState.STOPPING: set(_FINAL),
        **{final: set() for final in _FINAL},
    }
)
Transport = str  # "direct" or "browser" for a running room; a room may be asked for "auto"
TRANSPORTS = ("auto", "direct", "browser")
GUEST_REASON = "未登录：礼物与昵称不可见"
EXPIRED_REASON = "登录已失效：请重新登录抖音账号（现以游客身份继续，礼物与昵称不可见）"
# Handshakes refused in a row before an auto room stops trying its own socket.
HANDSHAKE_FAILURES_TO_BROWSER = 3
# How often a room reports its cursor (a write to the shared store) between batches with gifts: a crash replays at
# most this much more, which the persister stores once.
PROGRESS_EVERY_S = 1.0
AccountSource = Callable[[], "DouyinAccount | None"]


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a room's event stream was left: the push server's cursor and internal_ext of the last frame, and the
    gift tracker's state after that frame's events (``GiftTracker.snapshot()``; empty in the receive loop)."""

    cursor: str = ""
    internal_ext: str = ""
    gifts: Sequence[Sequence[Any]] = ()


# One set of defaults: a room's tuning a caller may send (``RoomConfig``, the start_room command's model) is the
# source; the client's options take theirs from it (tests/unit/douyin/test_option_defaults.py).
_ROOM = RoomConfig()
RETRY_JITTER = 0.3


def room_retry_policy(config: RoomConfig = _ROOM) -> RetryPolicy:
    """The reconnect backoff of a room with this ``config`` (the defaults' when none is given)."""
    return exponential(base=config.retry_base, cap=config.retry_cap, jitter=RETRY_JITTER)


@dataclass(slots=True)
class ClientOptions:
    heartbeat_interval: float = _ROOM.heartbeat_interval
    stall_timeout: float = _ROOM.stall_timeout
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    device_blocked_backoff: float = _ROOM.device_blocked_backoff
    ended_confirmations: int = 2  # consecutive "ended" answers before giving up on a reconnecting room
    user_agent: str = USER_AGENT
    max_frame_bytes: int = 8 * 1024 * 1024
    page: PageOptions = field(default_factory=PageOptions)


@dataclass(slots=True)
class ClientStats:
    frames: int = 0
    bad_frames: int = 0
    acks_sent: int = 0
    heartbeats_sent: int = 0
    heartbeat_replies: int = 0
    connects: int = 0
    reconnects: int = 0
    emit_errors: int = 0
    last_error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class _Stalled(Exception):
    pass


class _ServerClosed(Exception):
    pass


class _Refused(Exception):
    """The platform refused our own socket (auto rooms move to the browser on this)."""


class _EndRequested(Exception):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class RoomClient:
    """Watches one room. ``emit`` receives every live event dict and the client's ``service``/``control`` events."""

    def __init__(
        self,
        live_id: str,
        *,
        session_id: str,
        emit: Emit,
        resolver: RoomResolver,
        signer: Signer,
        ws_url: str,
        retry_policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        options: ClientOptions | None = None,
        own_resolver: bool = False,
        emit_batch: EmitBatch | None = None,
        resume: Resume | None = None,
        on_progress: OnProgress | None = None,
        transport: Transport = "direct",
        account: AccountSource | None = None,
        browser: BrowserOwner | None = None,
        live_url: str = "https://live.douyin.com",
        prepare_page: Callable[[Any], Awaitable[None]] | None = None,
        transport_reason: str = "",
    ) -> None:
        live_id = parse_live_id(live_id)  # raises BadRoomInput before anything starts
        if transport not in TRANSPORTS:
            raise BadRoomInput(f"未知的连接方式 (unknown transport) {transport!r}: auto、direct 或 browser")
        if transport == "browser" and browser is None:
            raise BadRoomInput("浏览器连接不可用 (no browser for the browser transport)")
        self.live_id = live_id
        self.session_id = session_id
        self.room_id = ""
        self.title = ""
        self.anchor = ""
        self._emit = emit
        self._emit_batch = emit_batch
        self._resolver = resolver
        self._own_resolver = own_resolver
        self._signer = signer
        self._ws_url = ws_url
        self._policy = retry_policy or room_retry_policy()
        self._clock = clock
        self.options = options or ClientOptions()
        self.decoder = MessageDecoder(session_id, live_id, clock=clock)
        self.stats = ClientStats()
        self._state = ClientState.IDLE
        self._task: asyncio.Task[None] | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[tuple[Sequence[pb.Message], int, Resume] | None] = asyncio.Queue()
        self._stop_event = asyncio.Event()
        self._wake = asyncio.Event()  # set by account_changed(): cut a backoff short
        self._ws: ClientConnection | None = None
        self._cursor = resume.cursor if resume else ""
        self._internal_ext = resume.internal_ext if resume else ""
        self.resumed = resume is not None
        if resume is not None and resume.gifts:
            restored = self.decoder.gifts.restore(resume.gifts)
            log.info("room=%s %d gift group(s) restored from the last progress", live_id, restored)
        self._resuming = self.resumed
        self._suspend = False
        self._suspend_reason = ""
        self._on_progress = on_progress
        self._ttwid = ""
        self._last_msg = 0.0
        self._healthy = False
        self._end_status = ""
        self._abort_reason = ""
        self._log = f"room={live_id}"
        self.requested_transport = transport
        self.transport = "browser" if transport == "browser" else "direct"
        self.transport_reason = (
            transport_reason
            or {
                "auto": "自动：直连（被拒绝时改用浏览器）(auto: direct first)",
                "direct": "指定直连 (direct chosen)",
                "browser": "指定浏览器 (browser chosen)",
            }[transport]
        )
        self._account_source = account
        self._account: DouyinAccount | None = None
        self._login_expired = False
        self._browser = browser
        self._live_url = live_url.rstrip("/")
        self._prepare_page = prepare_page
        self._page: RoomPage | None = None
        self._handshake_failures = 0
        self._fault_state: ClientState | None = None

    # ------------------------------------------------------------ lifecycle

    @property
    def state(self) -> ClientState:
        return self._state

    @property
    def is_running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError(f"{self._log} client already started")
        # Nothing awaited here: the room manager starts rooms one at a time, and a worker adopting hundreds of rooms
        # on a busy loop waited a state event's round trip per room (28 rooms a second); _run announces it instead.
        self._worker_task = asyncio.create_task(self._worker(), name=f"douyin-worker-{self.live_id}")
        self._task = asyncio.create_task(self._run(), name=f"douyin-client-{self.live_id}")
        self._task.add_done_callback(self._on_done)

    async def stop(self) -> None:
        """Stop and wait: the socket closes, queued messages are still decoded and emitted."""
        if self._task is None:
            return
        if not self._task.done():
            self._stop_event.set()
            if self._ws is not None or self._page is not None:
                self._abort("stopped")
        await self.join()

    async def suspend(self, reason: str = "") -> None:
        """Stop because the worker is going down (or the room moves to another worker, ``reason`` says so): the room
        ends ``suspended`` and is resumed by the next start."""
        self._suspend = True
        self._suspend_reason = reason
        await self.stop()

    async def join(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    @property
    def resuming(self) -> bool:
        """Adopted after a restart and not connected yet."""
        return self._resuming and self._state not in _FINAL

    def status(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "live_id": self.live_id,
            "room_id": self.room_id,
            "title": self.title,
            "anchor": self.anchor,
            # 恢复中 (resuming) from adoption until connected, whatever step of resolving or backoff it is in.
            "state": ClientState.RESUMING.value if self.resuming else self._state.value,
            "phase": self._state.value,
            "resumed": self.resumed,
            # Why the room is not connected (backoff, a named fault, failed), in the words of the last error.
            "error": self.stats.last_error if self._state in (*_WAITING, ClientState.FAILED) else "",
            "transport": self.transport,
            "transport_reason": self.transport_reason,
            "logged_in": self.logged_in,
            "reason": self.guest_reason,
            "stats": {
                "frames": self.stats.frames,
                "bad_frames": self.stats.bad_frames,
                "acks_sent": self.stats.acks_sent,
                "heartbeats_sent": self.stats.heartbeats_sent,
                "connects": self.stats.connects,
                "reconnects": self.stats.reconnects,
                "last_error": self.stats.last_error,
                **self.decoder.stats.as_dict(),
            },
        }

    def _on_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s client crashed: %r", self._log, task.exception())

    # ------------------------------------------------------------ events

    async def _send_event(self, event: dict[str, Any]) -> None:
        try:
            await self._emit(event)
        except Exception:  # a failing consumer must not kill the room; count it and go on
            self.stats.emit_errors += 1
            log.exception("%s emit failed for a %s event", self._log, event.get("type"))

    def _event(self, etype: str, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": etype,
            "session_id": self.session_id,
            "live_id": self.live_id,
            "msg_id": new_msg_id(),
            "ts": now_ms(),
            "data": data,
        }

    async def _set_state(self, state: ClientState, reason: str = "") -> None:
        if state is self._state:
            return
        try:
            ROOM_MOVES.move(self._log, self._state, state)
        except IllegalTransition:
            log.exception("%s illegal state change refused", self._log)
            raise
        if state is ClientState.CONNECTED:
            self._resuming = False
        log.info("%s state %s → %s%s", self._log, self._state.value, state.value, f" ({reason})" if reason else "")
        self._state = state
        data = {"service": SERVICE, "state": state.value, "room_id": self.room_id}
        if reason:
            data["reason"] = reason
        await self._send_event(self._event("service", data))

    # ------------------------------------------------------------ main loop

    async def _run(self) -> None:
        attempt = total = 0
        ended_answers = 0
        final = ClientState.STOPPED
        reason = ""
        try:
            if self._resuming:
                where = f"cursor {self._cursor}" if self._cursor else "no cursor"
                await self._set_state(ClientState.RESUMING, f"接管重启前的直播间 (adopted after a restart; {where})")
            while not self._stop_event.is_set():
                delay: float | None = None
                waiting = ClientState.BACKOFF
                try:
                    await self._set_state(ClientState.RESOLVING)
                    self._load_account()
                    room = await self._resolver.resolve(self.live_id)
                    if room.status is LiveStatus.ENDED:
                        ended_answers += 1
                        if self.stats.connects == 0 or ended_answers >= self.options.ended_confirmations:
                            await self._send_event(self._event("control", {"status": "ended", "source": "http"}))
                            final, reason = ClientState.ENDED, "直播已结束 (live ended)"
                            return
                        raise UpstreamError("web/enter says ended; confirming before giving up")
                    ended_answers = 0
                    if self._stop_event.is_set():
                        break
                    try:
                        await self._connect(room)
                    finally:
                        if self._healthy:  # messages flowed: earlier failures are forgiven, even if this one stalled
                            attempt = 0
                    if self._end_status:
                        final, reason = ClientState.ENDED, self._end_status
                        return
                    raise _ServerClosed(self._abort_reason or "connection closed")
                except (BadRoomInput, RoomNotFound, SignatureError) as exc:
                    final, reason = ClientState.FAILED, f"{exc.code}: {exc}"
                    self.stats.last_error = reason
                    return
                except BrowserNotFound as exc:
                    final, reason = ClientState.FAILED, f"browser_not_found: {exc}"
                    self.stats.last_error = reason
                    return
                except _Refused as exc:
                    await self._move_to_browser(str(exc))
                    attempt = 0
                    continue
                except PageFault as exc:
                    waiting = ClientState(exc.state)
                    delay = exc.min_delay or None
                    reason = f"{exc.state}: {exc.reason}"
                except VerificationRequired as exc:
                    self._resolver.invalidate()
                    waiting, delay = ClientState.VERIFICATION, self.options.page.verification_backoff
                    reason = f"verification: {exc}"
                except DeviceBlocked as exc:
                    self._resolver.invalidate()
                    delay = self.options.device_blocked_backoff
                    reason = f"device_blocked: {exc}"
                except (EmptyAnswer, ChallengePage, RiskControlPage) as exc:
                    self._resolver.invalidate()
                    reason = f"{exc.code}: {exc}"
                except (
                    UpstreamError,
                    _Stalled,
                    _ServerClosed,
                    ConnectionClosed,
                    InvalidHandshake,
                    BrowserStartError,
                    OSError,
                    TimeoutError,
                    FrameError,
                ) as exc:
                    reason = f"{type(exc).__name__}: {exc}"
                    if not self._wake.is_set() and await self._login_gone():
                        waiting, reason = ClientState.LOGIN_EXPIRED, EXPIRED_REASON
                if self._stop_event.is_set():
                    break
                self.stats.last_error = reason
                attempt += 1
                total += 1
                policy_delay = self._policy(attempt, total)
                delay = policy_delay if delay is None else max(delay, policy_delay)
                if self._wake.is_set():  # the account changed: reconnect with it now
                    delay, reason = 0.0, "账号已变更，重新连接 (account changed)"
                self._wake.clear()
                self.stats.reconnects += 1
                await self._set_state(waiting, f"{reason}; retry in {delay:.1f}s")
                await self._pause(delay)
        finally:
            await self._finish(final, reason)

    async def _finish(self, final: ClientState, reason: str) -> None:
        await self._set_state(ClientState.STOPPING, reason)
        await self._queue.put(None)
        if self._worker_task is not None:
            await self._worker_task  # decode and emit everything already received
        if self._end_status and final is not ClientState.FAILED:
            final, reason = ClientState.ENDED, f"control: {self._end_status}"
        elif self._suspend and final is ClientState.STOPPED:
            final = ClientState.SUSPENDED
            reason = self._suspend_reason or "服务停止，重启后恢复 (worker stopping; resumed on its next start)"
        if self._own_resolver:
            await self._resolver.aclose()
        await self._set_state(final, reason)

    # ------------------------------------------------------------ one connection

    async def _connect(self, room: Room) -> None:
        self.room_id = room.room_id
        self.title = room.title or self.title
        self.anchor = (room.anchor.nickname if room.anchor else "") or self.anchor
        self.decoder.room_id = int(room.room_id) if room.room_id.isdigit() else 0
        if self.transport == "browser":
            await self._connect_page()
        else:
            await self._connect_direct(room)

    async def _connect_direct(self, room: Room) -> None:
        self._ttwid = room.ttwid
        try:
            url = await signed_ws_url(
                self._ws_url,
                self._signer,
                room.room_id,
                room.user_unique_id,
                cursor=self._cursor,
                internal_ext=self._internal_ext,
                user_agent=self.options.user_agent,
            )
        except SignatureError as exc:
            if self._can_fall_back:
                raise _Refused(f"签名失败，改用浏览器 (signer failed: {exc})") from exc
            raise
        await self._set_state(ClientState.CONNECTING)
        headers = {
            "User-Agent": self.options.user_agent,
            "Origin": "https://live.douyin.com",
            "Referer": f"https://live.douyin.com/{self.live_id}",
        }
        cookies = {"ttwid": room.ttwid} if room.ttwid else {}
        if self._account is not None and self.logged_in:
            cookies.update(self._account.cookies)  # the login: gifts and real names come only with it
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        try:
            ws = await connect(
                url,
                additional_headers=headers,
                user_agent_header=None,
                open_timeout=self.options.open_timeout,
                close_timeout=self.options.close_timeout,
                ping_interval=None,  # the binary hb frame is the keepalive Douyin expects
                max_size=self.options.max_frame_bytes,
                compression=None,
            )
        except InvalidStatus as exc:
            response = exc.response
            self._handshake_failures += 1
            if response.headers.get("handshake-status") == "415" or "DEVICE_BLOCKED" in str(response.headers):
                if self._can_fall_back:
                    raise _Refused(f"直连被拒绝（DEVICE_BLOCKED），改用浏览器 (HTTP {response.status_code})") from exc
                hint = " (未配置签名器？ configure TIMAO_DOUYIN_SIGNER)" if self._signer.name == "none" else ""
                raise DeviceBlocked(f"handshake refused: HTTP {response.status_code} DEVICE_BLOCKED{hint}") from exc
            self._refused_too_often(exc)
            raise
        except InvalidHandshake as exc:
            self._handshake_failures += 1
            self._refused_too_often(exc)
            raise
        self._handshake_failures = 0
        self._ws = ws
        if self._stop_event.is_set():
            self._abort("stopped")
        self._healthy = False
        self._abort_reason = ""
        self._last_msg = self._clock()
        self.stats.connects += 1
        await self._set_state(ClientState.CONNECTED)
        helpers = [
            asyncio.create_task(self._heartbeat(ws), name=f"douyin-hb-{self.live_id}"),
            asyncio.create_task(self._watchdog(ws), name=f"douyin-watchdog-{self.live_id}"),
        ]
        try:
            await self._receive(ws)
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            self._ws = None
            transport = ws.transport
            if transport is not None:
                transport.abort()  # Douyin ignores close frames; do not wait for one
        if self._abort_reason == "stall":
            raise _Stalled(f"no message for {self.options.stall_timeout:g}s")

    async def _receive(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in ws:
                if not isinstance(data, bytes):
                    continue
                inbound = self._decode_frame(data)
                if inbound is None:
                    continue
                if inbound.ack is not None:  # ACK first, before anything else happens to the frame
                    await ws.send(inbound.ack)
                    self.stats.acks_sent += 1
                if self._accept(inbound):
                    return

    def _decode_frame(self, data: bytes) -> InboundFrame | None:
        self.stats.frames += 1
        try:
            return decode_inbound(data)
        except FrameError as exc:
            self.stats.bad_frames += 1
            log.warning("%s unreadable frame skipped: %s", self._log, exc)
            return None

    def _accept(self, inbound: InboundFrame) -> bool:
        """Queue a frame's messages for the decoder, from either transport. True: the server closed the stream."""
        if inbound.kind == FrameKind.MSG and inbound.response is not None:
            response = inbound.response
            self._last_msg = self._clock()
            self._healthy = True
            if response.cursor:
                self._cursor = response.cursor
            if response.internal_ext:
                self._internal_ext = response.internal_ext
            self._queue.put_nowait((response.messages, now_ms(), Resume(self._cursor, self._internal_ext)))
        elif inbound.kind == FrameKind.HEARTBEAT:
            self.stats.heartbeat_replies += 1
        elif inbound.kind == FrameKind.CLOSE:
            self._abort_reason = "server sent close"
            return True
        return False

    async def _heartbeat(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.send(HEARTBEAT)
                self.stats.heartbeats_sent += 1
                await asyncio.sleep(self.options.heartbeat_interval)

    async def _watchdog(self, ws: ClientConnection) -> None:
        period = max(0.05, min(1.0, self.options.stall_timeout / 4))
        while True:
            await asyncio.sleep(period)
            if self._clock() - self._last_msg > self.options.stall_timeout:
                log.warning("%s no message for %.0fs: reconnecting", self._log, self.options.stall_timeout)
                self._abort("stall")
                return

    def _abort(self, reason: str) -> None:
        self._abort_reason = reason
        ws = self._ws
        if ws is not None and ws.transport is not None:
            ws.transport.abort()
        if self._page is not None:
            self._page.abort(reason)

    # ------------------------------------------------------------ the browser transport

    async def _connect_page(self) -> None:
        assert self._browser is not None
        # Frames the page receives are acked by the page itself; we only decode them.

        def on_frame(data: bytes) -> None:
            inbound = self._decode_frame(data)
            if inbound is not None:
                self._accept(inbound)  # a close frame is the page's to act on: it reconnects itself

        async def on_open() -> None:
            self._healthy = False
            self._abort_reason = ""
            self._last_msg = self._clock()
            self.stats.connects += 1
            await self._set_state(ClientState.CONNECTED)

        options = PageOptions(
            open_timeout=self.options.page.open_timeout,
            keepalive_interval=self.options.page.keepalive_interval,
            silence_timeout=self.options.stall_timeout,
            verification_backoff=self.options.page.verification_backoff,
            tick=self.options.page.tick,
        )

        async def on_closed() -> PageFault | None:
            # The page reopens its socket itself; a login that died with it is ours to notice.
            if await self._login_gone():
                return PageFault(ClientState.LOGIN_EXPIRED.value, EXPIRED_REASON)
            return None

        page = RoomPage(
            self._browser,
            f"{self._live_url}/{self.live_id}",
            on_frame=on_frame,
            on_open=on_open,
            on_closed=on_closed,
            options=options,
            prepare=self._prepare_page,
            log_prefix=self._log,
        )
        await self._set_state(ClientState.CONNECTING)
        self._page = page
        try:
            if self._stop_event.is_set():
                return
            await page.run()
        finally:
            self._page = None
            self.stats.extra.update(page.stats())
        self._abort_reason = self._abort_reason or "page socket closed"

    # ------------------------------------------------------------ transport choice and the account

    @property
    def _can_fall_back(self) -> bool:
        return self.requested_transport == "auto" and self.transport == "direct" and self._browser is not None

    def _refused_too_often(self, exc: Exception) -> None:
        if self._can_fall_back and self._handshake_failures >= HANDSHAKE_FAILURES_TO_BROWSER:
            raise _Refused(
                f"直连握手连续失败 {self._handshake_failures} 次，改用浏览器 (handshake refused: {exc})"
            ) from exc

    async def _move_to_browser(self, why: str) -> None:
        log.warning("%s moves to the browser transport: %s", self._log, why)
        self.transport = "browser"
        self.transport_reason = why
        self._handshake_failures = 0
        self._resolver.invalidate()
        await self._send_event(
            self._event(
                "service",
                {
                    "service": SERVICE,
                    "state": self._state.value,
                    "transport": "browser",
                    "reason": why,
                    "room_id": self.room_id,
                },
            )
        )

    def _load_account(self) -> None:
        if self._account_source is None:
            return
        try:
            self._account = self._account_source()
        except Exception:  # a broken store means "no login" for this connect, never a dead room
            log.exception("%s account could not be read", self._log)
            self._account = None
        cookies = dict(self._account.cookies) if self._account is not None and self.logged_in else {}
        setter = getattr(self._resolver, "set_account_cookies", None)
        if setter is not None:
            setter(cookies)

    @property
    def logged_in(self) -> bool:
        return self._account is not None and self._account.logged_in and not self._login_expired

    @property
    def guest_reason(self) -> str:
        if self.logged_in:
            return ""
        return EXPIRED_REASON if self._login_expired else GUEST_REASON

    async def _login_gone(self) -> bool:
        """After a socket closed under a login: does the site still know the session? (network trouble: yes)"""
        if not self.logged_in or self._account is None:
            return False
        try:
            logged_in, _, _ = await fetch_account_nickname(
                self._live_url, self._account.cookies, user_agent=self.options.user_agent
            )
        except (UpstreamError, OSError) as exc:
            log.info("%s account check failed (%s); assuming the login still holds", self._log, exc)
            return False
        if not logged_in:
            log.warning("%s the login expired; going on as a guest", self._log)
            self._login_expired = True
            self._load_account()
        return not logged_in

    def account_changed(self) -> None:
        """A login, logout or import happened: reconnect now with the account as it is."""
        self._login_expired = False
        self._wake.set()
        if self._ws is not None or self._page is not None:
            self._abort("account changed")

    async def _pause(self, delay: float) -> None:
        stop = asyncio.ensure_future(self._stop_event.wait())
        wake = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({stop, wake}, timeout=delay, return_when="FIRST_COMPLETED")
        finally:
            stop.cancel()
            wake.cancel()

    # ------------------------------------------------------------ decoding and emitting

    async def _worker(self) -> None:
        done = False
        unsaved: Resume | None = None  # progress not reported yet (the last report was under PROGRESS_EVERY_S ago)
        reported_at = -PROGRESS_EVERY_S
        while not done:
            # Everything already received goes out together: under load, one emit covers many frames.
            items = [await self._queue.get()]
            while not self._queue.empty() and len(items) < 200:
                items.append(self._queue.get_nowait())
            events: list[dict[str, Any]] = []
            reached: Resume | None = None
            for item in items:
                if item is None:
                    done = True
                    break
                messages, received, reached = item
                events.extend(self.decoder.decode(messages, received))
            gifts = False
            if await self._send_events(events) and reached is not None:
                # The gift state goes with its cursor. Reported now and then, not after every frame (a busy worker
                # wrote it a round trip per frame), but at once after gifts, so a replay from the last report never
                # brings a gift counted after it (it would count again), and surely at the end (a stop, a move).
                unsaved = Resume(reached.cursor, reached.internal_ext, self.decoder.gifts.snapshot())
                gifts = any(event["type"] == "gift" for event in events)
            if unsaved is not None and (done or gifts or self._clock() - reported_at >= PROGRESS_EVERY_S):
                await self._progress(unsaved)
                unsaved, reported_at = None, self._clock()
            for event in events:
                if event["type"] == "control" and event["data"]["status"] in ("ended", "banned"):
                    self._end_status = event["data"]["status"]
                    self._stop_event.set()
                    self._abort(self._end_status)

    async def _send_events(self, events: list[dict[str, Any]]) -> bool:
        """Hand events to emit; False when some could not be (the cursor then stays where it was)."""
        if not events:
            return True
        if self._emit_batch is None:
            errors = self.stats.emit_errors
            for event in events:
                await self._send_event(event)
            return self.stats.emit_errors == errors
        try:
            await self._emit_batch(events)
        except Exception:  # a failing consumer must not kill the room; count it and go on
            self.stats.emit_errors += len(events)
            log.exception("%s emit failed for %d events", self._log, len(events))
            return False
        return True

    async def _progress(self, reached: Resume) -> None:
        """Report a cursor with the gift state taken right after its events were decoded."""
        if self._on_progress is None or not reached.cursor:
            return
        try:
            await self._on_progress(reached)
        except Exception:  # losing a progress note only means a longer replay after a crash
            log.exception("%s could not record progress", self._log)
