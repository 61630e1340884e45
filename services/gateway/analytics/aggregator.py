"""The incremental aggregates: folds each batch of newly stored events into minute buckets and per-user totals.

Masked viewers (``user.masked``, or no id of their own: docs/protocol/douyin.md §4.1) count in the minute totals
(comments, gifts, diamonds) but get no per-user row: they are not one person, and not countable as chatters.

``Aggregator.on_new`` is the EventStore hook: it runs inside the persister's write transaction with exactly the
events that were not stored before, so the additive upserts below commit (or roll back) together with the events
and a replayed event never counts twice. Nothing of the aggregates lives in memory: a restarted gateway simply
continues adding to the rows. What is kept in memory is derived and rebuildable — the hot-word windows and the
"which sessions changed" set for the live ``/ws`` updates — and it is touched only once the transaction commits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, event

from services.gateway.analytics.hotwords import HotWords
from services.gateway.analytics.questions import is_question
from shared.db.store import LOGGED_AT
from shared.events import is_masked

__all__ = ["Aggregator", "diamonds_of"]

log = logging.getLogger(__name__)

MINUTE_MS = 60_000
# How far a platform timestamp may sit from the moment the event entered the log before it is not believed for
# charts: replays and a join's short history are minutes old; a clock that is days off would stretch the show.
MAX_LAG_MS = 15 * MINUTE_MS
MAX_LEAD_MS = 2 * MINUTE_MS


def chart_time(ev: dict[str, Any]) -> int:
    """The time an event counts at in the aggregates: its own ``ts``, unless that is absurdly far from when the log
    received it (a skewed clock, a replayed message); then the receive time. The stored event keeps its ``ts``."""
    ts: int = ev["ts"]
    logged = ev.get(LOGGED_AT)
    if logged is None or logged - MAX_LAG_MS <= ts <= logged + MAX_LEAD_MS:
        return ts
    return int(logged)


_END_STATES = frozenset({"ended", "banned"})
_LOOKUP_CHUNK = 500

# Minute bucket counters, by position.
_COMMENTS, _LIKES, _FOLLOWS, _SHARES, _MEMBERS, _GIFTS, _DIAMONDS, _NEW_CHATTERS = range(8)
_COUNTERS = ("comments", "likes", "follows", "shares", "members", "gifts", "diamonds", "new_chatters")


def diamonds_of(data: dict[str, Any], delta: int) -> int:
    """Diamonds a gift message newly adds: the fetcher's ``diamond_delta`` when present, else delta × price."""
    value = data.get("diamond_delta")
    if isinstance(value, int) and value >= 0:
        return value
    price = data.get("diamond_count")
    return delta * price if isinstance(price, int) and price > 0 else 0


class _Bucket:
    __slots__ = ("counts", "online", "online_max", "online_ts")

    def __init__(self) -> None:
        self.counts = [0] * len(_COUNTERS)
        self.online: int | None = None
        self.online_ts: int | None = None
        self.online_max: int | None = None

    def sample(self, value: int, ts: int) -> None:
        if self.online_ts is None or ts >= self.online_ts:
            self.online, self.online_ts = value, ts
        if self.online_max is None or value > self.online_max:
            self.online_max = value


class _User:
    __slots__ = ("comments", "diamonds", "first_comment_minute", "first_ts", "gifts", "last_ts", "nickname")

    def __init__(self, ts: int) -> None:
        self.nickname = ""
        self.comments = 0
        self.gifts = 0
        self.diamonds = 0
        self.first_ts = ts
        self.last_ts = ts
        self.first_comment_minute: int | None = None


def _newer(table: str, col: str) -> str:
    """The later sample wins: take ``excluded.col`` when its time is newer than the stored one."""
    return (
        f"CASE WHEN excluded.online_ts IS NOT NULL AND ({table}.online_ts IS NULL OR "
        f"excluded.online_ts >= {table}.online_ts) THEN excluded.{col} ELSE {table}.{col} END"
    )


def _pick(table: str, col: str, op: str) -> str:
    """``excluded.col`` when it compares ``op`` to the stored one (portable MIN/MAX of two values)."""
    return (
        f"CASE WHEN {table}.{col} IS NULL OR excluded.{col} {op} {table}.{col} "
        f"THEN excluded.{col} ELSE {table}.{col} END"
    )


def _insert(table: str, cols: tuple[str, ...], mark: str, conflict: str, action: str) -> str:
    # Table and column names are this module's constants; values go as driver parameters.
    return (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))}) "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO {action}"
    )


def _sql(mark: str) -> dict[str, str]:
    m, u = "analytics_minutes", "analytics_users"
    minute_cols = ("session_id", "minute", *_COUNTERS, "online", "online_ts", "online_max")
    minute_set = [f"{c} = {m}.{c} + excluded.{c}" for c in _COUNTERS] + [
        f"online = {_newer(m, 'online')}",
        f"online_ts = {_newer(m, 'online_ts')}",
        f"online_max = {_pick(m, 'online_max', '>')}",
    ]
    user_cols = ("session_id", "user_id", "nickname", "comments", "gifts", "diamonds", "first_ts", "last_ts")
    user_set = [
        f"nickname = CASE WHEN excluded.nickname <> '' THEN excluded.nickname ELSE {u}.nickname END",
        *(f"{c} = {u}.{c} + excluded.{c}" for c in ("comments", "gifts", "diamonds")),
        f"first_ts = {_pick(u, 'first_ts', '<')}",
        f"last_ts = {_pick(u, 'last_ts', '>')}",
    ]
    question_cols = ("session_id", "msg_id", "user_id", "user_name", "content", "ts")
    return {
        "minutes": _insert(m, minute_cols, mark, "session_id, minute", "UPDATE SET " + ", ".join(minute_set)),
        "users": _insert(u, user_cols, mark, "session_id, user_id", "UPDATE SET " + ", ".join(user_set)),
        "questions": _insert("analytics_questions", question_cols, mark, "session_id, msg_id", "NOTHING"),
    }


class Aggregator:
    """The EventStore ``on_new`` hook plus what the live side needs to know after each commit."""

    def __init__(self, hotwords: HotWords | None = None, *, on_live_end: Callable[[str], None] | None = None) -> None:
        self.hotwords = hotwords
        self.on_live_end = on_live_end
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._sql: dict[str, dict[str, str]] = {}

    def take_dirty(self) -> set[str]:
        """Sessions whose aggregates changed since the last call (for the throttled /ws updates)."""
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        return dirty

    def on_new(self, conn: Connection, events: list[dict[str, Any]]) -> None:
        buckets: dict[tuple[str, int], _Bucket] = {}
        users: dict[tuple[str, str], _User] = {}
        questions: list[tuple[str, str, str, str, str, int]] = []
        texts: list[tuple[str, int, str, str]] = []
        ended: list[str] = []
        for ev in events:
            kind = ev["type"]
            sid = ev["session_id"]
            ts = chart_time(ev)
            data = ev.get("data") or {}
            key = (sid, ts - ts % MINUTE_MS)
            bucket = buckets.get(key)
            if bucket is None:
                bucket = buckets[key] = _Bucket()
            if kind == "chat" or kind == "emoji_chat":
                bucket.counts[_COMMENTS] += 1
                user = ev.get("user") or {}
                # A masked viewer counts in the totals but is no person: one row for all of them would rank a crowd.
                if not is_masked(user):
                    entry = self._user(users, sid, user, ts)
                    entry.comments += 1
                    if entry.first_comment_minute is None or key[1] < entry.first_comment_minute:
                        entry.first_comment_minute = key[1]
                content = data.get("content")
                if kind == "chat" and isinstance(content, str) and content:
                    texts.append((sid, ts, ev["msg_id"], content))
                    if is_question(content):
                        questions.append(
                            (sid, ev["msg_id"], str(user.get("id") or ""), user.get("nickname") or "", content, ts)
                        )
            elif kind == "gift":
                delta = data.get("delta")
                delta = delta if isinstance(delta, int) and delta > 0 else 0
                diamonds = diamonds_of(data, delta)
                bucket.counts[_GIFTS] += delta
                bucket.counts[_DIAMONDS] += diamonds
                giver = ev.get("user") or {}
                if not is_masked(giver):
                    entry = self._user(users, sid, giver, ts)
                    entry.gifts += delta
                    entry.diamonds += diamonds
            elif kind == "like":
                count = data.get("count")
                if isinstance(count, int) and count > 0:
                    bucket.counts[_LIKES] += count
            elif kind == "room_stats":
                online = data.get("online")
                # proto3 sends 0 for "absent": a zero count is no sample.
                if isinstance(online, int) and online > 0:
                    bucket.sample(online, ts)
            elif kind == "member":
                bucket.counts[_MEMBERS] += 1
                count = data.get("member_count")
                if isinstance(count, int) and count > 0:
                    bucket.sample(count, ts)
            elif kind == "follow":
                bucket.counts[_FOLLOWS] += 1
            elif kind == "share":
                bucket.counts[_SHARES] += 1
            elif kind == "control" and data.get("status") in _END_STATES:
                ended.append(sid)
        cursor = conn.connection.cursor()
        try:
            sql = self._statements(conn)
            self._count_new_chatters(cursor, sql["mark"], users, buckets)
            cursor.executemany(
                sql["minutes"],
                [(sid, minute, *b.counts, b.online, b.online_ts, b.online_max) for (sid, minute), b in buckets.items()],
            )
            if users:
                cursor.executemany(
                    sql["users"],
                    [
                        (sid, uid, u.nickname, u.comments, u.gifts, u.diamonds, u.first_ts, u.last_ts)
                        for (sid, uid), u in users.items()
                    ],
                )
            if questions:
                cursor.executemany(sql["questions"], questions)
        finally:
            cursor.close()
        sessions = {sid for sid, _ in buckets}

        def committed(_conn: Connection) -> None:
            # Only committed events change what the live side shows.
            with self._lock:
                self._dirty |= sessions
            if self.hotwords is not None:
                for sid, ts, msg_id, content in texts:
                    self.hotwords.add(sid, ts, msg_id, content)
            if self.on_live_end is not None:
                for sid in ended:
                    self.on_live_end(sid)

        event.listen(conn, "commit", committed, once=True)

    @staticmethod
    def _user(users: dict[tuple[str, str], _User], sid: str, user: dict[str, Any], ts: int) -> _User:
        key = (sid, str(user.get("id") or ""))
        entry = users.get(key)
        if entry is None:
            entry = users[key] = _User(ts)
        else:
            entry.first_ts = min(entry.first_ts, ts)
            entry.last_ts = max(entry.last_ts, ts)
        nickname = user.get("nickname")
        if nickname:
            entry.nickname = nickname
        return entry

    def _statements(self, conn: Connection) -> dict[str, str]:
        dialect = conn.dialect.name
        sql = self._sql.get(dialect)
        if sql is None:
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            sql = self._sql[dialect] = {**_sql(mark), "mark": mark}
        return sql

    @staticmethod
    def _count_new_chatters(
        cursor: Any, mark: str, users: dict[tuple[str, str], _User], buckets: dict[tuple[str, int], _Bucket]
    ) -> None:
        """A chatter is new when no earlier batch stored a comment of theirs: one indexed look-up per session."""
        by_session: dict[str, list[str]] = {}
        for (sid, uid), u in users.items():
            if u.comments:
                by_session.setdefault(sid, []).append(uid)
        for sid, uids in by_session.items():
            known: set[str] = set()
            for i in range(0, len(uids), _LOOKUP_CHUNK):
                chunk = uids[i : i + _LOOKUP_CHUNK]
                cursor.execute(
                    f"SELECT user_id FROM analytics_users WHERE session_id = {mark} AND comments > 0 "  # noqa: S608
                    f"AND user_id IN ({', '.join([mark] * len(chunk))})",
                    [sid, *chunk],
                )
                known.update(row[0] for row in cursor.fetchall())
            for uid in uids:
                if uid not in known:
                    minute = users[(sid, uid)].first_comment_minute
                    assert minute is not None
                    buckets[(sid, minute)].counts[_NEW_CHATTERS] += 1
