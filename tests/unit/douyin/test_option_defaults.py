"""One set of defaults for a room's tuning: the start_room command's RoomConfig is the source, the client's options
and its default reconnect backoff take theirs from it (a value written twice would drift apart)."""

from __future__ import annotations

import dataclasses

import pytest

from services.douyin_fetcher.app import client_options
from services.douyin_fetcher.client import RETRY_JITTER, ClientOptions, room_retry_policy
from shared.commands.douyin import RoomConfig

SHARED = ("heartbeat_interval", "stall_timeout", "device_blocked_backoff")


def test_client_options_default_from_room_config() -> None:
    room = RoomConfig()
    options = ClientOptions()
    fields = {f.name for f in dataclasses.fields(ClientOptions)}
    assert set(SHARED) <= fields
    # Every field the two share, not only the ones listed above.
    assert {name for name in RoomConfig.model_fields if name in fields} == set(SHARED)
    for name in SHARED:
        assert getattr(options, name) == getattr(room, name), name
    # The options a room with the default config gets are the client's defaults.
    assert client_options(room) == options


def test_client_options_carry_a_room_config() -> None:
    room = RoomConfig(heartbeat_interval=3.0, stall_timeout=7.5, device_blocked_backoff=9.0)
    options = client_options(room)
    assert (options.heartbeat_interval, options.stall_timeout, options.device_blocked_backoff) == (3.0, 7.5, 9.0)


@pytest.mark.parametrize("config", [RoomConfig(), RoomConfig(retry_base=2.0, retry_cap=5.0)])
def test_retry_policy_follows_the_room_config(config: RoomConfig) -> None:
    policy = room_retry_policy(config)
    low, high = 1 - RETRY_JITTER, 1 + RETRY_JITTER
    for attempt in range(1, 30):
        delay = min(config.retry_cap, config.retry_base * 2 ** (attempt - 1))
        assert delay * low <= policy(attempt, attempt) <= delay * high
    # The default policy (a client built without one) is the default config's.
    default = room_retry_policy()
    assert RoomConfig().retry_base * low <= default(1, 1) <= RoomConfig().retry_base * high
    assert default(40, 40) <= RoomConfig().retry_cap * high
