"""The read side of the aggregates: series at a resolution, totals, rankings, questions, the live snapshot.

Every query reads the small aggregate tables (minute rows, one row per viewer), never the event tables — except
``comments_since`` that rebuilds a hot-word window after a restart (bounded by time and row count).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Engine, func, select

from shared.db.models import CommentData, LiveSession
from shared.db.tables_analytics import AnalyticsMinute, AnalyticsQuestion, AnalyticsUser
from shared.events import MASKED_USER_ID

__all__ = ["MAX_POINTS", "AnalyticsQueries", "ResolutionError"]

MAX_POINTS = 20_000
# Chart resolutions a person reads easily: 1, 5, 10, 15, 30 minutes, 1, 2, 6, 12 hours, a day.
_LADDER_MINUTES = (1, 5, 10, 15, 30, 60, 120, 360, 720, 1440)
# Sessions a snapshot query names at once (well under every database's limit of bound parameters).
SNAPSHOT_CHUNK = 500
_SUMS = ("comments", "likes", "follows", "shares", "members", "gifts", "diamonds", "new_chatters")


class ResolutionError(ValueError):
    """A resolution that is not a whole number of minutes, or would make too many points."""


class AnalyticsQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def minutes(self, session_id: str) -> list[dict[str, Any]]:
        stmt = (
            select(*AnalyticsMinute.__table__.c)
            .where(AnalyticsMinute.session_id == session_id)
            .order_by(AnalyticsMinute.minute)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(stmt)]

    def has_data(self, session_id: str) -> bool:
        with self.engine.connect() as conn:
            if conn.execute(select(LiveSession.id).where(LiveSession.id == session_id)).first():
                return True
            return bool(
                conn.execute(
                    select(AnalyticsMinute.minute).where(AnalyticsMinute.session_id == session_id).limit(1)
                ).first()
            )

    def fitting_resolution(self, session_id: str, max_points: int) -> int:
        """The finest resolution (a whole number of minutes, from a readable ladder) that shows the session's whole
        span in at most ``max_points`` buckets."""
        with self.engine.connect() as conn:
            first, last = conn.execute(
                select(func.min(AnalyticsMinute.minute), func.max(AnalyticsMinute.minute)).where(
                    AnalyticsMinute.session_id == session_id
                )
            ).one()
        if first is None:
            return 60
        span_minutes = (last - first) // 60_000 + 1
        for minutes in _LADDER_MINUTES:
            if -(-span_minutes // minutes) + 1 <= max_points:  # +1: bucket edges need not align with the span
                return minutes * 60
        return -(-span_minutes // (max_points - 1)) * 60

    def series(self, session_id: str, resolution_s: int) -> list[dict[str, Any]]:
        """Buckets of ``resolution_s`` from the first to the last minute with data; empty buckets are zeros.

        ``online`` is the latest viewer count in the bucket (null when none was reported), ``chatters`` the viewers
        who commented for the first time in the show in that bucket (their sum is the show's unique chatters).
        """
        if resolution_s < 60 or resolution_s % 60:
            raise ResolutionError("resolution must be a whole number of minutes (60, 300, 900, 3600 ...)")
        rows = self.minutes(session_id)
        if not rows:
            return []
        step = resolution_s * 1000
        first = rows[0]["minute"] - rows[0]["minute"] % step
        last = rows[-1]["minute"] - rows[-1]["minute"] % step
        count = (last - first) // step + 1
        if count > MAX_POINTS:
            raise ResolutionError(f"{count} points at this resolution; use a coarser one")
        points: list[dict[str, Any]] = [_empty_point(first + i * step) for i in range(count)]
        online_ts: list[int] = [-1] * count
        for row in rows:
            i = (row["minute"] - first) // step
            point = points[i]
            for name in _SUMS:
                point[name] += row[name]
            if row["online_ts"] is not None and row["online_ts"] >= online_ts[i]:
                online_ts[i] = row["online_ts"]
                point["online"] = row["online"]
            peak = row["online_max"]
            if peak is not None and (point["online_max"] is None or peak > point["online_max"]):
                point["online_max"] = peak
        for point in points:
            point["chatters"] = point.pop("new_chatters")
        return points

    def totals(self, session_id: str) -> dict[str, int | None]:
        sums = [func.coalesce(func.sum(getattr(AnalyticsMinute, name)), 0) for name in _SUMS]
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*sums, func.max(AnalyticsMinute.online_max)).where(AnalyticsMinute.session_id == session_id)
            ).one()
            last = conn.execute(
                select(AnalyticsMinute.online)
                .where(AnalyticsMinute.session_id == session_id, AnalyticsMinute.online_ts.is_not(None))
                .order_by(AnalyticsMinute.online_ts.desc())
                .limit(1)
            ).scalar()
        totals: dict[str, int | None] = {name: int(v) for name, v in zip(_SUMS, row[: len(_SUMS)], strict=True)}
        totals["chatters"] = totals.pop("new_chatters")
        totals["peak_online"] = row[len(_SUMS)]
        totals["online"] = last
        return totals

    def gift_ranking(self, session_id: str, limit: int = 20) -> list[dict[str, Any]]:
        stmt = (
            select(AnalyticsUser.user_id, AnalyticsUser.nickname, AnalyticsUser.diamonds, AnalyticsUser.gifts)
            .where(AnalyticsUser.session_id == session_id, AnalyticsUser.gifts > 0, _a_person())
            .order_by(AnalyticsUser.diamonds.desc(), AnalyticsUser.gifts.desc(), AnalyticsUser.user_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [
                {"user_id": r.user_id, "nickname": r.nickname, "diamonds": r.diamonds, "gifts": r.gifts}
                for r in conn.execute(stmt)
            ]

    def top_chatters(self, session_id: str, limit: int = 20) -> list[dict[str, Any]]:
        stmt = (
            select(AnalyticsUser.user_id, AnalyticsUser.nickname, AnalyticsUser.comments)
            .where(AnalyticsUser.session_id == session_id, AnalyticsUser.comments > 0, _a_person())
            .order_by(AnalyticsUser.comments.desc(), AnalyticsUser.user_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [{"user_id": r.user_id, "nickname": r.nickname, "count": r.comments} for r in conn.execute(stmt)]

    def questions(self, session_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first."""
        q = AnalyticsQuestion
        stmt = (
            select(q.msg_id, q.user_name, q.user_id, q.content, q.ts)
            .where(q.session_id == session_id)
            .order_by(q.ts.desc(), q.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(stmt)]

    def comments_since(self, session_id: str, since_ms: int | None, limit: int) -> list[tuple[int, str, str]]:
        """Chat comments (ts, msg_id, text) of the last ``limit`` rows at or after ``since_ms``, oldest first."""
        stmt = select(
            CommentData.timestamp, CommentData.msg_id, CommentData.content, CommentData.meta.label("meta")
        ).where(CommentData.session_id == session_id)
        if since_ms is not None:
            stmt = stmt.where(CommentData.timestamp >= since_ms)
        stmt = stmt.order_by(CommentData.timestamp.desc(), CommentData.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            rows = [
                (r.timestamp, r.msg_id, r.content)
                for r in conn.execute(stmt)
                if r.content and (r.meta or {}).get("type", "chat") == "chat"
            ]
        rows.reverse()
        return rows

    def latest_comment_ts(self, session_id: str) -> int | None:
        with self.engine.connect() as conn:
            value: int | None = conn.execute(
                select(func.max(CommentData.timestamp)).where(CommentData.session_id == session_id)
            ).scalar()
        return value

    def live_snapshot(self, session_id: str) -> dict[str, Any]:
        """The small ``stats`` event for ``/ws``: show totals and the latest minute."""
        return self.live_snapshots([session_id])[session_id]

    def live_snapshots(self, session_ids: list[str]) -> dict[str, dict[str, Any]]:
        """``live_snapshot`` of many sessions in three queries, whatever their number: the gateway builds one a
        second for every session with news, and three queries a session were most of its CPU at 300 busy rooms."""
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(session_ids), SNAPSHOT_CHUNK):
            out.update(self._snapshots(session_ids[start : start + SNAPSHOT_CHUNK]))
        return out

    def _snapshots(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        m = AnalyticsMinute
        sums = [func.coalesce(func.sum(getattr(m, name)), 0) for name in _SUMS]
        newest = select(m.session_id, func.max(m.minute).label("at")).where(m.session_id.in_(ids))
        newest_sq = newest.group_by(m.session_id).subquery()
        online = select(m.session_id, func.max(m.online_ts).label("at"))
        online_sq = online.where(m.session_id.in_(ids), m.online_ts.is_not(None)).group_by(m.session_id).subquery()
        with self.engine.connect() as conn:
            totals_rows = conn.execute(
                select(m.session_id, *sums, func.max(m.online_max)).where(m.session_id.in_(ids)).group_by(m.session_id)
            ).all()
            latest_rows = conn.execute(
                select(*m.__table__.c).join(
                    newest_sq, (m.session_id == newest_sq.c.session_id) & (m.minute == newest_sq.c.at)
                )
            ).all()
            online_rows = conn.execute(
                select(m.session_id, m.online).join(
                    online_sq, (m.session_id == online_sq.c.session_id) & (m.online_ts == online_sq.c.at)
                )
            ).all()
        last_online = {row.session_id: row.online for row in online_rows}
        totals: dict[str, dict[str, int | None]] = {}
        for row in totals_rows:
            values: dict[str, int | None] = {
                name: int(v) for name, v in zip(_SUMS, row[1 : 1 + len(_SUMS)], strict=True)
            }
            values["chatters"] = values.pop("new_chatters")
            values["peak_online"] = row[1 + len(_SUMS)]
            values["online"] = last_online.get(row.session_id)
            totals[row.session_id] = values
        minutes: dict[str, dict[str, Any]] = {}
        for latest in latest_rows:
            r = dict(latest._mapping)
            minute = {"t": r["minute"], **{k: r[k] for k in _SUMS}, "online": r["online"]}
            minute["chatters"] = minute.pop("new_chatters")
            minutes[r["session_id"]] = minute
        return {
            session_id: {"totals": totals.get(session_id) or _no_totals(), "minute": minutes.get(session_id)}
            for session_id in ids
        }


def _no_totals() -> dict[str, int | None]:
    """The totals of a session with no minute rows yet (what the sums of no rows are)."""
    values: dict[str, int | None] = dict.fromkeys(_SUMS, 0)
    values["chatters"] = values.pop("new_chatters")
    values["peak_online"] = None
    values["online"] = None
    return values


def _a_person() -> ColumnElement[bool]:
    # Rows aggregated before masked viewers were kept apart may hold them all under the placeholder id (or none).
    return AnalyticsUser.user_id.not_in(("", MASKED_USER_ID))


def _empty_point(t: int) -> dict[str, Any]:
    return {"t": t, "online": None, "online_max": None, **dict.fromkeys(_SUMS, 0)}
