"""The report as PDF through headless Chromium's ``--print-to-pdf`` (only when Chromium is installed)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["PdfBusy", "PdfQueue", "PdfUnavailable", "find_chromium", "html_to_pdf"]

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
PDF_TIMEOUT_S = 120.0


class PdfUnavailable(RuntimeError):
    """No PDF engine here, or it failed; the message says which (in Chinese and English)."""


def find_chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


def html_to_pdf(html_text: str, chromium: str | None = None) -> bytes:
    binary = chromium or find_chromium()
    if binary is None:
        raise PdfUnavailable("未安装 Chromium，无法生成 PDF (no PDF engine: install chromium); HTML 报告可用")
    with tempfile.TemporaryDirectory(prefix="timao-pdf-") as tmp:
        source = Path(tmp) / "report.html"
        target = Path(tmp) / "report.pdf"
        source.write_text(html_text, encoding="utf-8")
        argv = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp}/profile",
            "--no-pdf-header-footer", f"--print-to-pdf={target}", source.as_uri(),
        ]  # fmt: skip
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfUnavailable(f"PDF 生成超时 (chromium timed out after {PDF_TIMEOUT_S:g}s)") from exc
        if not target.is_file() or target.stat().st_size == 0:
            tail = proc.stderr.decode("utf-8", "replace")[-300:]
            raise PdfUnavailable(f"PDF 生成失败 (chromium exited {proc.returncode}): {tail}")
        return target.read_bytes()


class PdfBusy(PdfUnavailable):
    """Too many PDFs already waiting."""


class PdfQueue:
    """One Chromium at a time: each print is a whole browser (hundreds of MB), so requests wait their turn, and
    beyond ``max_waiting`` the caller is told to come back instead of piling up browsers or waiters."""

    def __init__(self, render: Callable[[str], bytes] = html_to_pdf, *, max_waiting: int = 4) -> None:
        self._render = render
        self._slot = asyncio.Semaphore(1)
        self.waiting = 0
        self.max_waiting = max_waiting

    async def render(self, html_text: str) -> bytes:
        if self.waiting >= self.max_waiting:
            raise PdfBusy(f"PDF 生成排队已满 (PDF queue full: {self.waiting} waiting), 请稍后再试")
        self.waiting += 1
        entered = False
        try:
            async with self._slot:
                entered = True
                self.waiting -= 1
                return await asyncio.to_thread(self._render, html_text)
        finally:
            if not entered:  # cancelled while waiting
                self.waiting -= 1
