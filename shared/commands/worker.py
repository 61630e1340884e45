"""The commands every worker serves (``shared/worker.py`` answers them itself): ``ping`` and ``status``.

They name no service: the caller says which worker (``PING.call(bus, service="ast")``).
"""

from __future__ import annotations

from shared.commands.base import Command, Empty, OpenResult, Result

__all__ = ["PING", "STATUS", "Pong", "WorkerStatus"]


class Pong(Result):
    pong: bool
    pid: int


class WorkerStatus(OpenResult):
    """The worker's health, as its heartbeat carries it (rooms, jobs, recordings, ...: each worker its own)."""


PING = Command("ping", Empty, Pong, summary="是否在线 (is the worker serving commands): its pid")
STATUS = Command("status", Empty, WorkerStatus, summary="the worker's health, as in its heartbeat")
