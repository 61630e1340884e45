"""The js: signer's engine (QuickJS, docs/contracts.md, Douyin signer): what a script written for V8 may rely on, and
how its failures reach the room."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from services.douyin_fetcher.fake_server.signing import reference_signature
from shared.platforms.douyin.errors import SignatureError
from shared.platforms.douyin.signer import JsSigner
from tests.e2e.harness import TEST_SIGNER_JS


def signer(tmp_path: Path, body: str) -> JsSigner:
    path = tmp_path / "sign.js"
    path.write_text(body, encoding="utf-8")
    return JsSigner(path, timeout=2)


def test_a_script_error_carries_the_js_message(tmp_path: Path) -> None:
    with pytest.raises(SignatureError, match=r"signer raised.*Error: no key for abc"):
        signer(tmp_path, "function get_sign(s) { throw new Error('no key for ' + s); }").sign_sync("abc")
    with pytest.raises(SignatureError, match=r"failed to load.*SyntaxError"):
        signer(tmp_path, "function get_sign(s) { return s").sign_sync("abc")


def test_what_v8_scripts_use_is_there(tmp_path: Path) -> None:
    """ES2022/2023 methods QuickJS 2021-03-27 lacks, a console, and recursion as deep as a VM-style script needs."""
    body = """
        function depth(n) { return n ? depth(n - 1) + 1 : 0; }
        function get_sign(s) {
          console.log('signing', s);
          return [s.at(-1), [1, 2, 3].at(-1), new Uint8Array([4, 5]).at(-1), [1, 2, 3].findLast(x => x < 3),
                  Object.hasOwn({k: 1}, 'k'), depth(3000)].join(',');
        }"""
    assert signer(tmp_path, body).sign_sync("abc") == "c,3,5,2,true,3000"


def test_a_script_that_eats_memory_fails_alone(tmp_path: Path) -> None:
    body = "var kept = []; function get_sign(s) { for (;;) kept.push(new Array(100000).fill(s)); }"
    with pytest.raises(SignatureError, match="out of memory"):
        signer(tmp_path, body).sign_sync("abc")


def test_calls_from_many_threads_and_tasks_run_one_at_a_time_on_one_thread(tmp_path: Path) -> None:
    """QuickJS contexts are not thread-safe: whatever thread or task asks, the script runs on the signer's thread."""
    js = JsSigner(TEST_SIGNER_JS)
    stubs = [f"{i:032x}" for i in range(64)]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(js.sign_sync, stubs)) == [reference_signature(s) for s in stubs]

    async def rooms() -> list[str | None]:
        return await asyncio.gather(*(js.sign(s) for s in stubs))

    assert asyncio.run(rooms()) == [reference_signature(s) for s in stubs]
    assert [t.name for t in threading.enumerate()].count("js-signer-test_sign.js") == 1


def test_the_signer_thread_ends_with_its_signer(tmp_path: Path) -> None:
    js = signer(tmp_path, "function get_sign(s) { return s; }")
    assert js.sign_sync("a") == "a"
    (thread,) = [t for t in threading.enumerate() if t.name == "js-signer-sign.js"]
    del js
    gc.collect()
    thread.join(5)
    assert not thread.is_alive()


def test_a_cancelled_wait_costs_no_signature(tmp_path: Path) -> None:
    """A room that stops waiting (its task cancelled) is not signed later behind the others."""
    body = """var calls = 0;
        function get_sign(s) { calls++; var t = Date.now(); while (Date.now() - t < 200) {} return s + calls; }"""
    js = signer(tmp_path, body)

    async def two_rooms() -> str | None:
        first = asyncio.ensure_future(js.sign("a"))
        second = asyncio.ensure_future(js.sign("b"))
        await asyncio.sleep(0.05)
        second.cancel()
        return await first

    started = time.monotonic()
    assert asyncio.run(two_rooms()) == "a1"
    assert js.sign_sync("c") == "c2" and time.monotonic() - started < 2
