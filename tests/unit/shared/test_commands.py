"""Typed bus commands (shared/commands) over a real Redis: a malformed command is refused with a typed error before
its handler runs, a command nobody serves says so, a worker's wrong-shaped answer is a bad_result, and the gateway
maps each to its HTTP answer."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.gateway.api.errors import install_error_handlers
from shared.bus import Bus
from shared.commands import (
    ALL_COMMANDS,
    BAD_COMMAND,
    BAD_RESULT,
    UNKNOWN_COMMAND,
    CommandTable,
    Empty,
    command_table,
    wire,
)
from shared.commands.ast import START_JOB
from shared.commands.douyin import (
    ROOMS,
    START_ROOM,
    STOP_ROOM,
    RoomsResult,
    RoomStatus,
    StartRoom,
    StartRoomResult,
    StopRoom,
)
from shared.commands.worker import PING, STATUS, Pong
from shared.errors import CommandError
from shared.worker import _dispatcher

SERVICE = "cmd_test_worker"


class StandInWorker:
    """A worker app with typed commands, served by the real dispatcher: records what its handlers were given."""

    name = SERVICE

    def __init__(self) -> None:
        self.seen: list[Any] = []

    async def start(self, bus: Bus) -> None: ...

    async def stop(self) -> None: ...

    def health(self) -> dict[str, Any]:
        return {"rooms": len(self.seen)}

    def commands(self) -> CommandTable:
        return command_table(START_ROOM.serve(self._start), STOP_ROOM.serve(self._stop), ROOMS.serve(self._rooms))

    async def _start(self, params: StartRoom) -> StartRoomResult:
        self.seen.append(params)
        return StartRoomResult(session_id=params.session_id or "new", live_id=params.live_id, transport="direct")

    async def _stop(self, params: StopRoom) -> Empty:
        self.seen.append(params)
        return Empty()

    async def _rooms(self, _params: Empty) -> RoomsResult:
        return RoomsResult(sessions=[RoomStatus(session_id="s1", live_id="1", state="connected", phase="connected")])


@pytest.fixture
async def served(redis_url: str) -> AsyncIterator[tuple[Bus, StandInWorker]]:
    worker_bus = Bus(redis_url, service=SERVICE)
    caller = Bus(redis_url, service="gateway")
    await worker_bus.start()
    await caller.start()
    app = StandInWorker()
    stop = asyncio.Event()
    task = asyncio.create_task(worker_bus.serve_commands(_dispatcher(app), stop=stop))
    yield caller, app
    stop.set()
    await task
    await caller.close()
    await worker_bus.close()


async def test_typed_call_round_trip_keeps_the_wire_json(served: tuple[Bus, StandInWorker]) -> None:
    caller, app = served
    params = START_ROOM.params_of(live_id="148108118778", session_id="s1", config={"stall_timeout": 2})
    result = await START_ROOM.call(caller, params, service=SERVICE)
    assert isinstance(result, StartRoomResult)
    assert wire(result) == {"session_id": "s1", "live_id": "148108118778", "transport": "direct"}  # no unset fields
    # The handler got the model; the wire carried only what the sender gave (no defaults filled in).
    assert app.seen == [params] and app.seen[0].config.stall_timeout == 2
    assert wire(params) == {"live_id": "148108118778", "session_id": "s1", "config": {"stall_timeout": 2}}
    rooms = await ROOMS.call(caller, service=SERVICE)
    assert rooms.sessions[0].state == "connected" and wire(rooms)["sessions"][0]["phase"] == "connected"  # open
    pong = await PING.call(caller, service=SERVICE)
    assert pong == Pong(pong=True, pid=os.getpid())
    assert wire(await STATUS.call(caller, service=SERVICE)) == {"rooms": 1}


@pytest.mark.parametrize(
    ("params", "loc", "kind"),
    [
        ({}, ["session_id"], "missing"),
        ({"session_id": "s1", "force": True}, ["force"], "extra_forbidden"),
        ({"session_id": 5}, ["session_id"], "string_type"),
        ({"session_id": ""}, ["session_id"], "string_too_short"),
        (["s1"], [], "model_type"),
    ],
)
async def test_a_malformed_command_is_refused_before_its_handler(
    served: tuple[Bus, StandInWorker], params: Any, loc: list[str], kind: str
) -> None:
    caller, app = served
    with pytest.raises(CommandError) as info:
        await caller.call(SERVICE, "stop_room", params, timeout=5)  # raw: as an old or foreign sender would
    assert info.value.code == BAD_COMMAND
    assert "stop_room" in info.value.message
    assert info.value.details is not None
    assert [(d["loc"], d["type"]) for d in info.value.details] == [(loc, kind)]
    assert app.seen == []


async def test_a_command_nobody_serves_is_unknown(served: tuple[Bus, StandInWorker]) -> None:
    caller, _app = served
    with pytest.raises(CommandError) as info:
        await caller.call(SERVICE, "start_job", {"session_id": "x", "audio_config": {}}, timeout=5)
    assert info.value.code == UNKNOWN_COMMAND and "start_job" in info.value.message
    with pytest.raises(CommandError) as typed:
        await START_JOB.call(caller, START_JOB.params_of(session_id="x", audio_config={}), service=SERVICE)
    assert typed.value.code == UNKNOWN_COMMAND


async def test_the_sender_refuses_bad_params_before_sending() -> None:
    with pytest.raises(CommandError) as info:
        START_ROOM.params_of(live_id="1", config={"stall_timeout": -1, "colour": "red"})
    assert info.value.code == BAD_COMMAND
    assert "config.stall_timeout" in info.value.message and "config.colour" in info.value.message
    assert [d["loc"] for d in info.value.details or []] == [["config", "stall_timeout"], ["config", "colour"]]
    with pytest.raises(ValueError, match="every worker"):
        await PING.call(Bus("redis://127.0.0.1:9/0", service="x"))  # no service named: nothing is sent


async def test_a_wrong_shaped_answer_is_a_logged_bad_result(redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    worker_bus, caller = Bus(redis_url, service=SERVICE), Bus(redis_url, service="gateway")
    await worker_bus.start()
    await caller.start()

    async def old_worker(command: str, _params: dict[str, Any]) -> dict[str, Any]:
        return {"rooms": [{"id": "s1"}]} if command == "rooms" else {"session_id": "s1"}

    stop = asyncio.Event()
    task = asyncio.create_task(worker_bus.serve_commands(old_worker, stop=stop))
    try:
        with caplog.at_level(logging.ERROR, logger="shared.commands.base"), pytest.raises(CommandError) as info:
            await ROOMS.call(caller, service=SERVICE, timeout=5)
        assert info.value.code == BAD_RESULT
        assert {tuple(d["loc"]) for d in info.value.details or []} == {("sessions",), ("rooms",)}
        assert "answered rooms with a wrong shape" in caplog.text
        with pytest.raises(CommandError) as start:
            await START_ROOM.call(caller, StartRoom(live_id="1"), service=SERVICE, timeout=5)
        assert start.value.code == BAD_RESULT and "live_id" in start.value.message
    finally:
        stop.set()
        await task
        await caller.close()
        await worker_bus.close()


def test_served_answers_only_its_result_model_and_names_are_unique() -> None:
    async def wrong(_params: Empty) -> Empty:
        return Empty()

    served = ROOMS.serve(wrong)  # type: ignore[arg-type]  # the wrong result type, as mypy says
    with pytest.raises(TypeError, match="RoomsResult"):
        asyncio.run(served({}))
    with pytest.raises(ValueError, match="twice"):
        command_table(ROOMS.serve(wrong), ROOMS.serve(wrong))  # type: ignore[arg-type]
    names = [(c.service, c.name) for c in ALL_COMMANDS]
    assert len(names) == len(set(names))


def test_the_gateway_maps_command_errors() -> None:
    app = FastAPI()
    install_error_handlers(app)
    missing = {"type": "missing", "loc": ["x"], "msg": "Field required"}
    raised = {
        "bad": CommandError(BAD_COMMAND, "命令参数无效", details=[missing]),
        "unknown": CommandError(UNKNOWN_COMMAND, "ast 没有命令 'x'"),
        "result": CommandError(BAD_RESULT, "wrong shape", details=[]),
        "invalid": CommandError("invalid", "坏的房间号"),
    }

    @app.get("/{which}")
    async def fail(which: str) -> None:
        raise raised[which]

    with TestClient(app) as client:
        bad = client.get("/bad")
        assert bad.status_code == 422
        assert bad.json() == {"detail": "命令参数无效", "code": BAD_COMMAND, "errors": [missing]}
        unknown = client.get("/unknown")
        assert unknown.status_code == 502 and unknown.json() == {"detail": "ast 没有命令 'x'", "code": UNKNOWN_COMMAND}
        assert client.get("/result").status_code == 502 and client.get("/result").json()["errors"] == []
        assert client.get("/invalid").status_code == 422 and "errors" not in client.get("/invalid").json()
