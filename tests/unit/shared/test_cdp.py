"""shared/cdp.py against a tiny in-process DevTools WebSocket: ids and answers, timeouts, events per session, the
error kinds (detached, crashed, browser gone), navigation waits, evaluation, and a page's WebSocket frames. The
real-Chromium side is in tests/e2e/browser and tests/e2e/douyin."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from launcher.redis_embedded import free_port
from shared.browser import _cookie_param, _read_endpoint, cookie_matches
from shared.cdp import (
    BrowserGone,
    CommandTimeout,
    Connection,
    EvaluationError,
    NavigationError,
    Page,
    ProtocolError,
    TargetCrashed,
    TargetDetached,
)

Handler = Callable[["FakeDevTools", dict[str, Any], str | None], Awaitable[dict[str, Any] | None]]
SILENT = object()  # a handler answer: never answer


class FakeDevTools:
    """One DevTools client at a time; each command goes to ``handlers[method]`` (answer, raise for an error,
    None for an empty result). Unknown methods answer empty. ``emit`` pushes an event."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.calls: list[tuple[str, dict[str, Any], str | None]] = []
        self.ws: ServerConnection | None = None
        self.server: Server | None = None
        self.connected = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = next(iter(self.server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/devtools/browser/fake"

    def methods(self) -> list[str]:
        return [m for m, _p, _s in self.calls]

    async def emit(self, method: str, params: dict[str, Any], session_id: str | None = None) -> None:
        message: dict[str, Any] = {"method": method, "params": params}
        if session_id is not None:
            message["sessionId"] = session_id
        assert self.ws is not None
        await self.ws.send(json.dumps(message))

    async def _serve(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.connected.set()
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                message = json.loads(raw)
                task = asyncio.create_task(self._answer(ws, message))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _answer(self, ws: ServerConnection, message: dict[str, Any]) -> None:
        method, params, session_id = message["method"], message.get("params", {}), message.get("sessionId")
        self.calls.append((method, params, session_id))
        handler = self.handlers.get(method)
        reply: dict[str, Any] = {"id": message["id"]}
        if session_id is not None:
            reply["sessionId"] = session_id
        try:
            result = await handler(self, params, session_id) if handler is not None else None
        except LookupError as exc:
            reply["error"] = {"code": -32000, "message": str(exc.args[0])}
        else:
            if result is SILENT:
                return
            reply["result"] = result or {}
        with contextlib.suppress(ConnectionClosed):
            await ws.send(json.dumps(reply))

    async def close_client(self) -> None:
        assert self.ws is not None
        await self.ws.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDevTools]:
    devtools = FakeDevTools()
    async with serve(devtools._serve, "127.0.0.1", 0) as server:
        devtools.server = server
        yield devtools
        for task in list(devtools._tasks):
            task.cancel()
        await asyncio.gather(*devtools._tasks, return_exceptions=True)


@pytest.fixture
async def conn(fake: FakeDevTools) -> AsyncIterator[Connection]:
    connection = await Connection.connect(fake.url, timeout=5)
    yield connection
    await connection.close()


def answer(result: dict[str, Any] | None = None, *, delay: float = 0.0) -> Handler:
    async def handler(_fake: FakeDevTools, _params: dict[str, Any], _sid: str | None) -> dict[str, Any] | None:
        if delay:
            await asyncio.sleep(delay)
        return result

    return handler


def silent() -> Handler:
    async def handler(_fake: FakeDevTools, _params: dict[str, Any], _sid: str | None) -> Any:
        return SILENT

    return handler


def page_target(fake: FakeDevTools, *, session: str = "S1", frame: str = "F1", loader: str = "L0") -> None:
    """What Target.createTarget / attachToTarget / Page.getFrameTree answer for one page."""
    fake.handlers["Target.createTarget"] = answer({"targetId": "T1"})
    fake.handlers["Target.attachToTarget"] = answer({"sessionId": session})
    fake.handlers["Page.getFrameTree"] = answer({"frameTree": {"frame": {"id": frame, "loaderId": loader}}})


# -- the connection ---------------------------------------------------------------------------------------------


async def test_answers_are_matched_by_id_not_by_order(fake: FakeDevTools, conn: Connection) -> None:
    fake.handlers["Slow.call"] = answer({"who": "slow"}, delay=0.3)
    fake.handlers["Fast.call"] = answer({"who": "fast"})
    slow = asyncio.create_task(conn.send("Slow.call"))
    fast = asyncio.create_task(conn.send("Fast.call", {"x": 1}))
    assert await fast == {"who": "fast"}
    assert not slow.done()
    assert await slow == {"who": "slow"}
    assert [p for m, p, _s in fake.calls if m == "Fast.call"] == [{"x": 1}]


async def test_an_error_answer_is_a_protocol_error_with_the_method(fake: FakeDevTools, conn: Connection) -> None:
    async def refuse(_f: FakeDevTools, _p: dict[str, Any], _s: str | None) -> dict[str, Any]:
        raise LookupError("No target with given id found")

    fake.handlers["Target.closeTarget"] = refuse
    with pytest.raises(ProtocolError, match=r"Target.closeTarget: No target with given id found") as caught:
        await conn.send("Target.closeTarget", {"targetId": "nope"})
    assert caught.value.code == -32000


async def test_a_command_without_answer_times_out_and_the_connection_goes_on(
    fake: FakeDevTools, conn: Connection
) -> None:
    fake.handlers["Never.answers"] = silent()
    with pytest.raises(CommandTimeout, match=r"Never\.answers") as caught:
        await conn.send("Never.answers", timeout=0.2)
    assert isinstance(caught.value, TimeoutError)
    assert await conn.send("Browser.getVersion") == {}


async def test_events_go_to_their_own_session_only(fake: FakeDevTools, conn: Connection) -> None:
    fake.handlers["Target.attachToTarget"] = answer({"sessionId": "A"})
    a = await conn.attach("TA")
    fake.handlers["Target.attachToTarget"] = answer({"sessionId": "B"})
    b = await conn.attach("TB")
    seen: dict[str, list[Any]] = {"a": [], "b": [], "browser": []}
    a.on("Thing.happened", lambda p: seen["a"].append(p["n"]))
    remove_b = b.on("Thing.happened", lambda p: seen["b"].append(p["n"]))
    conn.browser().on("Thing.happened", lambda p: seen["browser"].append(p["n"]))
    await fake.emit("Thing.happened", {"n": 1}, "A")
    await fake.emit("Thing.happened", {"n": 2}, "B")
    await fake.emit("Thing.happened", {"n": 3})
    waiter = asyncio.create_task(a.wait_for("Thing.happened", lambda p: p["n"] == 5, timeout=5))
    await asyncio.sleep(0.05)
    await fake.emit("Thing.happened", {"n": 4}, "A")
    await fake.emit("Thing.happened", {"n": 5}, "A")
    assert (await waiter)["n"] == 5
    remove_b()
    await fake.emit("Thing.happened", {"n": 6}, "B")
    await a.send("Runtime.enable")
    assert seen == {"a": [1, 4, 5], "b": [2], "browser": [3]}
    assert ("Runtime.enable", {}, "A") in fake.calls  # the session id goes with the command


async def test_a_detached_session_fails_its_pending_and_later_commands(fake: FakeDevTools, conn: Connection) -> None:
    fake.handlers["Target.attachToTarget"] = answer({"sessionId": "S"})
    fake.handlers["Page.navigate"] = silent()
    session = await conn.attach("T")
    ended: list[Exception] = []
    session.on_detached(ended.append)
    pending = asyncio.create_task(session.send("Page.navigate", {"url": "about:blank"}))
    await asyncio.sleep(0.05)
    await fake.emit("Target.detachedFromTarget", {"sessionId": "S", "targetId": "T"})
    with pytest.raises(TargetDetached, match=r"Page\.navigate"):
        await pending
    with pytest.raises(TargetDetached):
        await session.send("Page.reload")
    assert len(ended) == 1 and isinstance(ended[0], TargetDetached)
    assert await conn.send("Browser.getVersion") == {}  # the browser session is untouched


async def test_a_crashed_target_fails_its_commands_and_tells_the_page(fake: FakeDevTools, conn: Connection) -> None:
    page_target(fake)
    page = await Page.create(conn)
    crashed: list[bool] = []
    page.on_crash(lambda: crashed.append(True))
    fake.handlers["Runtime.evaluate"] = silent()
    pending = asyncio.create_task(page.evaluate("1 + 1"))
    await asyncio.sleep(0.05)
    await fake.emit("Inspector.targetCrashed", {}, "S1")
    with pytest.raises(TargetCrashed):
        await pending
    with pytest.raises(TargetCrashed):
        await page.goto("http://127.0.0.1:1/")
    assert crashed == [True] and not page.is_closed()  # crashed, but still there to be closed
    await page.close()
    assert ("Target.closeTarget", {"targetId": "T1"}, None) in fake.calls


async def test_the_browser_going_away_fails_everything_and_is_heard(fake: FakeDevTools, conn: Connection) -> None:
    page_target(fake)
    page = await Page.create(conn)
    gone = asyncio.Event()
    conn.on_close(gone.set)
    fake.handlers["Runtime.evaluate"] = silent()
    fake.handlers["Never.answers"] = silent()
    pending = asyncio.create_task(page.evaluate("1"))
    browser_pending = asyncio.create_task(_never(conn))
    await asyncio.sleep(0.05)
    await fake.close_client()
    with pytest.raises(BrowserGone):
        await pending
    with pytest.raises(BrowserGone):
        await browser_pending
    await asyncio.wait_for(gone.wait(), 5)
    assert conn.closed and page.is_closed() and isinstance(page.closed_error, BrowserGone)
    with pytest.raises(BrowserGone):
        await conn.send("Browser.getVersion")
    await page.close()  # nothing to do, no error


async def _never(conn: Connection) -> dict[str, Any]:
    return await conn.send("Never.answers", timeout=10)


async def test_no_browser_behind_the_url_is_browser_gone() -> None:
    with pytest.raises(BrowserGone, match="DevTools"):
        await Connection.connect(f"ws://127.0.0.1:{free_port()}/devtools/browser/x", timeout=3)


# -- pages ------------------------------------------------------------------------------------------------------


async def test_create_enables_what_a_page_needs_and_closes_the_target_on_failure(
    fake: FakeDevTools, conn: Connection
) -> None:
    page_target(fake)
    page = await Page.create(conn, new_window=True, background=False)
    assert fake.calls[0] == (
        "Target.createTarget",
        {"url": "about:blank", "newWindow": True, "background": False},
        None,
    )
    assert ("Target.attachToTarget", {"targetId": "T1", "flatten": True}, None) in fake.calls
    assert {"Page.enable", "Page.setLifecycleEventsEnabled", "Inspector.enable"} <= set(fake.methods())
    assert page.target_id == "T1" and not page.is_closed()

    async def refuse(_f: FakeDevTools, _p: dict[str, Any], _s: str | None) -> dict[str, Any]:
        raise LookupError("Page.enable failed")

    fake.handlers["Page.enable"] = refuse
    fake.calls.clear()
    with pytest.raises(ProtocolError):
        await Page.create(conn)
    assert fake.methods()[-1] == "Target.closeTarget"  # no half-made page left behind


async def test_goto_waits_for_its_document_or_the_one_that_replaced_it(fake: FakeDevTools, conn: Connection) -> None:
    page_target(fake)
    page = await Page.create(conn)
    fake.handlers["Page.navigate"] = answer({"frameId": "F1", "loaderId": "L1"})
    nav = asyncio.create_task(page.goto("http://127.0.0.1:1/room", timeout=5))
    await asyncio.sleep(0.05)
    await fake.emit("Page.frameNavigated", {"frame": {"id": "F1", "loaderId": "L1"}}, "S1")
    await fake.emit("Page.lifecycleEvent", {"frameId": "F1", "loaderId": "L1", "name": "init"}, "S1")
    await fake.emit("Page.lifecycleEvent", {"frameId": "SUB", "loaderId": "L1", "name": "DOMContentLoaded"}, "S1")
    await asyncio.sleep(0.05)
    assert not nav.done()  # a child frame's event is not the page's
    # The first document reloads itself (a challenge page) before its DOMContentLoaded: the next one counts.
    await fake.emit("Page.frameNavigated", {"frame": {"id": "F1", "loaderId": "L2"}}, "S1")
    await fake.emit("Page.lifecycleEvent", {"frameId": "F1", "loaderId": "L2", "name": "DOMContentLoaded"}, "S1")
    await asyncio.wait_for(nav, 5)

    fake.handlers["Page.navigate"] = answer({"frameId": "F1", "loaderId": "L3", "errorText": "net::ERR_REFUSED"})
    with pytest.raises(NavigationError, match="ERR_REFUSED"):
        await page.goto("http://127.0.0.1:1/")
    fake.handlers["Page.navigate"] = answer({"frameId": "F1", "loaderId": "L4"})
    with pytest.raises(NavigationError, match="timed out"):
        await page.goto("http://127.0.0.1:1/", timeout=0.3)
    fake.handlers["Page.navigate"] = answer({"frameId": "F1"})  # same document: nothing to wait for
    await asyncio.wait_for(page.goto("http://127.0.0.1:1/#x"), 2)


async def test_goto_fails_at_once_when_the_page_is_closed_meanwhile(fake: FakeDevTools, conn: Connection) -> None:
    page_target(fake)
    page = await Page.create(conn)
    fake.handlers["Page.navigate"] = answer({"frameId": "F1", "loaderId": "L1"})
    nav = asyncio.create_task(page.goto("http://127.0.0.1:1/", timeout=30))
    await asyncio.sleep(0.05)
    await fake.emit("Target.detachedFromTarget", {"sessionId": "S1", "targetId": "T1"})
    with pytest.raises(TargetDetached):
        await asyncio.wait_for(nav, 2)
    assert page.is_closed()


async def test_evaluate_calls_functions_with_json_args_and_retries_a_navigated_context(
    fake: FakeDevTools, conn: Connection
) -> None:
    page_target(fake)
    page = await Page.create(conn)
    expressions: list[str] = []
    answers: list[dict[str, Any]] = [
        {"exceptionDetails": {"text": "Uncaught", "exception": {"description": "Execution context was destroyed."}}},
        {"result": {"type": "number", "value": 3}},
        {"result": {"type": "undefined"}},
        {"exceptionDetails": {"text": "Uncaught", "exception": {"description": "Error: boom\n    at <anonymous>"}}},
    ]

    async def evaluate(_f: FakeDevTools, params: dict[str, Any], _s: str | None) -> dict[str, Any]:
        assert params["awaitPromise"] and params["returnByValue"]
        expressions.append(params["expression"])
        return answers.pop(0)

    fake.handlers["Runtime.evaluate"] = evaluate
    assert await page.evaluate("(a, b) => a + b", 1, "二") == 3  # the first try hit a navigation
    assert len(expressions) == 2 and '1, "二"' in expressions[0]
    assert "typeof __v === 'function'" in expressions[0]
    assert await page.evaluate("void 0") is None
    with pytest.raises(EvaluationError, match=r"Error: boom$"):
        await page.evaluate("x()")


async def test_wait_for_function_polls_until_truthy(fake: FakeDevTools, conn: Connection) -> None:
    page_target(fake)
    page = await Page.create(conn)
    values = iter([False, None, 0, {"ok": 1}])
    fake.handlers["Runtime.evaluate"] = lambda _f, _p, _s: _value(next(values, False))
    assert await page.wait_for_function("window.ready", timeout=5, interval=0.01) == {"ok": 1}
    fake.handlers["Runtime.evaluate"] = lambda _f, _p, _s: _value(False)
    with pytest.raises(CommandTimeout):
        await page.wait_for_function("window.never", timeout=0.2, interval=0.01)


async def _value(value: Any) -> dict[str, Any]:
    return {"result": {"value": value}}


async def test_websocket_frames_of_the_page(fake: FakeDevTools, conn: Connection) -> None:
    page_target(fake)
    page = await Page.create(conn)
    got: list[tuple[str, Any]] = []
    await page.watch_websockets(
        on_created=lambda rid, url: got.append(("created", (rid, url))),
        on_frame=lambda rid, payload: got.append(("frame", (rid, payload))),
        on_closed=lambda rid: got.append(("closed", rid)),
        on_sent=lambda rid: got.append(("sent", rid)),
    )
    assert "Network.enable" in fake.methods()
    binary = bytes(range(256))
    await fake.emit("Network.webSocketCreated", {"requestId": "R1", "url": "wss://x/webcast/im/push/v2/"}, "S1")
    await fake.emit(
        "Network.webSocketFrameReceived",
        {"requestId": "R1", "response": {"opcode": 2, "payloadData": base64.b64encode(binary).decode()}},
        "S1",
    )
    await fake.emit(
        "Network.webSocketFrameReceived", {"requestId": "R1", "response": {"opcode": 1, "payloadData": "hi"}}, "S1"
    )
    await fake.emit(
        "Network.webSocketFrameReceived", {"requestId": "R1", "response": {"opcode": 9, "payloadData": ""}}, "S1"
    )
    await fake.emit("Network.webSocketFrameSent", {"requestId": "R1", "response": {"opcode": 2}}, "S1")
    await fake.emit("Network.webSocketClosed", {"requestId": "R1"}, "S1")
    await page.session.send("Runtime.enable")  # every event before this answer has been handled
    assert got == [
        ("created", ("R1", "wss://x/webcast/im/push/v2/")),
        ("frame", ("R1", binary)),
        ("frame", ("R1", "hi")),
        ("sent", "R1"),
        ("closed", "R1"),
    ]


async def test_trusted_mouse_input_and_a_click_on_a_selector(fake: FakeDevTools, conn: Connection) -> None:
    page_target(fake)
    page = await Page.create(conn)
    fake.handlers["Runtime.evaluate"] = lambda _f, _p, _s: _value([100.5, 40])
    assert await page.click_selector(["#login_button"])
    mouse = [p for m, p, _s in fake.calls if m == "Input.dispatchMouseEvent"]
    assert [m["type"] for m in mouse] == ["mouseMoved", "mousePressed", "mouseReleased"]
    assert all((m["x"], m["y"]) == (100.5, 40.0) for m in mouse)
    fake.handlers["Runtime.evaluate"] = lambda _f, _p, _s: _value(None)
    assert not await page.click_selector(["button"], text="登录")


# -- the browser owner's cookie helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cookie", "url", "sent"),
    [
        ({"domain": "127.0.0.1", "path": "/"}, "http://127.0.0.1:9000/live", True),
        ({"domain": "127.0.0.1", "path": "/"}, "http://localhost:9000/", False),
        ({"domain": ".douyin.com", "path": "/"}, "https://live.douyin.com/123", True),
        ({"domain": ".douyin.com", "path": "/"}, "https://douyin.com/", True),
        ({"domain": ".douyin.com", "path": "/"}, "https://notdouyin.com/", False),
        ({"domain": "live.douyin.com", "path": "/"}, "https://www.douyin.com/", False),
        ({"domain": "live.douyin.com", "path": "/webcast"}, "https://live.douyin.com/webcast/im", True),
        ({"domain": "live.douyin.com", "path": "/webcast"}, "https://live.douyin.com/webcastx", False),
        ({"domain": ".douyin.com", "path": "/", "secure": True}, "http://live.douyin.com/", False),
        ({"domain": "127.0.0.1", "path": "/", "secure": True}, "http://127.0.0.1:1/", True),
    ],
)
def test_cookie_matching_follows_the_browser(cookie: dict[str, Any], url: str, sent: bool) -> None:
    assert cookie_matches(cookie, url) is sent


def test_a_kept_cookie_is_put_back_as_it_was() -> None:
    host_only = {"name": "a", "value": "1", "domain": "127.0.0.1", "path": "/", "secure": False, "session": True,
                 "expires": -1, "httpOnly": True, "size": 2}  # fmt: skip
    assert _cookie_param(host_only) == {
        "name": "a", "value": "1", "path": "/", "url": "http://127.0.0.1/", "secure": False, "httpOnly": True,
    }  # fmt: skip
    domain = {"name": "b", "value": "2", "domain": ".douyin.com", "path": "/", "secure": True, "session": False,
              "expires": 1900000000.5, "sameSite": "None"}  # fmt: skip
    assert _cookie_param(domain) == {
        "name": "b", "value": "2", "path": "/", "domain": ".douyin.com", "secure": True, "sameSite": "None",
        "expires": 1900000000.5,
    }  # fmt: skip


def test_the_endpoint_comes_from_devtools_active_port(tmp_path: Path) -> None:
    port_file = tmp_path / "DevToolsActivePort"
    assert _read_endpoint(port_file) is None
    port_file.write_text("41234\n")  # written in two steps by some builds: not ready yet
    assert _read_endpoint(port_file) is None
    port_file.write_text("41234\n/devtools/browser/1f2e-aa\n")
    assert _read_endpoint(port_file) == "ws://127.0.0.1:41234/devtools/browser/1f2e-aa"
    port_file.write_text("0\n/devtools/browser/x\n")
    assert _read_endpoint(port_file) is None
