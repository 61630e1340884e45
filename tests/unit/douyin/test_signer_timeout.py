"""Hardening #12, finding 18: a sign.js that never returns is stopped and reported, and no room waits on it forever."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from shared.platforms.douyin.errors import SignatureError
from shared.platforms.douyin.signer import SIGN_TIMEOUT_S, JsSigner, make_signer

TIMEOUT = 0.3


def script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sign.js"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_looping_get_sign_is_a_clear_signer_error(tmp_path: Path) -> None:
    signer = JsSigner(script(tmp_path, "function get_sign(stub) { while (true) {} }"), timeout=TIMEOUT)
    started = time.monotonic()
    with pytest.raises(SignatureError, match="signer timed out") as info:
        signer.sign_sync("0" * 32)
    assert time.monotonic() - started < TIMEOUT + 2
    assert "sign.js" in str(info.value) and info.value.code == "signature_error"


def test_rooms_queued_behind_a_looping_signer_all_get_the_error_soon(tmp_path: Path) -> None:
    """Five rooms sign at once: the first waits out the timeout, the rest learn the same error, none hangs."""
    signer = JsSigner(script(tmp_path, "function get_sign(stub) { for (;;) {} }"), timeout=TIMEOUT)

    async def five_rooms() -> list[BaseException | str | None]:
        return await asyncio.gather(*(signer.sign(f"{i:032d}") for i in range(5)), return_exceptions=True)

    started = time.monotonic()
    results = asyncio.run(asyncio.wait_for(five_rooms(), 30))
    assert all(isinstance(r, SignatureError) and "timed out" in str(r) for r in results), results
    assert time.monotonic() - started < 2 * TIMEOUT + 2


def test_the_signer_answers_again_after_a_timeout(tmp_path: Path) -> None:
    """Only a stub that makes the script loop fails; QuickJS stops the script and the context signs the next one."""
    body = "function get_sign(stub) { if (stub === 'loop') { while (true) {} } return 'sig-' + stub; }"
    signer = JsSigner(script(tmp_path, body), timeout=TIMEOUT)
    with pytest.raises(SignatureError, match="timed out"):
        signer.sign_sync("loop")
    assert signer.sign_sync("abc") == "sig-abc"


def test_a_script_that_loops_while_loading_is_a_clear_signer_error(tmp_path: Path) -> None:
    signer = JsSigner(script(tmp_path, "while (true) {}\nfunction get_sign(s) { return s; }"), load_timeout=TIMEOUT)
    started = time.monotonic()
    with pytest.raises(SignatureError, match="did not finish loading"):
        signer.sign_sync("0" * 32)
    assert time.monotonic() - started < TIMEOUT + 2


def test_make_signer_bounds_calls_by_default(tmp_path: Path) -> None:
    signer = make_signer(f"js:{script(tmp_path, 'function get_sign(s) { return s; }')}")
    assert isinstance(signer, JsSigner) and signer.timeout == SIGN_TIMEOUT_S
    assert signer.sign_sync("x") == "x"
