"""Show tools: lucky draws (抽奖) stored with a session, kept so anyone can re-run one from its seed; the OBS
overlay's read-only keys with their styles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base

__all__ = ["LuckyDraw", "OverlayKey"]


class LuckyDraw(Base):
    """One draw: its inputs (keyword, window, seed) and what came out (entrant count, winners)."""

    __tablename__ = "lucky_draws"
    __table_args__ = (Index("ix_lucky_draws_session_created", "session_id", "created_ms"),)

    draw_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64))
    keyword: Mapped[str] = mapped_column(Text)
    since_ms: Mapped[int] = mapped_column(BigInteger)
    until_ms: Mapped[int] = mapped_column(BigInteger)
    winners_wanted: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    entrants: Mapped[int] = mapped_column(Integer)
    winners: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class OverlayKey(Base):
    """A read-only key of the OBS overlay (docs/contracts.md, Overlay): it opens ``/overlay/{kind}`` and its event
    stream, nothing else. A revoked key stays (``revoked_ms`` set) so its pages get 403 rather than 401."""

    __tablename__ = "overlay_keys"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    style: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    revoked_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
