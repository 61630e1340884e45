"""A small asyncio client of the Chrome DevTools Protocol (CDP), over the ``websockets`` package.

Only what the product uses (docs/protocol/douyin.md §8): one WebSocket to the browser's DevTools endpoint
(``ws://127.0.0.1:<port>/devtools/browser/<id>``, read from ``<profile>/DevToolsActivePort``), a session per target
over that same socket (``Target.attachToTarget`` with ``flatten: true``, so every message carries its ``sessionId``),
commands with ids and timeouts, events delivered per session, and error types that say what happened:
``TargetCrashed`` (the renderer died), ``TargetDetached`` (the page was closed), ``BrowserGone`` (the socket to
the browser closed: it exited or was killed), ``CommandTimeout``, and ``ProtocolError`` for an error answer.

``Page`` is a page target: navigation with lifecycle waits, ``Runtime.evaluate`` (awaiting promises, values
returned by value), trusted mouse input (``Input.dispatchMouseEvent``), WebSocket frame events
(``Network.webSocketCreated`` / ``webSocketFrameReceived`` / ``webSocketClosed``) and crash events
(``Inspector.targetCrashed``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

__all__ = [
    "BrowserGone",
    "CDPError",
    "CommandTimeout",
    "Connection",
    "EvaluationError",
    "NavigationError",
    "Page",
    "ProtocolError",
    "Session",
    "TargetCrashed",
    "TargetDetached",
]

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 30.0
MAX_MESSAGE = 256 * 1024 * 1024  # a frame the page receives comes base64-encoded inside one event

Listener = Callable[[dict[str, Any]], None]


class CDPError(RuntimeError):
    """Anything that went wrong talking to the browser."""


class ProtocolError(CDPError):
    """The browser answered a command with an error."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        self.method = method
        self.code = error.get("code")
        self.detail = str(error.get("message", "")) + (f" ({error['data']})" if error.get("data") else "")
        super().__init__(f"{method}: {self.detail}")


class CommandTimeout(CDPError, TimeoutError):
    """No answer within the command's timeout."""


class BrowserGone(CDPError):
    """The DevTools socket closed: the browser exited, was killed or closed the connection."""


class TargetDetached(CDPError):
    """The target (a page) went away: closed by the user or by us, or its session was detached."""


class TargetCrashed(TargetDetached):
    """The target's renderer crashed."""


class NavigationError(CDPError):
    """A navigation failed (a network error, a timeout, a page closed meanwhile)."""


class EvaluationError(CDPError):
    """The page's script threw (or its promise rejected)."""


class _Target:
    """Pending commands and event listeners of one session (``None``: the browser itself)."""

    def __init__(self) -> None:
        self.pending: dict[int, tuple[str, asyncio.Future[dict[str, Any]]]] = {}
        self.listeners: dict[str, list[Listener]] = {}
        self.error: CDPError | None = None  # set once the session is over


class Connection:
    """The one DevTools WebSocket to a browser. Commands to the browser itself go through ``send``; a page's go
    through its ``Session`` (``attach``)."""

    def __init__(self, ws: ClientConnection, url: str) -> None:
        self._ws = ws
        self.url = url
        self._ids = itertools.count(1)
        self._sessions: dict[str | None, _Target] = {None: _Target()}
        self._close_callbacks: list[Callable[[], None]] = []
        self._closed = asyncio.Event()
        self.close_reason = ""
        self._reader = asyncio.get_running_loop().create_task(self._read(), name="cdp-reader")

    @classmethod
    async def connect(cls, url: str, *, timeout: float = COMMAND_TIMEOUT_S) -> Connection:
        """Connect to a browser's DevTools WebSocket (``ws://127.0.0.1:<port>/devtools/browser/<id>``)."""
        try:
            ws = await websockets.connect(
                url,
                max_size=MAX_MESSAGE,
                ping_interval=None,  # a local socket; a browser busy for seconds must not count as gone
                open_timeout=timeout,
                compression=None,
                proxy=None,
            )
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise BrowserGone(f"DevTools 连接失败 (cannot connect to {url}): {exc}") from exc
        return cls(ws, url)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def on_close(self, callback: Callable[[], None]) -> None:
        """``callback()`` (on the loop) once the socket is closed, whoever closed it."""
        if self.closed:
            asyncio.get_running_loop().call_soon(callback)
        else:
            self._close_callbacks.append(callback)

    def browser(self) -> Session:
        """The browser-level session (``Target.*``, ``Browser.*``, ``Storage.*``)."""
        return Session(self, None)

    async def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
        timeout: float = COMMAND_TIMEOUT_S,
    ) -> dict[str, Any]:
        target = self._sessions.get(session_id)
        if target is None:
            raise TargetDetached(f"{method}: 会话已结束 (session {session_id} is not attached)")
        if target.error is not None:
            raise type(target.error)(f"{method}: {target.error}")
        call_id = next(self._ids)
        message: dict[str, Any] = {"id": call_id, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        target.pending[call_id] = (method, future)
        try:
            await self._ws.send(orjson.dumps(message).decode())
            async with asyncio.timeout(timeout):
                answer = await future
        except ConnectionClosed as exc:
            raise BrowserGone(f"{method}: 浏览器连接已断开 (DevTools socket closed)") from exc
        except TimeoutError as exc:
            raise CommandTimeout(f"{method}: {timeout:g} 秒内没有回应 (no answer within {timeout:g} s)") from exc
        finally:
            target.pending.pop(call_id, None)
        if "error" in answer:
            raise ProtocolError(method, answer["error"])
        result: dict[str, Any] = answer.get("result", {})
        return result

    def add_listener(self, method: str, callback: Listener, session_id: str | None = None) -> Callable[[], None]:
        """Call ``callback(params)`` for each ``method`` event of a session; answers a remover."""
        target = self._sessions.get(session_id)
        if target is None:
            raise TargetDetached(f"session {session_id} is not attached")
        target.listeners.setdefault(method, []).append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                target.listeners.get(method, []).remove(callback)

        return remove

    async def attach(self, target_id: str, *, timeout: float = COMMAND_TIMEOUT_S) -> Session:
        """A session of its own on ``target_id`` (flattened: its messages share this socket)."""
        answer = await self.send("Target.attachToTarget", {"targetId": target_id, "flatten": True}, timeout=timeout)
        session_id = str(answer["sessionId"])
        self._sessions.setdefault(session_id, _Target())
        return Session(self, session_id, target_id)

    def detach_local(self, session_id: str, error: CDPError) -> None:
        """Forget a session: its pending commands fail with ``error``, later ones with the same kind."""
        target = self._sessions.pop(session_id, None)
        if target is None:
            return
        target.error = error
        for method, future in list(target.pending.values()):
            if not future.done():
                future.set_exception(type(error)(f"{method}: {error}"))
        target.pending.clear()
        self._emit(target, "__detached__", {"error": error})

    async def close(self) -> None:
        """Close the socket (the browser keeps running: ``Browser.close`` ends it)."""
        with contextlib.suppress(Exception):
            await self._ws.close()
        if not self._reader.done():
            self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader
        self._finish("closed by us")

    # -- the socket's reader ----------------------------------------------------------------------------------------

    async def _read(self) -> None:
        reason = "DevTools socket closed"
        try:
            async for raw in self._ws:
                try:
                    message = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    log.warning("cdp: a message that is no JSON (%d bytes) ignored", len(raw))
                    continue
                if isinstance(message, dict):
                    self._dispatch(message)
        except ConnectionClosed as exc:
            reason = f"DevTools socket closed ({exc})"
        except Exception as exc:  # never leave pending commands hanging
            log.exception("cdp: reader failed")
            reason = f"DevTools reader failed: {exc}"
        finally:
            self._finish(reason)

    def _dispatch(self, message: dict[str, Any]) -> None:
        session_id = message.get("sessionId")
        if "id" in message:
            target = self._sessions.get(session_id)
            entry = target.pending.get(message["id"]) if target is not None else None
            if entry is not None and not entry[1].done():
                entry[1].set_result(message)
            return
        method = message.get("method")
        if not isinstance(method, str):
            return
        params = message.get("params") or {}
        if method == "Target.detachedFromTarget" and session_id is None:
            gone = params.get("sessionId")
            if isinstance(gone, str):
                self.detach_local(gone, TargetDetached("页面已关闭 (target detached)"))
            return
        if method == "Inspector.targetCrashed" and session_id is not None:
            target = self._sessions.get(session_id)
            if target is not None:
                target.error = TargetCrashed("页面崩溃 (target crashed)")
                for name, future in list(target.pending.values()):
                    if not future.done():
                        future.set_exception(TargetCrashed(f"{name}: target crashed"))
        target = self._sessions.get(session_id)
        if target is not None:
            self._emit(target, method, params)

    def _emit(self, target: _Target, method: str, params: dict[str, Any]) -> None:
        for callback in list(target.listeners.get(method, ())):
            try:
                callback(params)
            except Exception:
                log.exception("cdp: %s listener failed", method)

    def _finish(self, reason: str) -> None:
        if self._closed.is_set():
            return
        self.close_reason = reason
        self._closed.set()
        error = BrowserGone(f"浏览器连接已断开 ({reason})")
        for session_id, target in list(self._sessions.items()):
            for method, future in list(target.pending.values()):
                if not future.done():
                    future.set_exception(BrowserGone(f"{method}: {reason}"))
            target.pending.clear()
            if session_id is not None:
                target.error = error
                self._emit(target, "__detached__", {"error": error})
        for callback in self._close_callbacks:
            try:
                callback()
            except Exception:
                log.exception("cdp: close callback failed")
        self._close_callbacks.clear()


class Session:
    """Commands to and events from one target (``session_id`` None: the browser)."""

    def __init__(self, connection: Connection, session_id: str | None, target_id: str | None = None) -> None:
        self.connection = connection
        self.session_id = session_id
        self.target_id = target_id

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float = COMMAND_TIMEOUT_S
    ) -> dict[str, Any]:
        return await self.connection.send(method, params, session_id=self.session_id, timeout=timeout)

    def on(self, method: str, callback: Listener) -> Callable[[], None]:
        return self.connection.add_listener(method, callback, self.session_id)

    def on_detached(self, callback: Callable[[CDPError], None]) -> Callable[[], None]:
        """``callback(error)`` when the session ends: ``TargetDetached``, ``TargetCrashed`` or ``BrowserGone``."""
        return self.on("__detached__", lambda params: callback(params["error"]))

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda _p: True,
        *,
        timeout: float = COMMAND_TIMEOUT_S,
    ) -> dict[str, Any]:
        """The next ``method`` event whose params satisfy ``predicate``; fails when the session ends first."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

        def seen(params: dict[str, Any]) -> None:
            if not future.done() and predicate(params):
                future.set_result(params)

        def ended(error: CDPError) -> None:
            if not future.done():
                future.set_exception(error)

        removers = [self.on(method, seen), self.on_detached(ended)]
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError as exc:
            raise CommandTimeout(f"{method}: {timeout:g} 秒内未发生 (not within {timeout:g} s)") from exc
        finally:
            for remove in removers:
                remove()


# Errors of a Runtime.evaluate sent while the page navigates: the document it ran in went away; try again.
_CONTEXT_GONE = (
    "Execution context was destroyed",
    "Cannot find default execution context",
    "Cannot find context with specified id",
    "Inspected target navigated or closed",
)


class Page:
    """A page target on its own session. ``Page.create`` opens one; ``close()`` closes it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.target_id = session.target_id or ""
        self._closed_error: CDPError | None = None
        self._crashed = False
        self._main_frame: str | None = None
        self._loaders: list[str] = []  # the main frame's documents, in the order they committed
        self._reached: dict[str, set[str]] = {}  # loaderId -> the lifecycle events it reached (main frame)
        self._changed = asyncio.Event()
        self._crash_callbacks: list[Callable[[], None]] = []
        self._ws_urls: dict[str, str] = {}
        session.on_detached(self._on_detached)
        session.on("Page.frameNavigated", self._on_navigated)
        session.on("Page.lifecycleEvent", self._on_lifecycle)
        session.on("Inspector.targetCrashed", lambda _p: self._on_crash())

    @classmethod
    async def create(
        cls, connection: Connection, *, new_window: bool = False, background: bool = True, url: str = "about:blank"
    ) -> Page:
        browser = connection.browser()
        params: dict[str, Any] = {"url": url}
        if new_window:
            params.update(newWindow=True, background=background)
        created = await browser.send("Target.createTarget", params)
        target_id = str(created["targetId"])
        try:
            session = await connection.attach(target_id)
            page = cls(session)
            await page._enable()
        except BaseException:
            with contextlib.suppress(Exception):
                await browser.send("Target.closeTarget", {"targetId": target_id}, timeout=5.0)
            raise
        return page

    async def _enable(self) -> None:
        await self.session.send("Page.enable")
        await self.session.send("Page.setLifecycleEventsEnabled", {"enabled": True})
        await self.session.send("Inspector.enable")
        tree = await self.session.send("Page.getFrameTree")
        frame = tree["frameTree"]["frame"]
        self._main_frame = str(frame["id"])
        if frame.get("loaderId"):
            self._loaders.append(str(frame["loaderId"]))

    # -- state ------------------------------------------------------------------------------------------------------

    def is_closed(self) -> bool:
        return self._closed_error is not None

    @property
    def closed_error(self) -> CDPError | None:
        return self._closed_error

    def on_crash(self, callback: Callable[[], None]) -> None:
        """``callback()`` when the page's renderer crashes (``Inspector.targetCrashed``)."""
        self._crash_callbacks.append(callback)

    def _on_detached(self, error: CDPError) -> None:
        if self._closed_error is None:
            self._closed_error = error
        self._changed.set()

    def _on_crash(self) -> None:
        self._crashed = True
        self._changed.set()
        for callback in list(self._crash_callbacks):
            try:
                callback()
            except Exception:
                log.exception("cdp: crash callback failed")

    def _on_navigated(self, params: dict[str, Any]) -> None:
        frame = params.get("frame") or {}
        if frame.get("parentId"):
            return
        self._main_frame = str(frame.get("id", self._main_frame))
        if frame.get("loaderId"):
            self._loaders.append(str(frame["loaderId"]))
        self._changed.set()

    def _on_lifecycle(self, params: dict[str, Any]) -> None:
        if params.get("frameId") != self._main_frame:
            return
        self._reached.setdefault(str(params.get("loaderId", "")), set()).add(str(params.get("name", "")))
        while len(self._reached) > 64:  # a page that reloads for hours: only recent documents matter
            del self._reached[next(iter(self._reached))]
        self._changed.set()

    def _check_open(self, what: str) -> None:
        if self._crashed:
            raise TargetCrashed(f"{what}: 页面崩溃 (target crashed)")
        if self._closed_error is not None:
            raise type(self._closed_error)(f"{what}: {self._closed_error}")

    # -- navigation -------------------------------------------------------------------------------------------------

    async def goto(self, url: str, *, wait_until: str = "domcontentloaded", timeout: float = 30.0) -> None:
        """Navigate and wait until the new document (or one that replaced it meanwhile, e.g. a challenge page
        that reloads itself) reached ``wait_until``: ``domcontentloaded`` or ``load``."""
        self._check_open("goto")
        async with self._deadline(timeout, f"goto {url}"):
            answer = await self.session.send("Page.navigate", {"url": url}, timeout=timeout)
            if answer.get("errorText"):
                raise NavigationError(f"打开 {url} 失败 (navigation failed): {answer['errorText']}")
            loader = answer.get("loaderId")
            if loader:  # a same-document navigation has none and nothing to wait for
                await self._wait_loaded(str(loader), wait_until)

    async def reload(self, *, wait_until: str = "domcontentloaded", timeout: float = 30.0) -> None:
        self._check_open("reload")
        async with self._deadline(timeout, "reload"):
            before = len(self._loaders)
            await self.session.send("Page.reload", timeout=timeout)
            while len(self._loaders) <= before:
                await self._wait_change()
            await self._wait_loaded(self._loaders[before], wait_until)

    async def _wait_loaded(self, loader: str, wait_until: str) -> None:
        name = {"domcontentloaded": "DOMContentLoaded", "load": "load"}[wait_until]
        while True:
            self._check_open("navigation")
            # This document, or any that committed after it in the main frame.
            if loader in self._loaders:
                later = self._loaders[self._loaders.index(loader) :]
                if any(name in self._reached.get(lid, ()) for lid in later):
                    return
            await self._wait_change()

    async def _wait_change(self) -> None:
        self._changed.clear()
        await self._changed.wait()

    @contextlib.asynccontextmanager
    async def _deadline(self, timeout: float, what: str) -> Any:
        try:
            async with asyncio.timeout(timeout):
                yield
        except TimeoutError as exc:
            raise NavigationError(f"{what}: {timeout:g} 秒内未完成 (timed out after {timeout:g} s)") from exc

    # -- scripts ----------------------------------------------------------------------------------------------------

    async def evaluate(self, script: str, *args: Any, timeout: float = COMMAND_TIMEOUT_S) -> Any:
        """Run ``script`` in the page and answer its value (promises awaited, the value returned as JSON).

        ``script`` is an expression, or a function expression called with ``args`` (each passed as JSON). A script
        run while the page navigates runs again in the new document."""
        # As a browser automation library does it: a function is called (with the arguments), anything else is
        # the value; promises are awaited either way.
        passed = ", ".join(json.dumps(a, ensure_ascii=False) for a in args)
        expression = (
            f"(async () => {{ const __v = ({script});\n"
            f" return typeof __v === 'function' ? await __v({passed}) : await __v; }})()"
        )
        deadline = time.monotonic() + timeout
        while True:
            self._check_open("evaluate")
            try:
                answer = await self.session.send(
                    "Runtime.evaluate",
                    {"expression": expression, "awaitPromise": True, "returnByValue": True, "userGesture": False},
                    timeout=max(deadline - time.monotonic(), 0.1),
                )
            except ProtocolError as exc:
                if any(marker in exc.detail for marker in _CONTEXT_GONE) and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                    continue
                raise
            details = answer.get("exceptionDetails")
            if details is not None:
                text = (details.get("exception") or {}).get("description") or details.get("text") or "error"
                if any(marker in str(text) for marker in _CONTEXT_GONE) and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                    continue
                raise EvaluationError(f"页面脚本出错 (script error): {str(text).splitlines()[0][:300]}")
            result = answer.get("result") or {}
            return result.get("value")

    async def wait_for_function(self, script: str, *, timeout: float = 30.0, interval: float = 0.1) -> Any:
        """Poll the expression ``script`` until its value is truthy; answers the value."""
        deadline = time.monotonic() + timeout
        while True:
            value = await self.evaluate(script, timeout=max(deadline - time.monotonic(), 0.1))
            if value:
                return value
            if time.monotonic() >= deadline:
                raise CommandTimeout(f"页面条件 {timeout:g} 秒内未满足 (condition not met within {timeout:g} s)")
            await asyncio.sleep(interval)

    async def title(self) -> str:
        return str(await self.evaluate("document.title") or "")

    # -- input and window -------------------------------------------------------------------------------------------

    async def viewport(self) -> tuple[float, float]:
        """The layout viewport's width and height in CSS pixels."""
        metrics = await self.session.send("Page.getLayoutMetrics")
        view = metrics.get("cssLayoutViewport") or metrics.get("layoutViewport") or {}
        return float(view.get("clientWidth") or 800), float(view.get("clientHeight") or 600)

    async def mouse_move(self, x: float, y: float) -> None:
        """A trusted mouse move (the page sees ``isTrusted`` events)."""
        await self.session.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})

    async def click(self, x: float, y: float) -> None:
        """A trusted left click at (x, y)."""
        await self.mouse_move(x, y)
        for kind in ("mousePressed", "mouseReleased"):
            await self.session.send(
                "Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}
            )

    async def click_selector(self, selectors: Iterable[str], *, text: str | None = None) -> bool:
        """Click the first visible element matching one of ``selectors`` (and containing ``text`` when given) with
        trusted input; False when none is shown."""
        finder = """(selectors, text) => {
          for (const sel of selectors) {
            for (const el of document.querySelectorAll(sel)) {
              if (text && !(el.textContent || "").includes(text)) continue;
              const r = el.getBoundingClientRect();
              const style = getComputedStyle(el);
              if (r.width > 0 && r.height > 0 && style.visibility !== "hidden" && style.display !== "none") {
                el.scrollIntoView({block: "center", inline: "center"});
                const b = el.getBoundingClientRect();
                return [b.left + b.width / 2, b.top + b.height / 2];
              }
            }
          }
          return null;
        }"""
        point = await self.evaluate(finder, list(selectors), text)
        if not point:
            return False
        await self.click(float(point[0]), float(point[1]))
        return True

    async def bring_to_front(self) -> None:
        await self.session.send("Page.bringToFront")

    # -- the page's WebSockets --------------------------------------------------------------------------------------

    async def watch_websockets(
        self,
        *,
        on_created: Callable[[str, str], None],
        on_frame: Callable[[str, bytes | str], None],
        on_closed: Callable[[str], None],
        on_sent: Callable[[str], None] | None = None,
    ) -> None:
        """Enable the Network domain and report the page's WebSockets: ``on_created(request_id, url)``,
        ``on_frame(request_id, payload)`` for each received frame (bytes for a binary frame, str for text),
        ``on_sent(request_id)`` for each frame the page sent, and ``on_closed(request_id)``."""

        def frame(params: dict[str, Any]) -> None:
            response = params.get("response") or {}
            data = response.get("payloadData", "")
            payload: bytes | str
            if response.get("opcode") == 2:
                try:
                    payload = base64.b64decode(data)
                except ValueError:
                    log.warning("cdp: a binary frame that is no base64 ignored")
                    return
            elif response.get("opcode") == 1:
                payload = str(data)
            else:
                return
            on_frame(str(params.get("requestId", "")), payload)

        self.session.on("Network.webSocketCreated", lambda p: on_created(str(p.get("requestId", "")), p["url"]))
        self.session.on("Network.webSocketFrameReceived", frame)
        self.session.on("Network.webSocketClosed", lambda p: on_closed(str(p.get("requestId", ""))))
        if on_sent is not None:
            self.session.on("Network.webSocketFrameSent", lambda p: on_sent(str(p.get("requestId", ""))))
        await self.session.send("Network.enable", {"maxTotalBufferSize": 0, "maxResourceBufferSize": 0})

    # -- closing ----------------------------------------------------------------------------------------------------

    async def close(self, *, timeout: float = 5.0) -> None:
        """Close the page (nothing when it is closed already or the browser is gone)."""
        if self.is_closed() or self.session.connection.closed:
            return
        with contextlib.suppress(CDPError):
            await self.session.connection.browser().send(
                "Target.closeTarget", {"targetId": self.target_id}, timeout=timeout
            )
