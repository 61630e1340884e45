"""The room client's state table (services/douyin_fetcher/client.py ROOM_MOVES, a shared/states.py table): every
state is in it, a final state has no way out, a live one can always stop, and an illegal move is refused, logged and
published nowhere."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from services.douyin_fetcher.client import ROOM_MOVES, ClientState, RoomClient
from shared.platforms.douyin.resolve import RoomResolver
from shared.platforms.douyin.signer import NoSigner
from shared.states import IllegalTransition

FINAL = {ClientState.STOPPED, ClientState.ENDED, ClientState.FAILED, ClientState.SUSPENDED}


def test_every_state_is_in_the_table_and_only_live_states_move() -> None:
    for state in ClientState:
        targets = ROOM_MOVES.targets(state)
        if state in FINAL:
            assert targets == frozenset(), f"{state} is final"
        elif state is ClientState.STOPPING:
            assert targets == FINAL
        else:
            assert ClientState.STOPPING in targets, f"{state} cannot stop"
            assert not targets & FINAL, f"{state} ends without stopping first"
    # A room waits only after trying, and a wait always leads to a new resolution.
    assert ROOM_MOVES.targets(ClientState.BACKOFF) == {ClientState.RESOLVING, ClientState.STOPPING}
    assert not ROOM_MOVES.allowed(ClientState.IDLE, ClientState.CONNECTED)


async def test_an_illegal_move_raises_is_logged_and_publishes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    events: list[dict[str, Any]] = []

    async def emit(event: dict[str, Any]) -> None:
        events.append(event)

    resolver = RoomResolver("http://127.0.0.1:9", "http://127.0.0.1:9")
    client = RoomClient("100000000001", session_id="s", emit=emit, resolver=resolver, signer=NoSigner(),
                        ws_url="ws://127.0.0.1:9/")  # fmt: skip
    try:
        await client._set_state(ClientState.RESOLVING)
        await client._set_state(ClientState.RESOLVING)  # a stay is no move: nothing published
        assert [e["data"]["state"] for e in events] == ["resolving"]
        with caplog.at_level(logging.ERROR), pytest.raises(IllegalTransition, match="resolving → ended"):
            await client._set_state(ClientState.ENDED)
        assert client.state is ClientState.RESOLVING and len(events) == 1
        assert "illegal state change" in caplog.text
    finally:
        await resolver.aclose()
