"""The WebSocket ``signature`` (docs/protocol/douyin.md §2.4) and the configured signer.

The setting that picks the signer is described in docs/contracts.md, Douyin signer.

``x_ms_stub`` is the MD5 of 13 URL parameters in a fixed order. A signer turns it into the signature: ``js:PATH``
runs a JavaScript file that defines a global ``get_sign(x_ms_stub)`` in an embedded QuickJS (the ``quickjs``
package: 1-2 MB where V8 took 66 MB of the desktop build); ``none`` sends no signature. The project ships no
third-party signer code.

The script is not ours and runs on the signer's one thread, so every room would wait behind a ``get_sign`` that never
returns: loading the script and each call are bounded (``LOAD_TIMEOUT_S``, ``SIGN_TIMEOUT_S``; QuickJS stops the
script), and a timeout is a SignatureError that names the script.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol, TypeVar

from shared.platforms.douyin.errors import SignatureError, SignerNotConfigured

__all__ = [
    "LOAD_TIMEOUT_S",
    "SIGNED_KEYS",
    "SIGN_TIMEOUT_S",
    "JsSigner",
    "NoSigner",
    "Signer",
    "make_signer",
    "x_ms_stub",
]

log = logging.getLogger(__name__)

SIGNED_KEYS = (
    "live_id",
    "aid",
    "version_code",
    "webcast_sdk_version",
    "room_id",
    "sub_room_id",
    "sub_channel_id",
    "did_rule",
    "user_unique_id",
    "device_platform",
    "device_type",
    "ac",
    "identity",
)

HOW_TO_CONFIGURE = (
    "未配置抖音签名器 (no Douyin signer configured): 请把定义了全局函数 get_sign(x_ms_stub) 的 JavaScript 文件放到 "
    "$TIMAO_HOME/signer/sign.js，或设置 TIMAO_DOUYIN_SIGNER=js:/path/to/sign.js；"
    "只连接本地假服务器时可设 TIMAO_DOUYIN_SIGNER=none。"
)


def x_ms_stub(params: Mapping[str, str]) -> str:
    """Lowercase hex MD5 of ``k=v`` for the 13 signed keys in order, joined by commas (missing → empty)."""
    text = ",".join(f"{key}={params.get(key, '')}" for key in SIGNED_KEYS)
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()  # protocol, not security


class Signer(Protocol):
    name: str

    async def sign(self, stub: str) -> str | None:
        """The signature for ``stub``, or None to send the URL unsigned."""
        ...


class NoSigner:
    """Sends no signature: the real server refuses such connections (DEVICE_BLOCKED); the fake accepts them."""

    name = "none"

    async def sign(self, stub: str) -> str | None:
        return None


# A signature takes milliseconds; a script still running after this is broken (a loop, a wait for something that
# never comes). Generous, so that a slow machine never fails a sound script. QuickJS counts the process's CPU time
# (C clock()), so on a busy process a loop is stopped sooner than this in wall time, never a sound call.
SIGN_TIMEOUT_S = 5.0
LOAD_TIMEOUT_S = 10.0
# A runaway allocation fails the script (a SignatureError) instead of the fetcher.
MEMORY_LIMIT_BYTES = 256 * 1024 * 1024
# QuickJS's own default (256 KB) stops a plain recursion ~500 calls deep, where V8 goes ~10,000; 4 MB allows ~5,000,
# on a thread started with twice that, whatever the platform's default thread stack (1 MB on Windows).
JS_STACK_BYTES = 4 * 1024 * 1024
THREAD_STACK_BYTES = 2 * JS_STACK_BYTES

# What scripts written for V8 commonly use and QuickJS 2021-03-27 lacks (docs/contracts.md, Douyin signer): a silent
# console, and the ES2022/2023 methods .at, .findLast(Index) and Object.hasOwn.
_PRELUDE = r"""
(function () {
  function define(target, name, value) {
    if (!(name in target)) Object.defineProperty(target, name, {value: value, writable: true, configurable: true});
  }
  function at(i) {
    var n = this.length >>> 0; i = Math.trunc(i) || 0; if (i < 0) i += n;
    return i < 0 || i >= n ? undefined : this[i];
  }
  function findLastIndex(f, self) {
    for (var i = (this.length >>> 0) - 1; i >= 0; i--) if (f.call(self, this[i], i, this)) return i;
    return -1;
  }
  function findLast(f, self) { var i = findLastIndex.call(this, f, self); return i < 0 ? undefined : this[i]; }
  var typed = Object.getPrototypeOf(Uint8Array.prototype);
  [Array.prototype, typed].forEach(function (proto) {
    define(proto, "at", at); define(proto, "findLast", findLast); define(proto, "findLastIndex", findLastIndex);
  });
  define(String.prototype, "at", function (i) { return at.call(String(this), i); });
  define(Object, "hasOwn", function (o, key) { return Object.prototype.hasOwnProperty.call(Object(o), key); });
  var quiet = function () {};
  define(globalThis, "console", {log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet, trace: quiet});
})();
"""

_T = TypeVar("_T")


class _JsThread:
    """The one thread that creates and runs a signer's QuickJS context, which must never be used from two threads
    (not even one after the other). It holds the context, runs the jobs one at a time in order (that is the signer's
    lock), and ends, dropping the context, when its signer is collected."""

    def __init__(self, name: str) -> None:
        self.ctx: Any = None  # quickjs.Context, created by the signer's first job
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        previous = threading.stack_size(THREAD_STACK_BYTES)  # read by start(); other threads keep their own
        try:
            threading.Thread(target=self._run, name=name, daemon=True).start()
        finally:
            threading.stack_size(previous)

    def submit(self, job: Callable[[], _T]) -> Future[_T]:
        future: Future[_T] = Future()
        self._jobs.put((future, job))
        return future

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            future, job = item
            if future.set_running_or_notify_cancel():  # a room that gave up waiting costs no signature
                try:
                    future.set_result(job())
                except BaseException as exc:  # handed to the caller
                    future.set_exception(exc)
            del item, future, job  # the job holds the signer: let it be collected while this thread waits
        self.ctx = None


def _timed_out(exc: Exception) -> bool:
    """QuickJS stopped the script at its time limit (the interrupt handler's uncatchable error)."""
    return str(exc).startswith("InternalError: interrupted")


def _js_message(exc: Exception) -> str:
    """The JS error and its stack, on one line."""
    return " | ".join(line.strip() for line in str(exc).splitlines() if line.strip())


class JsSigner:
    """Runs ``get_sign(x_ms_stub)`` from a JavaScript file in an embedded QuickJS, one context per signer."""

    def __init__(
        self, path: Path | str, *, timeout: float = SIGN_TIMEOUT_S, load_timeout: float = LOAD_TIMEOUT_S
    ) -> None:
        self.path = Path(path)
        self.name = f"js:{self.path}"
        if not self.path.is_file():
            raise SignerNotConfigured(f"签名脚本不存在 (signer file not found): {self.path}. {HOW_TO_CONFIGURE}")
        self.timeout = timeout
        self.load_timeout = load_timeout
        self._start_lock = threading.Lock()
        self._thread: _JsThread | None = None  # started on first use
        # The last timeout (monotonic time, message): callers that queued behind it fail with it at once instead of
        # each waiting out a timeout of its own.
        self._timed_out: tuple[float, str] | None = None

    def _context(self, thread: _JsThread) -> Any:
        """The loaded context; on the signer's thread."""
        if thread.ctx is None:
            import quickjs  # imported lazily: only a js: signer needs the engine

            ctx = quickjs.Context()
            ctx.set_memory_limit(MEMORY_LIMIT_BYTES)
            ctx.set_max_stack_size(JS_STACK_BYTES)
            try:
                ctx.eval(_PRELUDE)
                ctx.set_time_limit(self.load_timeout)
                ctx.eval(self.path.read_text(encoding="utf-8"))
                ctx.set_time_limit(self.timeout)
                kind = ctx.eval("typeof get_sign")
            except quickjs.JSException as exc:
                if _timed_out(exc):
                    message = (
                        f"签名脚本加载超时 (signer script did not finish loading in {self.load_timeout:g}s; "
                        f"does {self.path} loop at the top level?)"
                    )
                    self._timed_out = (time.monotonic(), message)
                    raise SignatureError(message) from exc
                raise SignatureError(
                    f"签名脚本加载失败 (signer failed to load) {self.path}: {_js_message(exc)}"
                ) from exc
            except Exception as exc:  # an unreadable file, a value QuickJS cannot hand back
                raise SignatureError(f"签名脚本加载失败 (signer failed to load) {self.path}: {exc}") from exc
            if kind != "function":
                raise SignatureError(f"{self.path} 没有定义全局函数 get_sign(x_ms_stub) (defines no get_sign)")
            thread.ctx = ctx
        return thread.ctx

    def _sign_job(self, thread: _JsThread, stub: str, queued_at: float) -> str:
        if self._timed_out is not None and self._timed_out[0] >= queued_at:
            raise SignatureError(self._timed_out[1])  # timed out while this call waited: the same script
        import quickjs

        ctx = self._context(thread)
        try:
            value = ctx.get("get_sign")(stub)
        except quickjs.JSException as exc:
            if _timed_out(exc):  # QuickJS stopped the script; the context stays usable
                message = (
                    f"get_sign 超时 (signer timed out: get_sign did not return in {self.timeout:g}s; "
                    f"does {self.path} loop?)"
                )
                self._timed_out = (time.monotonic(), message)
                raise SignatureError(message) from exc
            raise SignatureError(f"get_sign 执行失败 (signer raised): {_js_message(exc)}") from exc
        except Exception as exc:  # get_sign is no longer a function, or returned what QuickJS cannot hand back
            raise SignatureError(f"get_sign 执行失败 (signer raised): {exc}") from exc
        if not isinstance(value, str) or not value:
            raise SignatureError(f"get_sign 返回了无效值 (signer returned {value!r}); 需要非空字符串")
        return value

    def _submit(self, stub: str) -> Future[str]:
        queued_at = time.monotonic()
        with self._start_lock:
            if self._thread is None:
                self._thread = _JsThread(f"js-signer-{self.path.name}")
                weakref.finalize(self, self._thread.stop)
            thread = self._thread
        return thread.submit(functools.partial(self._sign_job, thread, stub, queued_at))

    def sign_sync(self, stub: str) -> str:
        return self._submit(stub).result()

    async def sign(self, stub: str) -> str | None:
        # Waits on the signer's own thread, not in the default pool: after a failover hundreds of rooms sign at once.
        return await asyncio.wrap_future(self._submit(stub))


def make_signer(spec: str) -> Signer:
    """Build the signer of a setting value: ``js:PATH`` or ``none``; empty means not configured (an error)."""
    spec = spec.strip()
    if spec == "none":
        return NoSigner()
    if spec.startswith("js:") and spec[3:].strip():
        return JsSigner(spec[3:].strip())
    raise SignerNotConfigured(HOW_TO_CONFIGURE if not spec else f"无效的签名器设置 {spec!r}. {HOW_TO_CONFIGURE}")
