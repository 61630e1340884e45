"""The OBS overlay's read-only keys (docs/contracts.md, Overlay): created, listed and revoked by the UI, each with
the style its pages use, and the live connections opened with them (told of a new style, closed on revoke).

A key is not the API token and opens nothing of the API: only ``/overlay/{kind}`` (the page) and ``/overlay/ws``
(the live room events the overlay shows). It is meant to be pasted into OBS and may be seen on stream, so it can be
revoked at once: its pages get 403 and its open streams are closed.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from shared.db.tables_show import OverlayKey

__all__ = [
    "KEY_PATTERN",
    "OVERLAY_EVENT_TYPES",
    "OVERLAY_KINDS",
    "KeyState",
    "OverlayConnections",
    "OverlayKeyStore",
    "OverlayStyle",
]

OVERLAY_KINDS = ("chat", "gifts", "stats", "thanks")
# What an overlay may read: the room's own events. Never recordings (file paths), services, transcripts or ranks.
OVERLAY_EVENT_TYPES = frozenset(
    {"chat", "emoji_chat", "gift", "like", "member", "follow", "fansclub", "room_stats", "control", "stats"}
)
# secrets.token_urlsafe(24): 32 characters of [A-Za-z0-9_-]; anything else presented as a key is refused unread.
KEY_PATTERN = r"[A-Za-z0-9_-]{16,64}"
MAX_KEYS = 50

ShownEvent = Literal["chat", "gift", "follow", "fansclub", "member", "like"]
DEFAULT_EVENTS: tuple[ShownEvent, ...] = ("chat", "gift", "follow", "fansclub")


class OverlayStyle(BaseModel):
    """How the overlay pages of one key look. The UI's style editor edits exactly these fields."""

    model_config = ConfigDict(extra="forbid")

    font_size: int = Field(default=26, ge=10, le=96, description="px")
    text_color: str = Field(default="#ffffff", pattern=r"^#[0-9a-fA-F]{6}$")
    name_color: str = Field(default="#ffd54f", pattern=r"^#[0-9a-fA-F]{6}$")
    accent_color: str = Field(default="#ff7aa8", pattern=r"^#[0-9a-fA-F]{6}$", description="gifts and thanks")
    row_color: str = Field(default="#000000", pattern=r"^#[0-9a-fA-F]{6}$", description="behind each row")
    row_opacity: float = Field(default=0.35, ge=0, le=1)
    rows: int = Field(default=8, ge=1, le=50, description="rows shown at most")
    fade_s: int = Field(default=30, ge=0, le=3600, description="a row leaves after this long; 0 = never")
    events: list[ShownEvent] = Field(
        default_factory=lambda: list(DEFAULT_EVENTS),
        max_length=6,
        description="what the chat overlay shows",
    )
    thanks_window_s: int = Field(default=5, ge=1, le=60, description="one viewer's gifts within this merge")

    @field_validator("font_size", "rows", "fade_s", "thanks_window_s", "row_opacity", mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        # JSON's true/false and "12" are no numbers (pydantic would take them as 1/0 and 12); 12.0 is still 12, as
        # JSON Schema says.
        if isinstance(value, bool | str):
            raise ValueError("应为数字 (a number, not true/false or text)")
        return value


class KeyState:
    """What a presented key is: unknown (401), revoked (403) or good."""

    UNKNOWN = "unknown"
    REVOKED = "revoked"
    GOOD = "good"


class OverlayKeyStore:
    def __init__(self, engine: Engine, *, now_ms: Any = None) -> None:
        self.engine = engine
        self.now_ms = now_ms or (lambda: int(time.time() * 1000))

    def create(self, name: str, style: OverlayStyle) -> dict[str, Any]:
        with Session(self.engine) as db, db.begin():
            active = db.scalars(select(OverlayKey.key).where(OverlayKey.revoked_ms.is_(None))).all()
            if len(active) >= MAX_KEYS:
                raise ValueError(f"最多 {MAX_KEYS} 个叠加层密钥 (at most {MAX_KEYS} overlay keys): revoke one first")
            row = OverlayKey(
                key=secrets.token_urlsafe(24),
                name=name,
                style=style.model_dump(),
                created_ms=self.now_ms(),
                revoked_ms=None,
            )
            db.add(row)
            db.flush()
            return _view(row)

    def active(self) -> list[dict[str, Any]]:
        with Session(self.engine) as db:
            rows = db.scalars(
                select(OverlayKey).where(OverlayKey.revoked_ms.is_(None)).order_by(OverlayKey.created_ms)
            ).all()
            return [_view(r) for r in rows]

    def get(self, key: str) -> tuple[str, dict[str, Any] | None]:
        """The key's state and, when good, its record."""
        with Session(self.engine) as db:
            row = db.get(OverlayKey, key)
            if row is None:
                return KeyState.UNKNOWN, None
            if row.revoked_ms is not None:
                return KeyState.REVOKED, None
            return KeyState.GOOD, _view(row)

    def revoke(self, key: str) -> bool:
        with Session(self.engine) as db, db.begin():
            result = db.execute(
                update(OverlayKey)
                .where(OverlayKey.key == key, OverlayKey.revoked_ms.is_(None))
                .values(revoked_ms=self.now_ms())
            )
            return bool(getattr(result, "rowcount", 0))

    def set_style(self, key: str, style: OverlayStyle) -> dict[str, Any] | None:
        with Session(self.engine) as db, db.begin():
            row = db.get(OverlayKey, key)
            if row is None or row.revoked_ms is not None:
                return None
            row.style = style.model_dump()
            db.flush()
            return _view(row)


def _view(row: OverlayKey) -> dict[str, Any]:
    # A style stored by an older version gets today's defaults for the fields it lacks.
    style = OverlayStyle.model_validate({**OverlayStyle().model_dump(), **(row.style or {})}).model_dump()
    return {"key": row.key, "name": row.name, "style": style, "created_ms": row.created_ms}


@dataclass(eq=False)
class OverlayConnection:
    key: str
    control: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(16))
    revoked: asyncio.Event = field(default_factory=asyncio.Event)


class OverlayConnections:
    """The open ``/overlay/ws`` streams by key: a style saved reaches them at once, a revoke closes them."""

    def __init__(self) -> None:
        self.by_key: dict[str, set[OverlayConnection]] = {}

    def open(self, key: str) -> OverlayConnection:
        conn = OverlayConnection(key)
        self.by_key.setdefault(key, set()).add(conn)
        return conn

    def close(self, conn: OverlayConnection) -> None:
        group = self.by_key.get(conn.key)
        if group is not None:
            group.discard(conn)
            if not group:
                del self.by_key[conn.key]

    def restyle(self, key: str, style: dict[str, Any]) -> None:
        for conn in self.by_key.get(key, ()):
            if conn.control.full():  # only the newest style matters
                conn.control.get_nowait()
            conn.control.put_nowait({"type": "overlay_style", "style": style})

    def revoke(self, key: str) -> int:
        group = self.by_key.pop(key, set())
        for conn in group:
            conn.revoked.set()
        return len(group)
