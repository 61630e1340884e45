"""The fake Douyin server (docs/protocol/douyin.md §7): room page, challenge page, web/enter and the push WebSocket
on one loopback port, driven by scenarios (scenario.py) or a demo generator (demo.py). It keeps 2026's rules: a
connection without a login session (login.py) gets no gift messages, anonymous viewers are masked, the room page's
own script (sdk.js) signs and runs its push client, and the strict mode checks the WebSocket signature and
``web/enter``'s ``a_bogus``.

Programmatic use (tests)::

    server = FakeDouyinServer(strict=True)
    port = await server.start()
    room = server.load_scenario(load_scenario(path))
    ... point the client at server.urls ...
    await room.wait_done()
    server.observed  # acks, heartbeats, connections
    await server.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidMessage
from websockets.http11 import Request, Response
from websockets.protocol import Protocol

from services.douyin_fetcher.fake_server import pages
from services.douyin_fetcher.fake_server.builders import MessageFactory, SpecError
from services.douyin_fetcher.fake_server.login import DEFAULT_NICKNAME, Sessions, cookie_value
from services.douyin_fetcher.fake_server.scenario import Scenario, load_scenario
from services.douyin_fetcher.fake_server.signing import a_bogus_ok, expected_signature
from shared.platforms.douyin.errors import FrameError
from shared.platforms.douyin.frames import (
    FrameKind,
    build_close,
    build_heartbeat_reply,
    build_msg_frame,
    gzip_bomb,
    gzip_bytes,
    parse_push_frame,
)
from shared.platforms.douyin.proto import douyin_pb2 as pb

__all__ = ["ConnectionRecord", "FakeDouyinServer", "FakeRoom", "Observed"]

log = logging.getLogger(__name__)

WS_PATH = "/webcast/im/push/v2/"
ENTER_PATH = "/webcast/room/web/enter/"
FETCH_PATH = "/webcast/im/fetch/"
GIFT_METHOD = "WebcastGiftMessage"
SDK_JS = Path(__file__).with_name("sdk.js")
MAX_BODY = 64 * 1024
_CURSOR_VERSION = re.compile(r"(?:^|_)r-(\d+)")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def parse_query(query: str) -> dict[str, str]:
    """Query → dict without turning ``+`` into a space (raw signatures may contain ``+``)."""
    params: dict[str, str] = {}
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            params[unquote(key)] = unquote(value)
    return params


def _parse_with_body(protocol: Any) -> Generator[None]:
    """websockets' own request parser, plus a small body (the fake's POST test endpoints); websockets refuses any
    request body. Installed by ``_BodyConnection`` before the first byte arrives."""
    lengths: list[int] = []

    def read_line(limit: int, too_long: type[Exception]) -> Generator[None, None, bytes | bytearray]:
        line: bytes | bytearray = yield from protocol.reader.read_line(limit, too_long)
        if line.lower().startswith(b"content-length:"):
            lengths.append(int(line.split(b":", 1)[1].strip() or b"0"))
            return b"X-Fake-Body: 1\r\n"
        return line

    try:
        request = yield from Request.parse(read_line)
        length = sum(lengths)
        if length > MAX_BODY:
            raise ValueError(f"request body over {MAX_BODY} bytes")
        body = bytes((yield from protocol.reader.read_exact(length))) if length else b""
    except Exception as exc:
        protocol.handshake_exc = InvalidMessage("did not receive a valid HTTP request")
        protocol.handshake_exc.__cause__ = exc
        protocol.send_eof()
        protocol.parser = protocol.discard()
        next(protocol.parser)
        yield
        return
    request.body = body  # type: ignore[attr-defined]
    protocol.events.append(request)
    yield from Protocol.parse(protocol)


class _BodyConnection(ServerConnection):
    def __init__(self, protocol: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(protocol, *args, **kwargs)
        protocol.parser = _parse_with_body(protocol)
        next(protocol.parser)


@dataclass(slots=True)
class ConnectionRecord:
    id: int
    web_rid: str
    room_id: str
    params: dict[str, str]
    accepted: bool
    reason: str = ""
    logged_in: bool = False  # the handshake carried a live session cookie: gifts are sent
    opened_at: float = field(default_factory=time.monotonic)
    closed_at: float | None = None


@dataclass(slots=True)
class Observed:
    """What the server saw, for tests and the CLI's summary."""

    connections: list[ConnectionRecord] = field(default_factory=list)
    acks: list[tuple[int, str]] = field(default_factory=list)
    heartbeats: int = 0
    frames_sent: int = 0
    need_ack_sent: list[int] = field(default_factory=list)
    http_requests: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> list[ConnectionRecord]:
        return [c for c in self.connections if c.accepted]

    @property
    def rejected(self) -> list[ConnectionRecord]:
        return [c for c in self.connections if not c.accepted]

    def unacked(self) -> set[int]:
        return set(self.need_ack_sent) - {log_id for log_id, _ in self.acks}

    def summary(self) -> dict[str, Any]:
        return {
            "connections": len(self.accepted),
            "rejected": len(self.rejected),
            "frames_sent": self.frames_sent,
            "acks": len(self.acks),
            "unacked": len(self.unacked()),
            "heartbeats": self.heartbeats,
        }


class _Conn:
    def __init__(self, ws: ServerConnection, record: ConnectionRecord) -> None:
        self.ws = ws
        self.record = record
        self.seq = 0
        self.retired = False
        self.stalled = False
        self.last_client = time.monotonic()
        self.pending: dict[int, list[pb.Message]] = {}  # log_id → messages not yet acked
        self.acked = asyncio.Event()

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def abort(self) -> None:
        self.retired = True
        transport = self.ws.transport
        if transport is not None:
            transport.abort()  # no close frame: the client sees 1006


class FakeRoom:
    """One room: its HTTP state, its current WebSocket connection and the script that feeds it."""

    def __init__(self, server: FakeDouyinServer, info: pages.RoomInfo, *, seed: int | None = None) -> None:
        self.server = server
        self.info = info
        self.user_unique_id = str(7_300_000_000_000_000_000 + random.Random(info.web_rid).randrange(10**17))
        self.factory = MessageFactory(int(info.room_id), seed=seed)
        self.reject_next = 0
        self.reject_status = 415
        self.conn: _Conn | None = None
        self._new_conn = asyncio.Event()
        self.history: deque[pb.Message] = deque(maxlen=100)
        # (cursor version, messages) of every frame sent lately: what a client resuming from a cursor gets again.
        self.sent: deque[tuple[int, list[pb.Message]]] = deque(maxlen=5000)
        self.last_frame: bytes = b""
        self.wrds_version = 7_690_224_713_984_906_537
        self.done = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.errors: list[str] = []
        self._replay: list[pb.Message] = []  # unacked messages of a lost connection, sent first on the next one
        self.finishing = asyncio.Event()  # a steady step stops early once set (POST /__fake__/finish)
        self.steady_sent = 0  # chats the room's steady steps have put on the wire

    # ------------------------------------------------------------ connections

    def attach(self, conn: _Conn) -> None:
        if self.conn is not None and not self.conn.retired:
            self.conn.retired = True  # a newer connection replaces it; anything unacked is replayed there
            self._carry_over(self.conn)
        self._resume_from_cursor(conn)
        self.conn = conn
        self._new_conn.set()

    def _resume_from_cursor(self, conn: _Conn) -> None:
        # A client that resumes (it sends the cursor and internal_ext of its last frame) gets the messages of every
        # later frame again, as Douyin replays the gap to a reconnecting client: a restarted fetcher loses nothing.
        params = conn.record.params
        found = _CURSOR_VERSION.search(params.get("cursor", ""))
        if not params.get("internal_ext") or found is None:
            return
        since = int(found.group(1))
        order = {m.msg_id: i for i, (_, messages) in enumerate(self.sent) for m in messages}
        gap = [m for version, messages in self.sent if version > since for m in messages]
        merged: dict[int, pb.Message] = {}
        for m in [*self._replay, *gap]:
            merged.setdefault(m.msg_id, m)
        self._replay = sorted(merged.values(), key=lambda m: order.get(m.msg_id, len(order)))

    def detach(self, conn: _Conn) -> None:
        conn.record.closed_at = time.monotonic()
        conn.retired = True
        if self.conn is conn:
            self._carry_over(conn)

    def _carry_over(self, conn: _Conn) -> None:
        # Douyin replays recent persisted messages to a reconnecting client; we replay what was never acked.
        for messages in conn.pending.values():
            self._replay.extend(messages)
        conn.pending.clear()

    async def active(self) -> _Conn:
        """The open, usable connection, waiting for the client to (re)connect when there is none."""
        while True:
            conn = self.conn
            if conn is not None and not conn.retired and not conn.stalled:
                if self._replay:
                    replay, self._replay = self._replay, []
                    await self._send(conn, replay)
                    continue
                return conn
            self._new_conn.clear()
            await self._new_conn.wait()

    # ------------------------------------------------------------ frames

    def _response(
        self, conn: _Conn, messages: list[pb.Message], need_ack: bool
    ) -> tuple[pb.Response, list[tuple[str, str]]]:
        now = _now_ms()
        self.wrds_version += 1
        internal_ext = (
            f"internal_src:pushserver|first_req_ms:{now - 2000}|seq:{conn.seq}"
            f"|wss_msg_type:r|wrds_v:{self.wrds_version}"
        )
        response = pb.Response(
            messages=messages,
            cursor=f"t-{now}_r-{self.wrds_version}_d-1_u-1",
            now=now,
            internal_ext=internal_ext,
            heartbeat_duration=15,
            need_ack=need_ack,
        )
        headers = [
            ("im-internal_ext", internal_ext.replace(f"|seq:{conn.seq}", "")),
            ("im-cursor", response.cursor),
            ("im-now", str(now)),
            ("im-live_cursor", "d-1_u-1"),
        ]
        return response, headers

    async def _send(self, conn: _Conn, messages: list[pb.Message], *, gzip: bool = True, need_ack: bool = True) -> None:
        # 2026: a guest never receives gift messages. The room's own records (replay, resume) keep them all: a
        # logged-in client that resumes gets what the platform persisted.
        wire = messages if conn.record.logged_in else [m for m in messages if m.method != GIFT_METHOD]
        response, headers = self._response(conn, wire, need_ack)
        self.sent.append((self.wrds_version, messages))
        log_id = random.getrandbits(63)
        data = build_msg_frame(conn.next_seq(), log_id, response, headers, gzip=gzip)
        await self._send_raw(conn, data, log_id if need_ack else None, messages)
        self.history.extend(messages)

    async def _send_raw(self, conn: _Conn, data: bytes, log_id: int | None, messages: list[pb.Message]) -> None:
        try:
            await conn.ws.send(data)
        except ConnectionClosed:
            conn.retired = True
            self._replay.extend(messages)
            return
        self.last_frame = data
        self.server.observed.frames_sent += 1
        if log_id is not None:
            conn.pending[log_id] = messages
            self.server.observed.need_ack_sent.append(log_id)

    def on_ack(self, conn: _Conn, log_id: int, payload: bytes) -> None:
        self.server.observed.acks.append((log_id, payload.decode("utf-8", "replace")))
        conn.pending.pop(log_id, None)
        conn.acked.set()

    async def wait_acks(self, conn: _Conn, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while conn.pending and not conn.retired:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            conn.acked.clear()
            try:
                await asyncio.wait_for(conn.acked.wait(), remaining)
            except TimeoutError:
                return False
        return True

    # ------------------------------------------------------------ the script

    def start_script(self, steps: Iterable[Mapping[str, Any]]) -> None:
        self.done.clear()
        self.task = asyncio.get_running_loop().create_task(self._run(steps), name=f"fake-room-{self.info.web_rid}")

    async def wait_done(self, timeout: float = 30.0) -> None:
        await asyncio.wait_for(self.done.wait(), timeout)
        if self.errors:
            raise RuntimeError(f"scenario of room {self.info.web_rid} failed: {self.errors}")

    async def _run(self, steps: Iterable[Mapping[str, Any]]) -> None:
        try:
            for step in steps:
                await self._step(step)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a broken script must be visible to the test, not die silently
            log.exception("room=%s scenario step failed", self.info.web_rid)
            self.errors.append(repr(exc))
        finally:
            self.done.set()

    async def _step(self, step: Mapping[str, Any]) -> None:
        handler = STEP_HANDLERS.get(step["op"])
        if handler is None:  # load_scenario validated the op names
            raise ValueError(f"unknown op {step['op']!r}")
        await handler(self, step)


# ------------------------------------------------------------ scenario steps (scenario.py lists them)

StepHandler = Callable[[FakeRoom, Mapping[str, Any]], Awaitable[None]]


async def _sleep(room: FakeRoom, step: Mapping[str, Any]) -> None:
    await asyncio.sleep(float(step.get("s", 0.1)))


async def _set_live(room: FakeRoom, step: Mapping[str, Any]) -> None:
    room.info.live = bool(step.get("live", True))


async def _reject(room: FakeRoom, step: Mapping[str, Any]) -> None:
    room.reject_next += int(step.get("n", 1))
    room.reject_status = int(step.get("status", 415))


async def _frame(room: FakeRoom, step: Mapping[str, Any]) -> None:
    messages = [room.factory.build(e) for e in step.get("events", [])]
    await room._send(await room.active(), messages, gzip=step.get("gzip", True), need_ack=step.get("need_ack", True))


async def _replay(room: FakeRoom, step: Mapping[str, Any]) -> None:
    await room._send(await room.active(), list(room.history)[-int(step.get("n", 5)) :])


async def _dup_frame(room: FakeRoom, step: Mapping[str, Any]) -> None:
    conn = await room.active()
    if room.last_frame:
        await room._send_raw(conn, room.last_frame, None, [])


async def _wait_acks(room: FakeRoom, step: Mapping[str, Any]) -> None:
    await room.wait_acks(await room.active(), float(step.get("timeout", 5.0)))


async def _steady(room: FakeRoom, step: Mapping[str, Any]) -> None:
    rate = float(step.get("rate", 5.0))
    per_frame = max(1, int(step.get("per_frame", 1)))
    total = int(rate * float(step.get("seconds", 60.0)))
    base = step.get("base_msg_id")
    prefix = str(step.get("prefix", "steady"))
    if rate <= 0:
        raise ValueError(f"steady rate must be positive, got {rate}")
    await room.active()  # the schedule starts with the first connection
    start = time.perf_counter()
    sent = 0
    while sent < total and not room.finishing.is_set():
        delay = start + sent / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
            continue
        conn = await room.active()
        stamp = time.time_ns()  # the frame is built and sent right away: its chats' send time
        events = [
            {"kind": "chat", "user": {"id": 10_000_000 + n % 97, "nickname": f"观众{n % 97}"},
             "content": f"{prefix} {n} @{stamp}", **({"msg_id": int(base) + n} if base is not None else {})}
            for n in range(sent, min(sent + per_frame, total))
        ]  # fmt: skip
        await room._send(conn, [room.factory.build(e) for e in events])
        sent += len(events)
        room.steady_sent += len(events)


def _raw_frame(conn: _Conn, payload: bytes) -> bytes:
    frame = pb.PushFrame(
        seq_id=conn.next_seq(),
        log_id=random.getrandbits(63),
        service=8888,
        method=8,
        headers=[pb.HeaderEntry(key="compress_type", value="gzip")],
        payload_encoding="pb",
        payload_type=FrameKind.MSG,
        payload=payload,
    )
    return bytes(frame.SerializeToString())


async def _corrupt_gzip(room: FakeRoom, step: Mapping[str, Any]) -> None:
    conn = await room.active()
    await room._send_raw(conn, _raw_frame(conn, gzip_bytes(b"\x0a\x05hello")[:-9] + b"\x00garbage"), None, [])


async def _gzip_bomb(room: FakeRoom, step: Mapping[str, Any]) -> None:
    conn = await room.active()
    # Built off the loop: 512 MiB of inflated bytes take a second or two to compress.
    bomb = await asyncio.to_thread(gzip_bomb, int(step.get("mib", 512)) << 20)
    await room._send_raw(conn, _raw_frame(conn, bomb), None, [])


async def _truncated(room: FakeRoom, step: Mapping[str, Any]) -> None:
    conn = await room.active()
    good = [room.factory.build(e) for e in step.get("events", [])]
    bad = room.factory.build({"kind": "chat", "user": {"id": 1, "nickname": "x"}, "content": "截断的消息"})
    bad.payload = bad.payload[: max(1, len(bad.payload) // 2)]
    await room._send(conn, [bad, *good])


async def _truncated_frame(room: FakeRoom, step: Mapping[str, Any]) -> None:
    conn = await room.active()
    response, _headers = room._response(conn, [room.factory.build({"kind": "sync"})], True)
    await room._send_raw(conn, _raw_frame(conn, gzip_bytes(response.SerializeToString()[:-7])), None, [])


async def _connection_fault(room: FakeRoom, step: Mapping[str, Any]) -> None:
    op = step["op"]
    conn = await room.active()
    if op != "drop" or step.get("wait_acks", True):  # a drop without waiting hits frames still in flight
        await room.wait_acks(conn, 3.0)
    if op == "drop":
        conn.abort()
    elif op == "stall":
        conn.stalled = True
        conn.retired = True
    elif op == "close_frame":
        conn.retired = True
        with contextlib.suppress(ConnectionClosed):
            await conn.ws.send(build_close(conn.next_seq()))
    else:  # change_room_id
        room.server.rename_room(room, str(step.get("room_id") or room.info.room_id + "1"))
        conn.abort()


async def _end(room: FakeRoom, step: Mapping[str, Any]) -> None:
    conn = await room.active()
    await room._send(conn, [room.factory.build({"kind": "control", "status": int(step.get("status", 3))})])
    await room.wait_acks(conn, 3.0)
    room.info.live = False


async def _expire_login(room: FakeRoom, step: Mapping[str, Any]) -> None:
    room.server.expire_logins()


async def _verify(room: FakeRoom, step: Mapping[str, Any]) -> None:
    room.server.verification = bool(step.get("on", True))


STEP_HANDLERS: dict[str, StepHandler] = {
    "sleep": _sleep,
    "set_live": _set_live,
    "reject": _reject,
    "frame": _frame,
    "steady": _steady,
    "replay": _replay,
    "dup_frame": _dup_frame,
    "wait_acks": _wait_acks,
    "corrupt_gzip": _corrupt_gzip,
    "gzip_bomb": _gzip_bomb,
    "truncated": _truncated,
    "truncated_frame": _truncated_frame,
    "drop": _connection_fault,
    "stall": _connection_fault,
    "close_frame": _connection_fault,
    "change_room_id": _connection_fault,
    "end": _end,
    "expire_login": _expire_login,
    "verify": _verify,
}


class FakeDouyinServer:
    """Loopback-only fake of Douyin's live site and push server. ``start()`` returns the bound port."""

    def __init__(
        self,
        port: int = 0,
        *,
        strict: bool = False,
        demo: bool = False,
        idle_timeout: float = 25.0,
        host: str = "127.0.0.1",
        stream_base: str | None = None,
        verification: bool = False,
        page_idle_timeout: float = 600.0,
        enter_needs_a_bogus: bool | None = None,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake Douyin server binds loopback only")
        self.host = host
        self.port = port
        self.strict = strict
        self.demo = demo
        self.idle_timeout = idle_timeout
        # Room pages, web/enter and the push handshake answer with the platform's verification (captcha) instead.
        self.verification = verification
        # The room page's push client closes after this long without trusted user activity (the real page does).
        self.page_idle_timeout = page_idle_timeout
        # web/enter answers an empty 200 without a valid a_bogus; follows ``strict`` unless set.
        self.enter_needs_a_bogus = strict if enter_needs_a_bogus is None else enter_needs_a_bogus
        self.sessions = Sessions()
        self.shares: dict[str, FakeRoom] = {}  # share-link code → room (/v/<code>/)
        # Where the rooms' stream URLs point (the demo's synthetic live stream); None = unplayable placeholders.
        self.stream_base = stream_base
        self.observed = Observed()
        self.rooms: dict[str, FakeRoom] = {}
        self._by_room_id: dict[str, FakeRoom] = {}
        self._server: Server | None = None
        self._conn_ids = 0
        self._watchdog: asyncio.Task[None] | None = None
        self._conns: set[_Conn] = set()
        self._nonces: set[str] = set()  # __ac_nonce values this server issued; others get the challenge page

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> int:
        self._server = await serve(
            self._ws_handler,
            self.host,
            self.port,
            process_request=self._process_request,
            ping_interval=None,  # Douyin does not ping clients
            max_size=2**22,
            create_connection=_BodyConnection,
        )
        sock = next(iter(self._server.sockets))
        self.port = sock.getsockname()[1]
        self._watchdog = asyncio.get_running_loop().create_task(self._idle_watch(), name="fake-douyin-idle")
        log.info("fake douyin server on 127.0.0.1:%d (strict=%s demo=%s)", self.port, self.strict, self.demo)
        return self.port

    async def stop(self) -> None:
        for room in self.rooms.values():
            if room.task is not None:
                room.task.cancel()
        if self._watchdog is not None:
            self._watchdog.cancel()
        tasks = [r.task for r in self.rooms.values() if r.task is not None]
        if self._watchdog is not None:
            tasks.append(self._watchdog)
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def urls(self) -> dict[str, str]:
        """Settings values that point a client at this server."""
        base = f"http://127.0.0.1:{self.port}"
        return {
            "douyin_live_url": base,
            "douyin_www_url": f"{base}/www",
            "douyin_ws_url": f"ws://127.0.0.1:{self.port}{WS_PATH}",
            "douyin_share_url": f"{base}/v",
            "douyin_reflow_url": base,
        }

    # ------------------------------------------------------------ login and verification

    def issue_login(self, nickname: str | None = None) -> str:
        """A logged-in cookie string, as a browser would hold after a QR login (tests, the demo)."""
        return self.sessions.issue(nickname).cookie_header()

    def expire_logins(self) -> None:
        """Every issued session becomes invalid; open logged-in push sockets are closed."""
        self.sessions.expire_all()
        for conn in list(self._conns):
            if conn.record.logged_in:
                conn.record.logged_in = False
                conn.record.reason = "login expired"
                conn.retired = True
                asyncio.get_running_loop().create_task(conn.ws.close(1000, "login expired"))
        log.info("fake douyin: every login session expired")

    # ------------------------------------------------------------ rooms

    def add_room(self, web_rid: str, room_id: str | None = None, *, seed: int | None = None, **info: Any) -> FakeRoom:
        room_id = room_id or str(7_690_000_000_000_000_000 + random.Random(web_rid).randrange(10**15))
        room = FakeRoom(self, pages.RoomInfo(web_rid=web_rid, room_id=room_id, **info), seed=seed)
        room.info.flv_base = f"http://127.0.0.1:{self.port}/stream/{web_rid}"
        self.rooms[web_rid] = room
        self._by_room_id[room_id] = room
        return room

    def rename_room(self, room: FakeRoom, new_room_id: str) -> None:
        self._by_room_id.pop(room.info.room_id, None)
        room.info.room_id = new_room_id
        room.factory.room_id = int(new_room_id)
        self._by_room_id[new_room_id] = room

    def add_share(self, code: str, room: FakeRoom | str) -> None:
        """Register a share-link code (``/v/<code>/``) for a room (a FakeRoom or its web_rid)."""
        self.shares[code] = room if isinstance(room, FakeRoom) else self.rooms[room]

    def load_scenario(self, scenario: Scenario, web_rid: str | None = None) -> FakeRoom:
        """Create (or reuse) the scenario's room and start feeding it the scenario's steps."""
        spec = dict(scenario.room)
        web_rid = web_rid or str(spec.pop("web_rid", "100000000001"))
        spec.pop("web_rid", None)
        room = self.rooms.get(web_rid) or self.add_room(web_rid, spec.pop("room_id", None), **spec)
        room.start_script(scenario.steps)
        return room

    def _room_for_page(self, web_rid: str) -> FakeRoom | None:
        room = self.rooms.get(web_rid)
        if room is None and self.demo:
            from services.douyin_fetcher.fake_server.demo import demo_steps

            room = self.add_room(web_rid)
            room.start_script(demo_steps(random.Random(web_rid)))
        return room

    # ------------------------------------------------------------ HTTP

    def _respond(
        self,
        status: int,
        body: bytes | str,
        content_type: str,
        cookies: Iterable[str] = (),
        extra: Mapping[str, str] = {},
    ) -> Response:
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = Headers()
        headers["Content-Type"] = content_type
        headers["Content-Length"] = str(len(data))
        headers["Connection"] = "close"
        for cookie in cookies:
            headers["Set-Cookie"] = cookie
        for key, value in extra.items():
            headers[key] = value
        reason = {200: "OK", 302: "Found", 400: "Bad Request", 404: "Not Found", 502: "Bad Gateway"}.get(status, "OK")
        return Response(status, reason, headers, data)

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path, _, query = request.path.partition("?")
        cookie = request.headers.get("Cookie", "")
        self.observed.http_requests.append(path)
        if path == WS_PATH:
            return self._check_handshake(connection, parse_query(query), cookie)
        if request.method == "POST":
            return self._post(path, getattr(request, "body", b""))
        if path.startswith("/passport/web/"):
            return self._passport(path, parse_query(query))
        return self._get(path, query, cookie, request.headers.get("User-Agent", ""))

    def _json(self, body: Any, cookies: Iterable[str] = (), status: int = 200) -> Response:
        return self._respond(status, json.dumps(body, ensure_ascii=False), "application/json; charset=utf-8", cookies)

    def _get(self, path: str, query: str, cookie: str, user_agent: str) -> Response:
        html = "text/html; charset=utf-8"
        account = self.sessions.account(cookie)
        nickname = account.nickname if account else None
        if path == "/":
            return self._respond(200, pages.home_page(nickname), html, [pages.ttwid_cookie()])
        if path == pages.SDK_PATH:
            return self._respond(200, SDK_JS.read_bytes(), "application/javascript; charset=utf-8")
        if path in ("/www", "/www/"):
            return self._respond(200, "<html><body>抖音</body></html>", html, [self._issue_nonce()])
        if path.startswith("/www/user/"):
            sec_uid = path.removeprefix("/www/user/").strip("/")
            room = next((r for r in self.rooms.values() if pages.anchor_sec_uid(r.info) == sec_uid), None)
            return self._respond(200 if room else 404, pages.profile_page(room.info if room else None, sec_uid), html)
        if path == ENTER_PATH:
            return self._enter(query, cookie, user_agent)
        if path == FETCH_PATH:
            return self._fetch(parse_query(query), account is not None)
        if path == "/__fake__/rooms":
            return self._json({"rooms": self.rooms_summary(), "observed": self.observed.summary()})
        if path == "/webcast/user/me/":
            return self._json(pages.account_answer(account.user_id if account else None, nickname))
        if path == "/webcast/room/reflow/info/":
            room = self._by_room_id.get(parse_query(query).get("room_id", ""))
            return self._json(pages.reflow_answer(room.info) if room else pages.reflow_not_found())
        if path.startswith("/v/"):
            return self._share(path.removeprefix("/v/").strip("/"))
        segment = path.strip("/")
        if segment.isdigit():
            return self._room_page(segment, cookie, nickname)
        return self._respond(404, "not found", "text/plain; charset=utf-8")

    def _room_page(self, web_rid: str, cookie: str, nickname: str | None) -> Response:
        html = "text/html; charset=utf-8"
        if self.verification:
            return self._respond(200, pages.captcha_page(), html)
        if cookie_value(cookie, "__ac_nonce") not in self._nonces:
            return self._respond(200, pages.challenge_page(), html, [self._issue_nonce()])
        room = self._room_for_page(web_rid)
        if room is None:
            return self._respond(200, pages.missing_page(), html)
        push = {
            "ws_url": f"ws://127.0.0.1:{self.port}{WS_PATH}",
            "user_unique_id": room.user_unique_id,
            "idle_timeout_s": self.page_idle_timeout,
        }
        body = pages.room_page(room.info, room.user_unique_id, nickname=nickname, push=push)
        cookies = [] if "ttwid=" in cookie else [pages.ttwid_cookie()]
        return self._respond(200, body, html, cookies)

    def _share(self, code: str) -> Response:
        room = self.shares.get(code)
        if room is None:
            return self._respond(404, "not found", "text/plain; charset=utf-8")
        # The real redirect's shape; the device ids are random, as each share gets its own.
        location = (
            f"https://webcast.amemv.com/douyin/webcast/reflow/{room.info.room_id}?u_code={secrets.token_hex(6)}"
            f"&did={secrets.token_hex(8)}&iid={secrets.token_hex(8)}&with_sec_did=1&use_link_command=1"
            f"&sec_user_id={quote(pages.anchor_sec_uid(room.info))}&timestamp={int(time.time())}"
            "&utm_source=copy&utm_campaign=client_share&utm_medium=android&share_app_name=douyin"
        )
        return self._respond(302, "", "text/html; charset=utf-8", extra={"Location": location})

    def _passport(self, path: str, params: Mapping[str, str]) -> Response:
        # The QR login flow (real shape simplified): get a token, poll it; a confirmed poll sets the session cookies.
        if path == "/passport/web/get_qrcode/":
            token = self.sessions.new_qr()
            qrcode_url = f"https://aweme.snssdk.com/magic/page/ejs/qrcode?token={token}"
            return self._json({"data": {"token": token, "qrcode_index_url": qrcode_url}, "message": "success"})
        if path == "/passport/web/check_qrconnect/":
            status, account = self.sessions.poll(params.get("token", ""))
            data: dict[str, Any] = {"status": status}
            if account is not None:
                data["redirect_url"] = "/"
                log.info("fake douyin: QR login of %s", account.nickname)
            return self._json({"data": data, "message": "success"}, account.set_cookies() if account else ())
        return self._respond(404, "not found", "text/plain; charset=utf-8")

    def _post(self, path: str, body: bytes) -> Response:
        try:
            data = json.loads(body) if body.strip() else {}
            if not isinstance(data, dict):
                raise ValueError("body must be a JSON object")
        except ValueError as exc:
            return self._json({"ok": False, "error": f"请求体不是 JSON 对象 (bad JSON body): {exc}"}, status=400)
        if path == "/__fake__/login/scan":
            if not self.sessions.scan(data.get("token"), data.get("nickname") or DEFAULT_NICKNAME):
                return self._json({"ok": False, "error": "没有待扫描的二维码 (no pending QR code)"}, status=404)
            return self._json({"ok": True})
        if path == "/__fake__/login/issue":
            return self._json({"cookie": self.issue_login(data.get("nickname"))})
        if path == "/__fake__/login/expire":
            self.expire_logins()
            return self._json({"ok": True})
        if path == "/__fake__/verification":
            self.verification = bool(data.get("on", True))
            return self._json({"ok": True, "on": self.verification})
        if path == "/__fake__/scenario":
            return self._load_posted(data)
        if path == "/__fake__/finish":
            names = data.get("web_rids")
            finished = [r for w, r in self.rooms.items() if names is None or w in names]
            for room in finished:
                room.finishing.set()
            return self._json({"ok": True, "rooms": len(finished)})
        return self._respond(404, "not found", "text/plain; charset=utf-8")

    def _load_posted(self, data: dict[str, Any]) -> Response:
        """``POST /__fake__/scenario`` ``{"room": {...}, "steps": [...]}``: play a scenario in a server that runs in
        another process (a benchmark's)."""
        steps = data.get("steps")
        if not isinstance(steps, list):
            return self._json({"ok": False, "error": "steps 必须是列表 (steps must be a list)"}, status=400)
        items: list[Any] = [{"room": data["room"]}] if isinstance(data.get("room"), dict) else []
        try:
            room = self.load_scenario(load_scenario([*items, *steps]))
        except SpecError as exc:
            return self._json({"ok": False, "error": str(exc)}, status=400)
        return self._json({"ok": True, "web_rid": room.info.web_rid, "room_id": room.info.room_id})

    def rooms_summary(self) -> dict[str, Any]:
        """``GET /__fake__/rooms``: per room, the chats its steady steps sent, whether its script is done, errors."""
        return {
            web_rid: {"steady_sent": r.steady_sent, "done": r.done.is_set(), "errors": r.errors}
            for web_rid, r in self.rooms.items()
        }

    def _issue_nonce(self) -> str:
        nonce = pages.new_nonce()
        self._nonces.add(nonce)
        return pages.nonce_cookie(nonce)

    def _enter(self, query: str, cookie: str, user_agent: str) -> Response:
        params = parse_query(query)
        if self.verification:
            return self._json({"data": {"prompts": "请完成验证"}, "extra": {"now": _now_ms()}, "status_code": 10011})
        if "ttwid=" not in cookie:
            return self._respond(200, b"", "application/json; charset=utf-8")  # the real answer without ttwid
        if self.enter_needs_a_bogus and not a_bogus_ok(query, user_agent):
            log.info("fake douyin: web/enter without a valid a_bogus refused")
            return self._respond(200, b"", "application/json; charset=utf-8")  # how the real API refuses
        room = self._room_for_page(params.get("web_rid", ""))
        return self._json(pages.enter_not_found() if room is None else pages.enter_answer(room.info, self.stream_base))

    def _fetch(self, params: Mapping[str, str], logged_in: bool) -> Response:
        """``/webcast/im/fetch/``: the room's recent messages as a protobuf Response (the HTTP way to poll)."""
        room = self._by_room_id.get(params.get("room_id", ""))
        if room is None:
            return self._respond(200, b"", "application/protobuf")
        messages = [m for m in room.history if logged_in or m.method != GIFT_METHOD]
        now = _now_ms()
        response = pb.Response(
            messages=messages[-50:],
            cursor=f"t-{now}_r-{room.wrds_version}_d-1_u-1",
            fetch_interval=1000,
            now=now,
            internal_ext=f"internal_src:dim|wrds_v:{room.wrds_version}",
        )
        return self._respond(200, response.SerializeToString(), "application/protobuf")

    def _check_handshake(self, connection: ServerConnection, params: dict[str, str], cookie: str) -> Response | None:
        self._conn_ids += 1
        room = self._by_room_id.get(params.get("room_id", ""))
        record = ConnectionRecord(
            self._conn_ids, room.info.web_rid if room else "", params.get("room_id", ""), params, False
        )
        self.observed.connections.append(record)
        reason = ""
        if self.verification:
            reason = "verification"
        elif room is None:
            reason = "unknown room_id"
        elif not params.get("user_unique_id", "").isdigit():
            reason = "no user_unique_id"
        elif self.strict and params.get("signature", "") != expected_signature(params):
            reason = "bad signature"
        elif room.reject_next > 0:
            room.reject_next -= 1
            reason = "scripted rejection"
            if room.reject_status == 502:
                record.reason = reason
                return self._respond(502, "Bad Gateway", "text/plain")
        if reason:
            record.reason = reason
            log.info("fake douyin: handshake refused (%s) room_id=%s", reason, params.get("room_id"))
            return self._respond(
                200,
                b"",
                "text/plain",
                extra={
                    "handshake-status": "415",
                    "handshake-msg": "DEVICE_BLOCKED",
                    "x-tt-logid": secrets.token_hex(16),
                },
            )
        record.accepted = True
        record.logged_in = self.sessions.account(cookie) is not None
        connection.timao_record = record  # type: ignore[attr-defined]
        return None

    # ------------------------------------------------------------ WebSocket

    async def _ws_handler(self, ws: ServerConnection) -> None:
        record: ConnectionRecord = ws.timao_record  # type: ignore[attr-defined]
        room = self._by_room_id.get(record.room_id)
        if room is None:  # renamed between handshake and now
            await ws.close()
            return
        conn = _Conn(ws, record)
        self._conns.add(conn)
        room.attach(conn)
        try:
            async for data in ws:
                conn.last_client = time.monotonic()
                if isinstance(data, str):
                    continue
                try:
                    frame = parse_push_frame(data)
                except FrameError:
                    continue
                if frame.payload_type == FrameKind.HEARTBEAT:
                    self.observed.heartbeats += 1
                    await ws.send(build_heartbeat_reply(conn.next_seq(), _now_ms()))
                elif frame.payload_type == FrameKind.ACK:
                    room.on_ack(conn, frame.log_id, frame.payload)
        except ConnectionClosed:
            pass
        finally:
            self._conns.discard(conn)
            room.detach(conn)

    async def _idle_watch(self) -> None:
        # Douyin drops a connection without any client traffic after ~20-40 s, without a close frame.
        period = max(0.05, min(1.0, self.idle_timeout / 4))
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for conn in list(self._conns):
                if now - conn.last_client > self.idle_timeout:
                    log.info("fake douyin: idle connection %d dropped", conn.record.id)
                    self._conns.discard(conn)
                    conn.abort()
