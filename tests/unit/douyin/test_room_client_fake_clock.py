"""The room client's reconnect loop on a fake clock: scripted connections (refused, dropped, stalled, recovered) and
resolver answers (blocked, challenged, ended, gone), and the exact waits and state sequence, without real sleeping.

The client runs unchanged on an event loop whose clock only moves when nothing is ready to run: every
``asyncio.sleep``/``wait_for`` (backoff, heartbeat, watchdog) then ends at once, at exactly its virtual deadline.
The WebSocket and the resolver are in-memory fakes scripted in that virtual time.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosedError

from services.douyin_fetcher import client as client_module
from services.douyin_fetcher.client import ClientOptions, ClientState, RoomClient
from shared.platforms.douyin.errors import DeviceBlocked, EmptyAnswer, RoomNotFound
from shared.platforms.douyin.frames import HEARTBEAT, build_msg_frame
from shared.platforms.douyin.proto import douyin_pb2 as pb
from shared.platforms.douyin.resolve import LiveStatus, Room
from shared.platforms.douyin.signer import NoSigner
from shared.retry import exponential

OPTIONS = ClientOptions(heartbeat_interval=10.0, stall_timeout=20.0, ended_confirmations=2)
LIVE_ID = "100000000001"


class _Selector(selectors.DefaultSelector):
    """Polls real file descriptors without waiting; when none is ready, jumps the loop's clock to the next timer."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready: list[tuple[selectors.SelectorKey, int]] = super().select(0)
        if ready:
            return ready
        if timeout is None:
            raise AssertionError("deadlock: nothing scheduled and nothing to read")
        self._loop.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(_Selector(self))

    def time(self) -> float:
        return self.now


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    loop = VirtualTimeLoop()
    try:
        loop.run_until_complete(asyncio.wait_for(main(), 3600))  # virtual seconds: a hang fails, it does not block
    finally:
        loop.close()


def t() -> float:
    return round(asyncio.get_running_loop().time(), 6)


# ------------------------------------------------------------ scripted fakes


def msg_frame(seq: int) -> bytes:
    response = pb.Response(cursor=f"c{seq}", internal_ext=f"ext{seq}", need_ack=True)
    return build_msg_frame(seq, 1000 + seq, response, [])


@dataclass
class Refused:
    """The push server refuses the TCP connection."""


@dataclass
class Conn:
    """An accepted connection: a message frame at each of ``frames`` (seconds after connecting), then dropped at
    ``drop`` (None: stays open, silent after the last frame, until the client closes it)."""

    frames: list[float] = field(default_factory=list)
    drop: float | None = None


class FakeTransport:
    def __init__(self, ws: FakeWS) -> None:
        self._ws = ws

    def abort(self) -> None:
        self._ws.close("aborted")


class FakeWS:
    def __init__(self, script: Conn) -> None:
        loop = asyncio.get_running_loop()
        self.opened = t()
        self.closed_at: float | None = None
        self.how = ""
        self.sent: list[tuple[float, bytes]] = []
        self.transport: FakeTransport | None = FakeTransport(self)
        self._inbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._timers = [loop.call_later(at, self._inbox.put_nowait, msg_frame(n)) for n, at in enumerate(script.frames)]
        if script.drop is not None:
            self._timers.append(loop.call_later(script.drop, self.close, "dropped"))

    def close(self, how: str) -> None:
        if self.closed_at is None:
            self.closed_at, self.how = t(), how
            for timer in self._timers:
                timer.cancel()
            self._inbox.put_nowait(None)

    async def send(self, data: bytes) -> None:
        if self.closed_at is not None:
            raise ConnectionClosedError(None, None)
        self.sent.append((t(), data))

    def __aiter__(self) -> FakeWS:
        return self

    async def __anext__(self) -> bytes:
        item = await self._inbox.get()
        if item is None:
            raise ConnectionClosedError(None, None)
        return item


@dataclass
class World:
    """What the client talks to: a resolver answering from ``answers`` (an exception or a LiveStatus; LIVE when
    empty) and a push server answering connections from ``connections``."""

    answers: list[BaseException | LiveStatus] = field(default_factory=list)
    connections: list[Refused | Conn] = field(default_factory=list)
    resolved_at: list[float] = field(default_factory=list)
    invalidated: int = 0
    sockets: list[FakeWS] = field(default_factory=list)
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    # the resolver
    async def resolve(self, live_id: str) -> Room:
        self.resolved_at.append(t())
        answer = self.answers.pop(0) if self.answers else LiveStatus.LIVE
        if isinstance(answer, BaseException):
            raise answer
        return Room(live_id=live_id, room_id="7001", status=answer, user_unique_id="42")

    def invalidate(self) -> None:
        self.invalidated += 1

    async def aclose(self) -> None:
        pass

    # the push server
    async def connect(self, url: str, **kwargs: Any) -> FakeWS:
        assert self.connections, "the client connected more often than the script says"
        step = self.connections.pop(0)
        if isinstance(step, Refused):
            raise ConnectionRefusedError(111, "Connection refused")
        ws = FakeWS(step)
        self.sockets.append(ws)
        return ws

    async def emit(self, event: dict[str, Any]) -> None:
        self.events.append((t(), event))

    def client(self) -> RoomClient:
        return RoomClient(
            LIVE_ID,
            session_id="s1",
            emit=self.emit,
            resolver=self,  # type: ignore[arg-type]
            signer=NoSigner(),
            ws_url="ws://push.test/webcast/im/push/v2/",
            retry_policy=exponential(1.0, 60.0, jitter=0.0),
            clock=lambda: asyncio.get_running_loop().time(),
            options=OPTIONS,
        )

    def states(self) -> list[tuple[float, str]]:
        return [(at, e["data"]["state"]) for at, e in self.events if e["type"] == "service"]

    def backoffs(self) -> list[tuple[float, str]]:
        return [(at, e["data"]["reason"]) for at, e in self.events if e["data"].get("state") == "backoff"]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    w = World()
    monkeypatch.setattr(client_module, "connect", w.connect)
    return w


async def until(when: float, then: Callable[[], Awaitable[None]] | None = None) -> None:
    await asyncio.sleep(when - asyncio.get_running_loop().time())
    if then is not None:
        await then()


# ------------------------------------------------------------ scenarios


def test_refused_dropped_stalled_then_recovered_until_stopped(world: World) -> None:
    world.connections = [
        Refused(),
        Refused(),
        Conn(frames=[0.5], drop=5.0),  # healthy, then dropped
        Conn(frames=[0.5]),  # healthy, then silent: the watchdog calls it stalled
        Conn(frames=[0.5, 1.5, 2.5]),  # recovered
    ]
    client = world.client()

    async def main() -> None:
        await client.start()
        await until(40.0, client.stop)

    run(main)

    # Refused twice: 1 s, then 2 s. A connection that had messages forgives what came before: after the drop and
    # after the stall the wait is 1 s again. The stall is called 20 s after the last message (9.5 → the watchdog's
    # check at 30, its period being 1 s).
    assert world.resolved_at == [0.0, 1.0, 3.0, 9.0, 31.0]
    assert [(ws.opened, ws.closed_at, ws.how) for ws in world.sockets] == [
        (3.0, 8.0, "dropped"),
        (9.0, 30.0, "aborted"),
        (31.0, 40.0, "aborted"),
    ]
    assert [(at, reason.split(";")[0]) for at, reason in world.backoffs()] == [
        (0.0, "ConnectionRefusedError: [Errno 111] Connection refused"),
        (1.0, "ConnectionRefusedError: [Errno 111] Connection refused"),
        (8.0, "_ServerClosed: connection closed"),
        (30.0, "_Stalled: no message for 20s"),
    ]
    assert [reason.rsplit("; ", 1)[1] for _, reason in world.backoffs()] == [
        "retry in 1.0s", "retry in 2.0s", "retry in 1.0s", "retry in 1.0s",
    ]  # fmt: skip
    assert world.states() == [
        (0.0, "resolving"), (0.0, "connecting"), (0.0, "backoff"),
        (1.0, "resolving"), (1.0, "connecting"), (1.0, "backoff"),
        (3.0, "resolving"), (3.0, "connecting"), (3.0, "connected"), (8.0, "backoff"),
        (9.0, "resolving"), (9.0, "connecting"), (9.0, "connected"), (30.0, "backoff"),
        (31.0, "resolving"), (31.0, "connecting"), (31.0, "connected"),
        (40.0, "stopping"), (40.0, "stopped"),
    ]  # fmt: skip
    # Each connection says hello with a heartbeat and repeats it every 10 s; each message frame is ACKed at once.
    stalled = world.sockets[1]
    assert [at for at, data in stalled.sent if data == HEARTBEAT] == [9.0, 19.0, 29.0]
    assert [at for at, data in stalled.sent if data != HEARTBEAT] == [9.5]
    assert [at for at, data in world.sockets[2].sent if data != HEARTBEAT] == [31.5, 32.5, 33.5]
    # The cursor of the last frame is what the next connection resumes from.
    assert client.status()["stats"]["connects"] == 3 and client.status()["stats"]["reconnects"] == 4
    assert client.state is ClientState.STOPPED


def test_blocked_and_challenged_answers_drop_cookies_and_wait_then_a_missing_room_fails(world: World) -> None:
    world.answers = [DeviceBlocked("DEVICE_BLOCKED"), EmptyAnswer("empty body"), RoomNotFound("no such room")]
    client = world.client()

    async def main() -> None:
        await client.start()
        await client.join()

    run(main)

    # A block waits device_blocked_backoff (300 s) whatever the policy says; an empty answer waits the policy's 2 s.
    assert world.resolved_at == [0.0, 300.0, 302.0]
    assert world.invalidated == 2
    assert [(at, reason.rsplit("; ", 1)[1]) for at, reason in world.backoffs()] == [
        (0.0, "retry in 300.0s"),
        (300.0, "retry in 2.0s"),
    ]
    assert world.states() == [
        (0.0, "resolving"), (0.0, "backoff"), (300.0, "resolving"), (300.0, "backoff"), (302.0, "resolving"),
        (302.0, "stopping"), (302.0, "failed"),
    ]  # fmt: skip
    assert client.status()["error"].startswith("room_not_found")
    assert world.sockets == []


def test_an_ended_answer_after_a_drop_is_confirmed_once_before_the_room_ends(world: World) -> None:
    # Dropped at 5 s; the room then says "ended" once, "live" (a blip: back to connecting), then "ended" twice.
    world.connections = [Conn(frames=[0.5], drop=5.0), Conn(frames=[0.5], drop=2.0)]
    world.answers = [LiveStatus.LIVE, LiveStatus.ENDED, LiveStatus.LIVE, LiveStatus.ENDED, LiveStatus.ENDED]
    client = world.client()

    async def main() -> None:
        await client.start()
        await client.join()

    run(main)

    assert world.resolved_at == [0.0, 6.0, 8.0, 11.0, 13.0]
    assert [(ws.opened, ws.closed_at) for ws in world.sockets] == [(0.0, 5.0), (8.0, 10.0)]
    assert [at for at, _ in world.backoffs()] == [5.0, 6.0, 10.0, 11.0]
    assert [reason.rsplit("; ", 1)[1] for _, reason in world.backoffs()] == [
        "retry in 1.0s", "retry in 2.0s", "retry in 1.0s", "retry in 2.0s",
    ]  # fmt: skip
    controls = [(at, e["data"]) for at, e in world.events if e["type"] == "control"]
    assert controls == [(13.0, {"status": "ended", "source": "http"})]
    assert world.states()[-2:] == [(13.0, "stopping"), (13.0, "ended")]
    assert client.state is ClientState.ENDED


def test_a_room_ended_before_the_first_connection_ends_at_once(world: World) -> None:
    world.answers = [LiveStatus.ENDED]
    client = world.client()

    async def main() -> None:
        await client.start()
        await client.join()

    run(main)

    assert world.states() == [(0.0, "resolving"), (0.0, "stopping"), (0.0, "ended")]
    assert world.sockets == [] and world.backoffs() == []
