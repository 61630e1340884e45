"""The Douyin fetcher's commands (``services/douyin_fetcher``), sent by the gateway's Douyin routes.

Rooms: ``start_room`` watches a live room in a session, ``stop_room`` stops it, ``rooms`` lists every session,
``move_room`` hands a running room over to another worker (docs/contracts.md, Workers on several machines).
Account (#11): ``douyin.login`` opens a login window and answers at once, ``douyin.logout`` forgets the login,
``douyin.account_changed`` reconnects every room with the account as it is now.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.commands.base import Command, Empty, OpenResult, Params, Result

__all__ = [
    "ACCOUNT_CHANGED",
    "ACCOUNT_CHANGED_COMMAND",
    "LOGIN",
    "LOGIN_COMMAND",
    "LOGOUT",
    "LOGOUT_COMMAND",
    "MOVE_ROOM",
    "ROOMS",
    "SERVICE",
    "START_ROOM",
    "STOP_ROOM",
    "AccountChangedResult",
    "LoginParams",
    "LoginResult",
    "MoveRoom",
    "MoveRoomResult",
    "RoomConfig",
    "RoomStatus",
    "RoomsResult",
    "StartRoom",
    "StartRoomResult",
    "StopRoom",
]

SERVICE = "douyin_fetcher"

LOGIN_COMMAND = "douyin.login"
LOGOUT_COMMAND = "douyin.logout"
ACCOUNT_CHANGED_COMMAND = "douyin.account_changed"

Transport = Literal["auto", "direct", "browser"]


class RoomConfig(Params):
    """Per-room tuning a caller may pass as ``config`` (all optional, bounded)."""

    heartbeat_interval: float = Field(default=10.0, ge=0.1, le=60)
    stall_timeout: float = Field(default=60.0, ge=0.5, le=600)
    device_blocked_backoff: float = Field(default=300.0, ge=0.1, le=3600)
    retry_base: float = Field(default=1.0, ge=0.05, le=60)
    retry_cap: float = Field(default=60.0, ge=0.1, le=3600)


class StartRoom(Params):
    # Any link a user has: the fetcher finds the room in it (docs/protocol/douyin.md §1.6).
    live_id: str = Field(min_length=1, max_length=2000, description="room id, room URL, share text or profile URL")
    session_id: str | None = Field(default=None, max_length=64, description="the session to file events under")
    config: RoomConfig = Field(default_factory=RoomConfig)
    transport: Transport | None = Field(default=None, description="this room's transport; default: the worker's")
    worker_id: str | None = Field(
        default=None, max_length=100, description="the worker the room was placed on by hand (it comes back there)"
    )


class StartRoomResult(Result):
    session_id: str = Field(description="the requested session, or the one already watching the room")
    live_id: str
    transport: str
    worker_id: str | None = Field(default=None, description="the worker that runs the room")
    room_id: str | None = None
    title: str | None = None
    anchor_name: str | None = None
    status: str | None = Field(default=None, description="live, ended, ... or unresolved (see reason)")
    reason: str | None = Field(default=None, description="why the first resolution failed (the client keeps trying)")


class StopRoom(Params):
    session_id: str = Field(min_length=1, max_length=64)


class MoveRoom(Params):
    session_id: str = Field(min_length=1, max_length=64)
    worker_id: str = Field(min_length=1, max_length=100, description="the worker to run the room from now on")


class MoveRoomResult(Result):
    session_id: str
    worker_id: str = Field(description="the worker the room goes to (it takes the room within about 2 s)")
    from_worker_id: str | None = Field(default=None, description="the worker that ran it; null: none did just then")


class RoomStatus(OpenResult):
    session_id: str
    live_id: str
    state: str


class RoomsResult(Result):
    sessions: list[RoomStatus]


class LoginParams(Params):
    timeout_s: float | None = Field(default=None, description="how long the window waits (300 s by default, 1..1800)")


class LoginResult(Result):
    login_pending: bool


class AccountChangedResult(Result):
    rooms: int = Field(description="room clients that reconnect")


START_ROOM = Command("start_room", StartRoom, StartRoomResult, SERVICE, "watch a live room in a session")
STOP_ROOM = Command("stop_room", StopRoom, Empty, SERVICE, "stop watching a session's room")
MOVE_ROOM = Command(
    "move_room", MoveRoom, MoveRoomResult, SERVICE,
    "place a room on another worker: its owner stops it (last events and cursor written) and gives its lease back",
)  # fmt: skip
ROOMS = Command("rooms", Empty, RoomsResult, SERVICE, "every room session the fetcher knows, with its state")
LOGIN = Command(LOGIN_COMMAND, LoginParams, LoginResult, SERVICE, "open the login window; answers at once")
LOGOUT = Command(LOGOUT_COMMAND, Empty, Empty, SERVICE, "forget the login (the browser's cookies, the account)")
ACCOUNT_CHANGED = Command(
    ACCOUNT_CHANGED_COMMAND, Empty, AccountChangedResult, SERVICE, "every room reconnects with the account as it is"
)
