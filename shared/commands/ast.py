"""The transcription worker's commands (``services/ast``), sent by the gateway's ``/api/ast`` routes.

``audio_config`` and ``model_config`` are the job settings of docs/contracts.md (Transcription jobs): the worker
validates them with its own models (``services/ast/config.py``) and answers ``invalid`` with the reason, so they are
plain objects here.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.commands.base import Command, Empty, OpenResult, Params

__all__ = ["JOBS", "SERVICE", "START_JOB", "STOP_JOB", "JobStatus", "JobsResult", "StartJob", "StopJob"]

SERVICE = "ast"


class StartJob(Params):
    session_id: str = Field(min_length=1, max_length=64)
    audio_config: dict[str, Any] = Field(description="source (session, url, file) and its settings")
    model_config_: dict[str, Any] | None = Field(default=None, alias="model_config", description="engine, model, ...")
    live_id: str | None = Field(default=None, description="the live room of a session source")
    origin_ms: int = Field(default=0, ge=0, description="where the stream's first sample falls on the session's clock")
    worker_id: str | None = Field(
        default=None, max_length=100, description="placed on this worker by hand: after a failover it comes back there"
    )


class StopJob(Params):
    session_id: str = Field(min_length=1, max_length=64)


class JobStatus(OpenResult):
    """A job's status (services/ast/pipeline.py: engine, queue, real-time factor, counters, last error, ...)."""

    session_id: str
    state: str
    worker_id: str | None = Field(default=None, description="the worker that runs it (GET /api/workers)")


class JobsResult(OpenResult):
    """The worker's status: running and recent jobs, engines, real-time factor, queue depth, last error."""

    jobs: list[JobStatus]
    recent_jobs: list[JobStatus] = Field(default_factory=list)


START_JOB = Command("start_job", StartJob, JobStatus, SERVICE, "start transcribing a source into a session")
STOP_JOB = Command("stop_job", StopJob, JobStatus, SERVICE, "stop a session's job; answers its final status")
JOBS = Command("jobs", Empty, JobsResult, SERVICE, "every running and recent job, engines, load")
