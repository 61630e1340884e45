"""Typed bus commands: for each command its name, the service serving it, a params model and a result model, used by
the worker that serves it and by the gateway that sends it (docs/commands.md lists them).

    from shared.commands import douyin
    result = await douyin.START_ROOM.call(bus, douyin.StartRoom(live_id="148108118778"))  # a StartRoomResult

One module per worker (``douyin``, ``ast``, ``streamcap``) and ``worker`` for the commands every worker serves
(``ping``, ``status``). StreamCap takes its commands over the bus like the others; file bytes and its own UI's
routes (rooms, settings) stay on its HTTP API on its machine (docs/contracts.md).
"""

from __future__ import annotations

from typing import Any

from shared.commands import ast, douyin, streamcap, worker
from shared.commands.base import (
    BAD_COMMAND,
    BAD_RESULT,
    UNKNOWN_COMMAND,
    Command,
    CommandTable,
    Empty,
    OpenResult,
    Params,
    Result,
    Served,
    command_table,
    wire,
)

__all__ = [
    "ALL_COMMANDS",
    "BAD_COMMAND",
    "BAD_RESULT",
    "UNKNOWN_COMMAND",
    "Command",
    "CommandTable",
    "Empty",
    "OpenResult",
    "Params",
    "Result",
    "Served",
    "ast",
    "command_table",
    "douyin",
    "streamcap",
    "wire",
    "worker",
]

# Every command, in the order docs/commands.md lists them.
ALL_COMMANDS: tuple[Command[Any, Any], ...] = (
    worker.PING,
    worker.STATUS,
    douyin.START_ROOM,
    douyin.STOP_ROOM,
    douyin.MOVE_ROOM,
    douyin.ROOMS,
    douyin.LOGIN,
    douyin.LOGOUT,
    douyin.ACCOUNT_CHANGED,
    ast.START_JOB,
    ast.STOP_JOB,
    ast.JOBS,
    streamcap.START_RECORDING,
    streamcap.STOP_RECORDING,
    streamcap.RECORDINGS,
    streamcap.GET_RECORDING,
)
