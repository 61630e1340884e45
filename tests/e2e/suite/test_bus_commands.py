"""Typed bus commands in the real suite (docs/commands.md): malformed commands sent over the embedded Redis to the
real worker processes get typed errors with the refused fields, every worker answers ping, and the gateway turns a
malformed command into a 422 that names the field."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shared.bus import Bus
from shared.commands import BAD_COMMAND, UNKNOWN_COMMAND
from shared.commands.ast import JOBS
from shared.commands.worker import PING
from shared.errors import CommandError
from tests.e2e.harness import Suite

WORKERS = ("douyin_fetcher", "ast", "streamcap")


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    s = Suite(tmp_path_factory.mktemp("commands") / "home").start()
    s.wait_running()
    yield s
    s.stop()


async def _refusal(bus: Bus, service: str, command: str, params: Any) -> CommandError:
    try:
        answer = await bus.call(service, command, params, timeout=10)
    except CommandError as exc:
        return exc
    raise AssertionError(f"{service} accepted {command} {params!r}: {answer}")


def test_malformed_commands_to_real_workers_get_typed_errors(suite: Suite) -> None:
    async def scenario() -> None:
        bus = Bus(suite.status()["redis_url"], service="test")
        await bus.start()
        try:
            missing = await _refusal(bus, "douyin_fetcher", "stop_room", {})
            assert missing.code == BAD_COMMAND and "stop_room" in missing.message
            assert [(d["loc"], d["type"]) for d in missing.details or []] == [(["session_id"], "missing")]
            extra = await _refusal(bus, "douyin_fetcher", "start_room", {"live_id": "148108118778", "colour": 1})
            assert extra.code == BAD_COMMAND and [d["loc"] for d in extra.details or []] == [["colour"]]
            wrong = await _refusal(bus, "ast", "start_job", {"session_id": "s", "audio_config": "file.wav"})
            assert wrong.code == BAD_COMMAND
            assert [(d["loc"], d["type"]) for d in wrong.details or []] == [(["audio_config"], "dict_type")]
            for service in WORKERS:
                unknown = await _refusal(bus, service, "start_rooms", {})
                assert unknown.code == UNKNOWN_COMMAND and service in unknown.message
                pong = await PING.call(bus, service=service)
                assert pong.pong and pong.pid > 0
            # The worker still serves well-formed commands after refusing the bad ones.
            assert (await JOBS.call(bus)).jobs == []
        finally:
            await bus.close()

    asyncio.run(scenario())


def test_the_gateway_answers_a_malformed_command_with_the_field(suite: Suite) -> None:
    answer = httpx.post(
        suite.base_url + "/api/douyin/start",
        json={"live_id": "148108118778", "config": {"stall_timeout": -1, "colour": "red"}},
        headers=suite.auth,
        timeout=20,
    )
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == BAD_COMMAND and "config.stall_timeout" in body["detail"]
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [
        (["config", "stall_timeout"], "greater_than_equal"),
        (["config", "colour"], "extra_forbidden"),
    ]
    # A well-formed stop of an unknown session still reaches the fetcher and is its own not_found.
    stop = httpx.post(suite.base_url + "/api/douyin/stop", json={"session_id": "nope"}, headers=suite.auth, timeout=20)
    assert stop.status_code == 404 and stop.json()["code"] == "not_found"
