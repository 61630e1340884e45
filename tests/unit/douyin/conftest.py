from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from services.douyin_fetcher.fake_server import FakeDouyinServer

# Real captured Douyin traffic, kept in the repository as captured (tests/fixtures/douyin, see its README.md).
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "douyin"


def frames(case: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / "danmaku" / case / "frames.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) | {"line": n} for n, line in enumerate(lines, start=1)]


def raw(frame: dict[str, Any]) -> bytes:
    return base64.b64decode(frame["b64"])


def load(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDouyinServer]:
    """The fake Douyin server on a free port, for the room tests (a test file may define its own ``fake``)."""
    server = FakeDouyinServer(idle_timeout=5.0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
