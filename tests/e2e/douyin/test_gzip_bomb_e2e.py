"""Hardening #12, finding 7: the room client meets a gzip bomb over a real socket and keeps its connection."""

from __future__ import annotations

import asyncio

import pytest

from services.douyin_fetcher.client import ClientState
from services.douyin_fetcher.fake_server import FakeDouyinServer, load_scenario

from .conftest import Collector
from .test_client_e2e import make_client


@pytest.mark.asyncio
async def test_a_gzip_bomb_frame_is_counted_bad_and_the_connection_goes_on(fake_douyin: FakeDouyinServer) -> None:
    def chat(text: str) -> dict[str, object]:
        return {"op": "frame", "events": [{"kind": "chat", "user": {"id": 7, "nickname": "甲"}, "content": text}]}

    scenario = load_scenario([chat("before"), {"op": "gzip_bomb", "mib": 64}, chat("after"), {"op": "end"}])
    room = fake_douyin.load_scenario(scenario, "200000000077")
    emit = Collector()
    client = make_client(fake_douyin, "200000000077", emit)
    await client.start()
    await asyncio.wait_for(client.join(), 30)
    await room.wait_done(1)

    assert client.state is ClientState.ENDED
    assert [e["data"]["content"] for e in emit.of("chat")] == ["before", "after"]
    assert client.stats.bad_frames == 1
    assert len(fake_douyin.observed.accepted) == 1  # one connection throughout: the bomb never dropped it
    assert len(client.stats.last_error) < 500  # nothing of the bomb's size kept around
