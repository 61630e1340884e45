"""The gateway's answers as pydantic models: the one place the OpenAPI schema (docs/api/, the UI's generated types)
learns what each route returns, and which error statuses it really answers with.

Models of what a worker reports (rooms, jobs, services) allow extra keys: the worker owns those shapes, the gateway
passes them on, and the UI reads "at least these fields".
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from shared.commands.streamcap import Recording, RecordingFile, RecordingList

__all__ = [
    "AccountView",
    "AstStartResponse",
    "AstStatusResponse",
    "ChattersResponse",
    "CommentsResponse",
    "DeadLetterClear",
    "DeadLettersResponse",
    "DouyinStartResponse",
    "DouyinStatusResponse",
    "ErrorBody",
    "GiftRankingResponse",
    "HealthResponse",
    "HotWordsResponse",
    "QuestionsResponse",
    "Recording",
    "RecordingFile",
    "RecordingStartResponse",
    "RecordingsResponse",
    "SessionInfo",
    "SessionsResponse",
    "SettingsView",
    "StatsResponse",
    "SuccessResponse",
    "TranscriptsResponse",
    "VocabularyResponse",
    "document_bad_bodies",
    "errors",
]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# ---------------------------------------------------------------- errors


class ValidationIssue(BaseModel):
    """One refused field (``shared.websec.trim_validation_errors``): where, why, and a short scalar input."""

    type: str
    loc: list[str | int]
    msg: str
    input: Any = None
    ctx: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """Every error answer: ``detail`` is a message (Chinese first), or the list of refused fields of a 422."""

    detail: str | list[ValidationIssue]
    service: str | None = Field(default=None, description="the worker that is not running or did not answer")
    code: str | None = Field(
        default=None,
        description="a worker's error code: invalid, not_found, conflict, ...; bad_command, unknown_command or"
        " bad_result when a bus command or its answer did not fit its model (docs/commands.md)",
    )
    errors: list[ValidationIssue] | None = Field(
        default=None, description="the refused fields of a bus command (bad_command) or of its answer (bad_result)"
    )


_DESCRIPTIONS = {
    400: "请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded",
    401: "缺少或错误的密钥 (missing or unknown key)",
    403: "已撤销或被拒绝 (revoked, or refused)",
    404: "不存在 (not found)",
    409: "冲突 (conflict with the current state)",
    422: "参数无效 (invalid input): a message, or the list of refused fields",
    502: "上游或服务出错 (the worker or the upstream site failed)",
    503: "服务未运行或不可用 (the worker, the bus or a tool is not available)",
    504: "服务无响应 (the worker did not answer in time)",
    507: "磁盘空间不足 (the recording disk is below its free-space minimum)",
}


def errors(*codes: int, json_model: bool = True) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the error statuses it answers with, each an ``ErrorBody``.

    ``json_model=False`` for a route whose success is not JSON (a report, an export): FastAPI would give its errors
    the route's media type, so they name the JSON schema themselves (other routes put ``ErrorBody`` in the schema).
    """
    if json_model:
        return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    return {code: {"description": _DESCRIPTIONS[code], "content": content} for code in codes}


# A route that asks a worker over the bus: not running (503), no answer (504), or the worker's own error codes;
# 400 is a body that is no JSON at all.
WORKER_ERRORS = (400, 404, 409, 422, 502, 503, 504)


def document_bad_bodies(app: FastAPI) -> None:
    """Every route that reads a body answers 400 to one that is no JSON at all: say so in each operation."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            bad = errors(400, json_model=False)[400]
            for operations in schema["paths"].values():
                for operation in operations.values():
                    if isinstance(operation, dict) and "requestBody" in operation:
                        operation["responses"].setdefault("400", bad)
        return build()

    app.openapi = openapi  # type: ignore[method-assign]


# ---------------------------------------------------------------- common


class SuccessResponse(BaseModel):
    success: bool


# ---------------------------------------------------------------- health


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded"]
    reason: str | None
    redis: bool
    services: dict[str, dict[str, Any]] = Field(description="the launcher's view of each service, and the gateway's")
    proof: str | None = Field(default=None, description="present when `challenge` was given")


# ---------------------------------------------------------------- sessions


class SessionInfo(BaseModel):
    id: str
    session_id: str
    platform: str
    live_id: str | None
    room_id: str | None
    title: str | None
    anchor: str | None
    status: str
    started_at: str | None
    ended_at: str | None
    metadata: dict[str, Any]


class SessionsResponse(BaseModel):
    sessions: list[SessionInfo]


class Comment(BaseModel):
    msg_id: str
    user_name: str | None
    user_id: str | None
    content: str
    ts: int
    type: str
    masked: bool = Field(description="a masked viewer: empty user_id, never one person")


class CommentsResponse(BaseModel):
    comments: list[Comment]


class Transcript(BaseModel):
    text: str
    start_ms: int | None
    end_ms: int | None
    confidence: float | None
    language: str | None
    audio_file_path: str | None


class TranscriptsResponse(BaseModel):
    transcripts: list[Transcript]


# ---------------------------------------------------------------- analytics


class StatsPoint(BaseModel):
    t: int = Field(description="bucket start, ms since the epoch")
    online: int | None
    online_max: int | None
    comments: int
    likes: int
    follows: int
    shares: int
    members: int
    gifts: int
    diamonds: int
    chatters: int = Field(description="viewers who commented for the first time in the show in this bucket")


class StatsTotals(_Open):
    comments: int
    likes: int
    follows: int
    shares: int
    members: int
    gifts: int
    diamonds: int
    chatters: int
    peak_online: int | None
    online: int | None


class StatsResponse(BaseModel):
    resolution: int
    series: list[StatsPoint]
    totals: StatsTotals


class GiftRank(BaseModel):
    user_id: str
    nickname: str | None
    diamonds: int
    gifts: int


class GiftRankingResponse(BaseModel):
    ranking: list[GiftRank]


class Chatter(BaseModel):
    user_id: str
    nickname: str | None
    count: int


class ChattersResponse(BaseModel):
    chatters: list[Chatter]


class HotWord(BaseModel):
    word: str
    count: int


class HotWordsResponse(BaseModel):
    window: int
    words: list[HotWord]


class Question(BaseModel):
    msg_id: str
    user_name: str | None
    user_id: str | None
    content: str
    ts: int


class QuestionsResponse(BaseModel):
    questions: list[Question]


# ---------------------------------------------------------------- douyin


class DouyinStartResponse(_Open):
    success: bool
    session_id: str
    live_id: str | None = Field(default=None, description="the room's live id, once the pasted link was followed")


class DouyinStatusResponse(_Open):
    sessions: list[dict[str, Any]] = Field(
        description="every worker's rooms: session_id, live_id, state, worker_id (the worker that runs it), ..."
    )


class DouyinMoveResponse(BaseModel):
    success: bool
    session_id: str
    worker_id: str = Field(description="the worker the room goes to; it resumes the room within about 2 s")
    from_worker_id: str | None = Field(description="the worker that ran the room; null when none did just then")


# ---------------------------------------------------------------- workers


class WorkerView(BaseModel):
    worker_id: str
    host: str
    rooms: list[str] = Field(description="session ids of the rooms this worker runs")
    recordings: list[str]
    jobs: list[str]
    heartbeat_at: str = Field(description="the worker's last record, ISO 8601 UTC")
    capacity: int = Field(description="how many rooms it takes (TIMAO_WORKER_ROOMS_MAX)")
    services: list[str] = Field(description="its services that report (douyin_fetcher, ast, ...)")


class WorkersResponse(BaseModel):
    workers: list[WorkerView]


class AccountView(BaseModel):
    logged_in: bool
    nickname: str | None
    source: Literal["browser", "cookie"] | None
    user_id: str | None
    saved_at_ms: int | None
    login_pending: bool = Field(description="a login window is open and waiting for the QR scan")
    login_error: str | None = Field(description="why the last login window failed")


# ---------------------------------------------------------------- ast


class AstStartResponse(_Open):
    success: bool
    session_id: str


class AstStatusResponse(_Open):
    jobs: list[dict[str, Any]] = Field(description="the worker's jobs: session_id, state, engine, ...")


class VocabularyResponse(BaseModel):
    room: str
    words: list[str]


# ---------------------------------------------------------------- streamcap (the one recording shape: shared/commands)


class RecordingStartResponse(BaseModel):
    success: bool
    recording_id: str


class RecordingsResponse(RecordingList):
    """Recordings of every worker, newest first (``Recording``: the shape StreamCap's API and commands answer too)."""


# ---------------------------------------------------------------- settings, dead letters


class SettingsView(_Open):
    """The settings the UI may see (never the token); ``restart_required`` lists edits waiting for a restart."""

    recordings_dir: str
    restart_required: list[str]


class DeadLetter(BaseModel):
    id: str
    entry_id: str
    error: str
    at: float
    payload: str


class DeadLettersResponse(BaseModel):
    count: int
    items: list[DeadLetter]


class DeadLetterClear(BaseModel):
    removed: int
    count: int
