"""The gateway's shutdown is bounded: a background loop that does not see ``stop`` is cancelled and named."""

from __future__ import annotations

import asyncio

import pytest

from services.gateway.app import _finish


async def _obeys(stop: asyncio.Event) -> None:
    await stop.wait()


async def _stuck() -> None:
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)  # a finally that takes a moment, as pubsub.aclose() can
            raise


def test_a_stuck_loop_is_cancelled_and_named(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> tuple[asyncio.Task[None], asyncio.Task[None], float]:
        stop = asyncio.Event()
        good = asyncio.create_task(_obeys(stop), name="persister")
        bad = asyncio.create_task(_stuck(), name="live-hub")
        await asyncio.sleep(0)
        stop.set()
        started = asyncio.get_running_loop().time()
        await _finish([good, bad], timeout=0.3)
        return good, bad, asyncio.get_running_loop().time() - started

    with caplog.at_level("WARNING"):
        good, bad, took = asyncio.run(main())
    assert good.done() and not good.cancelled()
    assert bad.cancelled()
    assert took < 1.5
    assert "live-hub did not stop" in caplog.text and "persister" not in caplog.text
