from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from services.douyin_fetcher.fake_server import FakeDouyinServer


@pytest_asyncio.fixture
async def fake_douyin() -> AsyncIterator[FakeDouyinServer]:
    server = FakeDouyinServer(strict=True, idle_timeout=5.0, enter_needs_a_bogus=False)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class Collector:
    """The emit callback of the tests: keeps every event in order."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def __call__(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def of(self, etype: str, session_id: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == etype and (session_id is None or e["session_id"] == session_id)]
