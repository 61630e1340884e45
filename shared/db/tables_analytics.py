"""Live analytics: per-minute buckets, per-user totals and detected questions, one session at a time.

Written only by the gateway's aggregator inside the persister's write transaction (additive upserts), so they
always agree with the stored events: a replayed event is not new and adds nothing.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base

__all__ = ["AnalyticsMinute", "AnalyticsQuestion", "AnalyticsUser"]

BigId = BigInteger().with_variant(Integer(), "sqlite")


class AnalyticsMinute(Base):
    """One minute of a session (``minute`` = bucket start, ms since the epoch)."""

    __tablename__ = "analytics_minutes"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    follows: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    members: Mapped[int] = mapped_column(Integer, default=0)
    gifts: Mapped[int] = mapped_column(BigInteger, default=0)
    diamonds: Mapped[int] = mapped_column(BigInteger, default=0)
    new_chatters: Mapped[int] = mapped_column(Integer, default=0)
    # The latest viewer count seen in the minute (room_stats.online or member.member_count) and its time.
    online: Mapped[int | None] = mapped_column(BigInteger)
    online_ts: Mapped[int | None] = mapped_column(BigInteger)
    online_max: Mapped[int | None] = mapped_column(BigInteger)


class AnalyticsUser(Base):
    """What one viewer did in a session: comments (top chatters) and gifts (gift ranking)."""

    __tablename__ = "analytics_users"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nickname: Mapped[str] = mapped_column(Text, default="")
    comments: Mapped[int] = mapped_column(Integer, default=0)
    gifts: Mapped[int] = mapped_column(BigInteger, default=0)
    diamonds: Mapped[int] = mapped_column(BigInteger, default=0)
    first_ts: Mapped[int] = mapped_column(BigInteger)
    last_ts: Mapped[int] = mapped_column(BigInteger)


class AnalyticsQuestion(Base):
    """A comment the question rules picked out."""

    __tablename__ = "analytics_questions"
    __table_args__ = (
        UniqueConstraint("session_id", "msg_id"),
        Index("ix_analytics_questions_session_ts", "session_id", "ts"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64))
    msg_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64), default="")
    user_name: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text)
    ts: Mapped[int] = mapped_column(BigInteger)
