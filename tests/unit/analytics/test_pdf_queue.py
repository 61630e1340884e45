"""PDFs are printed one at a time, a bounded number wait, and a cancelled waiter frees its place."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from services.gateway.analytics.pdf import PdfBusy, PdfQueue, find_chromium


async def test_one_print_at_a_time_and_a_bounded_queue() -> None:
    running = 0
    peak = 0
    lock = threading.Lock()

    def slow_render(html_text: str) -> bytes:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.1)
        with lock:
            running -= 1
        return html_text.encode()

    queue = PdfQueue(slow_render, max_waiting=3)
    first = asyncio.create_task(queue.render("a"))
    await asyncio.sleep(0.02)  # "a" is printing; the next three wait
    waiting = [asyncio.create_task(queue.render(x)) for x in "bcd"]
    await asyncio.sleep(0.02)
    with pytest.raises(PdfBusy, match="PDF queue full"):
        await queue.render("e")
    waiting[2].cancel()
    await asyncio.sleep(0.02)
    assert queue.waiting == 2
    assert await first == b"a" and [await t for t in waiting[:2]] == [b"b", b"c"]
    assert peak == 1 and queue.waiting == 0


async def test_the_real_chromium_prints_a_pdf() -> None:
    # `make test` installs Debian's chromium (scripts/install-test-deps.sh).
    assert find_chromium(), "chromium is missing: run scripts/install-test-deps.sh"
    queue = PdfQueue()
    pdf = await queue.render("<html><body><h1>直播复盘</h1></body></html>")
    assert pdf.startswith(b"%PDF")
