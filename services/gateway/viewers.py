"""A viewer's history across sessions: where they appeared, what they said, gave and followed, first and last seen.

Every query is a range of the viewer's ``(user_id, …, session_id)`` indexes of comment_data and live_events: the
per-session summary is read from the indexes alone and the lists stop at their limit (newest first), so the answer
does not grow with the size of the database, only with what this one viewer did.
Masked viewers have no history: their comments carry no ``user_id`` and the placeholder id is refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, case, func, select

from services.gateway.analytics.aggregator import diamonds_of
from shared.db.models import CommentData, LiveEventRow, LiveSession
from shared.events import MASKED_USER_ID

__all__ = ["ViewerHistory"]


class ViewerHistory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, user_id: str, limit: int = 200) -> dict[str, Any] | None:
        """The viewer's history, or None when nothing is stored under that id (or it is a masked viewer's)."""
        if not user_id or user_id == MASKED_USER_ID:
            return None
        with self.engine.connect() as conn:
            per_session = _per_session(conn, user_id)
            if not per_session:
                return None
            titles = {
                row.id: row
                for row in conn.execute(
                    select(LiveSession.id, LiveSession.title, LiveSession.anchor_name, LiveSession.live_id).where(
                        LiveSession.id.in_(list(per_session))
                    )
                )
            }
            c, e = CommentData, LiveEventRow
            comments = conn.execute(
                select(c.session_id, c.msg_id, c.user_name, c.content, c.timestamp)
                .where(c.user_id == user_id)
                .order_by(c.timestamp.desc())
                .limit(limit)
            ).all()
            gifts, follows = (
                conn.execute(
                    select(e.session_id, e.msg_id, e.ts, e.user_name, e.data)
                    .where(e.user_id == user_id, e.type == kind)
                    .order_by(e.ts.desc())
                    .limit(limit)
                ).all()
                for kind in ("gift", "follow")
            )
        nickname = next((r.user_name for r in (*comments, *gifts, *follows) if r.user_name), "")
        sessions = [
            {
                "session_id": sid,
                "title": titles[sid].title if sid in titles else None,
                "anchor_name": titles[sid].anchor_name if sid in titles else None,
                "live_id": titles[sid].live_id if sid in titles else None,
                **summary,
            }
            for sid, summary in sorted(per_session.items(), key=lambda item: item[1]["first_ts"])
        ]
        gift_rows = [
            {
                "session_id": r.session_id,
                "msg_id": r.msg_id,
                "ts": r.ts,
                "gift_name": r.data.get("gift_name", ""),
                "count": _delta(r.data),
                "diamonds": diamonds_of(r.data, _delta(r.data)),
            }
            for r in gifts
        ]
        return {
            "user_id": user_id,
            "nickname": nickname,
            "sessions": sessions,
            "comments": [
                {"session_id": r.session_id, "msg_id": r.msg_id, "content": r.content, "ts": r.timestamp}
                for r in comments
            ],
            "gifts": gift_rows,
            "follows": [{"session_id": r.session_id, "ts": r.ts} for r in follows],
            "diamonds": sum(g["diamonds"] for g in gift_rows),
            "first_seen": min(s["first_ts"] for s in per_session.values()),
            "last_seen": max(s["last_ts"] for s in per_session.values()),
        }


def _per_session(conn: Connection, user_id: str) -> dict[str, dict[str, int]]:
    """First/last time, comments and gift messages per session: two grouped scans of the covering indexes."""
    c, e = CommentData, LiveEventRow
    out: dict[str, dict[str, int]] = {}
    for sid, first, last, n in conn.execute(
        select(c.session_id, func.min(c.timestamp), func.max(c.timestamp), func.count())
        .where(c.user_id == user_id)
        .group_by(c.session_id)
    ):
        out[sid] = {"first_ts": first, "last_ts": last, "comments": n, "gift_messages": 0}
    gift = func.sum(case((e.type == "gift", 1), else_=0))
    for sid, first, last, gifts in conn.execute(
        select(e.session_id, func.min(e.ts), func.max(e.ts), gift).where(e.user_id == user_id).group_by(e.session_id)
    ):
        entry = out.setdefault(sid, {"first_ts": first, "last_ts": last, "comments": 0, "gift_messages": 0})
        entry["first_ts"], entry["last_ts"] = min(entry["first_ts"], first), max(entry["last_ts"], last)
        entry["gift_messages"] = int(gifts or 0)
    return out


def _delta(data: dict[str, Any]) -> int:
    value = data.get("delta")
    return value if isinstance(value, int) and value > 0 else 0
