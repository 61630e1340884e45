"""A viewer's history across sessions: where they appeared, what they said, gave and followed, first and last seen.

Every query is a range of the ``(user_id, time)`` indexes of comment_data and live_events, so the answer does not
grow with the size of the database, only with what this one viewer did (lists are bounded, newest first).
Masked viewers have no history: their comments carry no ``user_id`` and the placeholder id is refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select, union_all

from services.gateway.analytics.aggregator import diamonds_of
from shared.db.models import CommentData, LiveEvent, LiveSession
from shared.events import MASKED_USER_ID

__all__ = ["ViewerHistory"]

# Event types that show a viewer was in the room (likes, entries, shares count as being seen).
_PRESENCE = ("gift", "like", "member", "follow", "share")


class ViewerHistory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, user_id: str, limit: int = 200) -> dict[str, Any] | None:
        """The viewer's history, or None when nothing is stored under that id (or it is a masked viewer's)."""
        if not user_id or user_id == MASKED_USER_ID:
            return None
        c, e = CommentData, LiveEvent
        with self.engine.connect() as conn:
            spans = union_all(
                select(c.session_id, c.timestamp.label("ts"), c.user_name.label("nick")).where(c.user_id == user_id),
                select(e.session_id, e.ts, e.user_name).where(e.user_id == user_id, e.type.in_(_PRESENCE)),
            ).subquery()
            per_session = conn.execute(
                select(spans.c.session_id, func.min(spans.c.ts), func.max(spans.c.ts), func.count())
                .group_by(spans.c.session_id)
                .order_by(func.min(spans.c.ts))
            ).all()
            if not per_session:
                return None
            ids = [row[0] for row in per_session]
            titles = {
                row.id: row
                for row in conn.execute(
                    select(LiveSession.id, LiveSession.title, LiveSession.anchor_name, LiveSession.live_id).where(
                        LiveSession.id.in_(ids)
                    )
                )
            }
            comments = conn.execute(
                select(c.session_id, c.msg_id, c.user_name, c.content, c.timestamp)
                .where(c.user_id == user_id)
                .order_by(c.timestamp.desc())
                .limit(limit)
            ).all()
            events = conn.execute(
                select(e.session_id, e.msg_id, e.type, e.ts, e.user_name, e.data)
                .where(e.user_id == user_id, e.type.in_(("gift", "follow")))
                .order_by(e.ts.desc())
                .limit(limit * 2)
            ).all()
            counts = dict(
                conn.execute(
                    select(e.session_id, func.count())
                    .where(e.user_id == user_id, e.type == "gift")
                    .group_by(e.session_id)
                ).all()
            )
            comment_counts = dict(
                conn.execute(
                    select(c.session_id, func.count()).where(c.user_id == user_id).group_by(c.session_id)
                ).all()
            )
        gifts = [
            {
                "session_id": r.session_id,
                "msg_id": r.msg_id,
                "ts": r.ts,
                "gift_name": r.data.get("gift_name", ""),
                "count": _delta(r.data),
                "diamonds": diamonds_of(r.data, _delta(r.data)),
            }
            for r in events
            if r.type == "gift"
        ][:limit]
        follows = [{"session_id": r.session_id, "ts": r.ts} for r in events if r.type == "follow"][:limit]
        nickname = next((r.user_name for r in comments if r.user_name), "") or next(
            (r.user_name for r in events if r.user_name), ""
        )
        sessions = []
        for session_id, first, last, _ in per_session:
            meta = titles.get(session_id)
            sessions.append(
                {
                    "session_id": session_id,
                    "title": meta.title if meta else None,
                    "anchor_name": meta.anchor_name if meta else None,
                    "live_id": meta.live_id if meta else None,
                    "first_ts": first,
                    "last_ts": last,
                    "comments": comment_counts.get(session_id, 0),
                    "gift_messages": counts.get(session_id, 0),
                }
            )
        return {
            "user_id": user_id,
            "nickname": nickname,
            "sessions": sessions,
            "comments": [
                {"session_id": r.session_id, "msg_id": r.msg_id, "content": r.content, "ts": r.timestamp}
                for r in comments
            ],
            "gifts": gifts,
            "follows": follows,
            "diamonds": sum(g["diamonds"] for g in gifts),
            "first_seen": min(row[1] for row in per_session),
            "last_seen": max(row[2] for row in per_session),
        }


def _delta(data: dict[str, Any]) -> int:
    value = data.get("delta")
    return value if isinstance(value, int) and value > 0 else 0
