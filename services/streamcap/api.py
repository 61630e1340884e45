"""StreamCap's HTTP routes (mounted under ``/api`` by the process): rooms, recordings, settings, in JSON.

The gateway reaches recordings over the bus (``shared/commands/streamcap.py``, served in ``app.py`` by the same
manager calls); these routes serve StreamCap's own UI and this machine's callers, in the same recording shape.

Routes are plain ``def``: the manager blocks on the database and the file system, so FastAPI runs them in its
thread pool. Errors are ``{"detail": ...}`` with a 4xx code: 404 unknown id, 409 wrong state, 422 bad input or
unsafe path, 507 disk full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, HTTPException
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from services.streamcap.errors import (
    InvalidState,
    NotFound,
    SourceError,
    StorageFull,
    StreamCapError,
    UnsafePath,
)
from services.streamcap.manager import RoomStatus, StreamCapManager, StreamCapSettings
from services.streamcap.monitor import TimeWindow
from services.streamcap.repository import RoomRecord
from services.streamcap.storage import check_component
from shared.commands.streamcap import Recording, RecordingList, StartRecording

__all__ = ["create_router"]

T = TypeVar("T")

Platform = Annotated[str, Field(min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]


def _check_windows(value: list[str] | None) -> list[str] | None:
    if value is not None:
        for window in value:
            TimeWindow.parse(window)
    return value


def _check_folder(value: str | None) -> str | None:
    if value:
        try:
            check_component(value)
        except UnsafePath as exc:
            raise ValueError(str(exc)) from exc
    return value


Windows = Annotated[list[str], AfterValidator(_check_windows), Field(max_length=24)]
Folder = Annotated[str | None, AfterValidator(_check_folder), Field(max_length=120)]


class RecordingCreate(StartRecording):
    """The bus command's params (``start_recording``), its folder checked here as well (a 422 with the field)."""

    folder: Folder = None


class RecordingStop(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recording_id: str = Field(min_length=1, max_length=64)


class StartAnswer(BaseModel):
    success: bool = True
    recording_id: str


class OkAnswer(BaseModel):
    success: bool = True


class RoomCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform = "douyin"
    url: str = Field(min_length=1, max_length=4096)
    name: str = Field(default="", max_length=200)
    quality: str | None = Field(default=None, max_length=32)
    folder: Folder = None
    enabled: bool = True
    auto_record: bool = True
    check_interval: float = Field(default=60.0, ge=5, le=86400)
    windows: Windows = Field(default_factory=list)
    segment_seconds: float | None = Field(default=None, ge=10, le=86400)


class RoomUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform | None = None
    url: str | None = Field(default=None, min_length=1, max_length=4096)
    name: str | None = Field(default=None, max_length=200)
    quality: str | None = Field(default=None, max_length=32)
    folder: Folder = None
    enabled: bool | None = None
    auto_record: bool | None = None
    check_interval: float | None = Field(default=None, ge=5, le=86400)
    windows: Windows | None = None
    segment_seconds: float | None = Field(default=None, ge=10, le=86400)


class RoomPublic(BaseModel):
    id: str
    platform: str
    url: str
    name: str
    quality: str | None
    folder: str | None
    enabled: bool
    auto_record: bool
    check_interval: float
    windows: list[str]
    segment_seconds: float | None
    recording_id: str | None = None
    status: RoomStatus = "paused"


class RoomList(BaseModel):
    rooms: list[RoomPublic]


class SettingsUpdate(BaseModel):
    """Any subset of the settings; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    segment_seconds: float | None = None
    segment_megabytes: int | None = None
    min_free_gb: float | None = None
    max_recordings: int | None = None
    max_concurrent_checks: int | None = None
    default_quality: str | None = None
    remux_to_mp4: bool | None = None
    delete_ts_after_remux: bool | None = None
    remux_parallel: int | None = None
    stall_timeout: float | None = None


@contextmanager
def _http_errors() -> Iterator[None]:
    """Our error tree → HTTP codes, in one place."""
    try:
        yield
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except InvalidState as exc:
        raise HTTPException(409, str(exc)) from exc
    except StorageFull as exc:
        raise HTTPException(507, str(exc)) from exc
    except (UnsafePath, SourceError) as exc:
        raise HTTPException(422, str(exc)) from exc
    except ValidationError as exc:
        raise HTTPException(422, [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]) from exc
    except StreamCapError as exc:
        raise HTTPException(400, str(exc)) from exc


def _guard(fn: Callable[[], T]) -> T:
    with _http_errors():
        return fn()


def create_router(manager: StreamCapManager) -> APIRouter:
    """The routes, bound to one manager. Mount with ``app.include_router(create_router(m), prefix="/api")``."""
    router = APIRouter(tags=["streamcap"])

    def room_public(room: RoomRecord) -> RoomPublic:
        recording_id = manager.room_recording(room.id)
        return RoomPublic(**room.__dict__, recording_id=recording_id, status=manager.room_status(room))

    # recordings

    @router.post("/recordings", response_model=StartAnswer, operation_id="streamcap_start_recording")
    def start_recording(body: RecordingCreate) -> StartAnswer:
        recording_id = _guard(
            lambda: manager.start_recording(
                body.platform,
                body.stream_url,
                quality=body.quality,
                segment_seconds=body.segment_seconds,
                name=body.name,
                folder=body.folder,
                worker_id=body.worker_id,
            )
        )
        return StartAnswer(recording_id=recording_id)

    @router.get("/recordings", response_model=RecordingList, operation_id="streamcap_list_recordings")
    def list_recordings(limit: int = 200) -> RecordingList:
        limit = max(1, min(limit, 1000))
        return RecordingList(recordings=[Recording.model_validate(v) for v in manager.list_recordings(limit)])

    @router.get("/recordings/{recording_id}", response_model=Recording, operation_id="streamcap_get_recording")
    def get_recording(recording_id: str) -> Recording:
        return Recording.model_validate(_guard(lambda: manager.get_recording(recording_id)))

    @router.post("/recordings/stop", response_model=OkAnswer, operation_id="streamcap_stop_recording")
    def stop_recording(body: RecordingStop) -> OkAnswer:
        _guard(lambda: manager.stop_recording(body.recording_id))
        return OkAnswer()

    @router.post(
        "/recordings/{recording_id}/stop", response_model=OkAnswer, operation_id="streamcap_stop_recording_by_id"
    )
    def stop_recording_by_id(recording_id: str) -> OkAnswer:
        _guard(lambda: manager.stop_recording(recording_id))
        return OkAnswer()

    # rooms

    @router.get("/rooms", response_model=RoomList, operation_id="streamcap_list_rooms")
    def list_rooms() -> RoomList:
        return RoomList(rooms=[room_public(r) for r in manager.list_rooms()])

    @router.post("/rooms", response_model=RoomPublic, status_code=201, operation_id="streamcap_add_room")
    def add_room(body: RoomCreate) -> RoomPublic:
        room = RoomRecord(id="", **body.model_dump())
        return room_public(_guard(lambda: manager.add_room(room)))

    @router.patch("/rooms/{room_id}", response_model=RoomPublic, operation_id="streamcap_update_room")
    def update_room(room_id: str, body: RoomUpdate) -> RoomPublic:
        changes = body.model_dump(exclude_unset=True)
        return room_public(_guard(lambda: manager.update_room(room_id, changes)))

    @router.delete("/rooms/{room_id}", response_model=OkAnswer, operation_id="streamcap_remove_room")
    def remove_room(room_id: str) -> OkAnswer:
        _guard(lambda: manager.remove_room(room_id))
        return OkAnswer()

    # settings

    @router.get("/settings", response_model=StreamCapSettings, operation_id="streamcap_get_settings")
    def get_settings() -> StreamCapSettings:
        return manager.settings

    @router.put("/settings", response_model=StreamCapSettings, operation_id="streamcap_update_settings")
    def update_settings(body: Annotated[SettingsUpdate, Body()]) -> StreamCapSettings:
        changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude_none=True)
        return _guard(lambda: manager.update_settings(changes))

    return router
