"""Event persistence on SQLite and PostgreSQL: each message id stored once per session."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.models import AudioTranscript, CommentData, LiveEventRow, LiveSession
from shared.db.store import EventStore


def ev(kind: str, msg_id: str, data: dict[str, Any], session: str = "s1", ts: int = 1_000) -> dict[str, Any]:
    return {
        "type": kind,
        "session_id": session,
        "msg_id": msg_id,
        "ts": ts,
        "user": {"id": "u" + msg_id, "nickname": "用户****"},
        "data": data,
    }


def test_events_go_to_their_tables_once(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    store = EventStore(engine)
    batch = [
        ev("chat", "1", {"content": "你好"}),
        ev("emoji_chat", "2", {"emoji_id": "7", "content": "[赞]"}),
        ev("gift", "3", {"gift_id": "5", "delta": 2, "diamond_count": 1}),
        ev("transcript", "4", {"text": "大家好", "start_ms": 0, "end_ms": 900, "confidence": 0.9, "language": "zh"}),
        ev("chat", "1", {"content": "你好"}),  # duplicate inside the batch
    ]
    assert store.write(batch) == 4
    assert store.write(batch) == 0  # a replay stores nothing new
    assert store.write([ev("chat", "1", {"content": "x"}, session="s2")]) == 1  # same id, other session
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(CommentData)) == 3
        assert s.scalar(select(func.count()).select_from(LiveEventRow)) == 1
        assert s.scalar(select(func.count()).select_from(AudioTranscript)) == 1
        chat = s.scalars(select(CommentData).where(CommentData.msg_id == "1", CommentData.session_id == "s1")).one()
        assert (chat.user_name, chat.content, chat.timestamp) == ("用户****", "你好", 1_000)
        assert chat.meta is not None and chat.meta["msg_id"] == "1" and chat.meta["user_id"] == "u1"
    engine.dispose()


def test_live_end_closes_the_session(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    with Session(engine) as s, s.begin():
        s.add(LiveSession(id="s1", platform="douyin", live_id="123"))
    EventStore(engine).write([ev("control", "9", {"status": "ended"}, ts=1_790_000_000_000)])
    with Session(engine) as s:
        row = s.get(LiveSession, "s1")
        assert row is not None and row.status == "ended" and row.ended_at is not None
    engine.dispose()


def test_on_new_sees_each_event_once_inside_the_transaction(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    seen: list[str] = []
    store = EventStore(engine, on_new=lambda conn, events: seen.extend(e["msg_id"] for e in events))
    store.write([ev("chat", "1", {"content": "a"}), ev("like", "2", {"count": 1}), ev("chat", "1", {"content": "a"})])
    store.write([ev("chat", "1", {"content": "a"}), ev("gift", "3", {"gift_id": "9", "delta": 1})])
    assert seen == ["1", "2", "3"]

    def failing(conn: object, events: list[dict[str, Any]]) -> None:
        raise RuntimeError("aggregate failed")

    broken = EventStore(engine, on_new=failing)
    with pytest.raises(RuntimeError, match="aggregate failed"):
        broken.write([ev("chat", "4", {"content": "b"})])
    # The hook failed, so the event was not stored either: retried later, it counts once.
    assert store.write([ev("chat", "4", {"content": "b"})]) == 1
    assert seen[-1] == "4"
    engine.dispose()
