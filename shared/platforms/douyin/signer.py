"""The WebSocket ``signature`` (docs/protocol/douyin.md §2.4) and the configured signer.

The setting that picks the signer is described in docs/contracts.md, Douyin signer.

``x_ms_stub`` is the MD5 of 13 URL parameters in a fixed order. A signer turns it into the signature: ``js:PATH``
runs a JavaScript file that defines a global ``get_sign(x_ms_stub)`` in an embedded V8 (mini-racer); ``none``
sends no signature. The project ships no third-party signer code.

The script is not ours and runs with the signer's lock held, so every room would wait behind a ``get_sign`` that never
returns: loading the script and each call are bounded (``LOAD_TIMEOUT_S``, ``SIGN_TIMEOUT_S``; V8 stops the script),
and a timeout is a SignatureError that names the script.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

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
# never comes). Generous, so that a slow machine never fails a sound script.
SIGN_TIMEOUT_S = 5.0
LOAD_TIMEOUT_S = 10.0


def _settle(ctx: Any) -> None:
    """Wait until V8 has finished stopping a timed-out script. mini-racer stops it asynchronously; a context closed
    (or garbage-collected) before the stop is reported raises from a ctypes callback. A trivial evaluation queues
    behind the stop."""
    with contextlib.suppress(Exception):  # whatever it says, the timeout is what gets reported
        ctx.eval("0", timeout_sec=LOAD_TIMEOUT_S)


class JsSigner:
    """Runs ``get_sign(x_ms_stub)`` from a JavaScript file in an embedded V8, one context per signer."""

    def __init__(
        self, path: Path | str, *, timeout: float = SIGN_TIMEOUT_S, load_timeout: float = LOAD_TIMEOUT_S
    ) -> None:
        self.path = Path(path)
        self.name = f"js:{self.path}"
        if not self.path.is_file():
            raise SignerNotConfigured(f"签名脚本不存在 (signer file not found): {self.path}. {HOW_TO_CONFIGURE}")
        self.timeout = timeout
        self.load_timeout = load_timeout
        self._lock = threading.Lock()
        self._ctx: Any = None  # py_mini_racer.MiniRacer, created on first use
        # The last timeout (monotonic time, message): callers that queued behind it fail with it at once instead of
        # each waiting out a timeout of its own.
        self._timed_out: tuple[float, str] | None = None

    def _context(self) -> Any:
        if self._ctx is None:
            from py_mini_racer import MiniRacer  # imported lazily: V8 start-up is not free

            ctx = MiniRacer()
            try:
                ctx.eval(self.path.read_text(encoding="utf-8"), timeout_sec=self.load_timeout)
                kind = ctx.eval("typeof get_sign", timeout_sec=self.timeout)
            except TimeoutError as exc:  # mini-racer's JSTimeoutException: V8 stopped the script
                message = (
                    f"签名脚本加载超时 (signer script did not finish loading in {self.load_timeout:g}s; "
                    f"does {self.path} loop at the top level?)"
                )
                self._timed_out = (time.monotonic(), message)
                _settle(ctx)
                ctx.close()
                raise SignatureError(message) from exc
            except Exception as exc:  # mini-racer raises its own JS error family; translate all of them here
                raise SignatureError(f"签名脚本加载失败 (signer failed to load) {self.path}: {exc}") from exc
            if kind != "function":
                raise SignatureError(f"{self.path} 没有定义全局函数 get_sign(x_ms_stub) (defines no get_sign)")
            self._ctx = ctx
        return self._ctx

    def sign_sync(self, stub: str) -> str:
        queued_at = time.monotonic()
        with self._lock:  # a V8 context is used by one thread at a time
            if self._timed_out is not None and self._timed_out[0] >= queued_at:
                raise SignatureError(self._timed_out[1])  # timed out while this call waited: the same script
            ctx = self._context()
            try:
                value = ctx.call("get_sign", stub, timeout_sec=self.timeout)
            except TimeoutError as exc:  # V8 stopped the script; the context stays usable
                message = (
                    f"get_sign 超时 (signer timed out: get_sign did not return in {self.timeout:g}s; "
                    f"does {self.path} loop?)"
                )
                self._timed_out = (time.monotonic(), message)
                _settle(ctx)
                raise SignatureError(message) from exc
            except Exception as exc:  # JS exceptions from mini-racer
                raise SignatureError(f"get_sign 执行失败 (signer raised): {exc}") from exc
        if not isinstance(value, str) or not value:
            raise SignatureError(f"get_sign 返回了无效值 (signer returned {value!r}); 需要非空字符串")
        return value

    async def sign(self, stub: str) -> str | None:
        return await asyncio.to_thread(self.sign_sync, stub)


def make_signer(spec: str) -> Signer:
    """Build the signer of a setting value: ``js:PATH`` or ``none``; empty means not configured (an error)."""
    spec = spec.strip()
    if spec == "none":
        return NoSigner()
    if spec.startswith("js:") and spec[3:].strip():
        return JsSigner(spec[3:].strip())
    raise SignerNotConfigured(HOW_TO_CONFIGURE if not spec else f"无效的签名器设置 {spec!r}. {HOW_TO_CONFIGURE}")
