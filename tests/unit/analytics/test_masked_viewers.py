"""Masked viewers (docs/protocol/douyin.md §4.1) are never one person, on SQLite and PostgreSQL.

A scripted mix of named and masked viewers goes through the real decoder (wire messages → events), the real
EventStore with the aggregator hook, and the read queries: masked viewers count in every total, never in a
per-person figure (rankings, top chatters, unique chatters), and their stored comments do not share an id.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.gateway.analytics.aggregator import Aggregator
from services.gateway.analytics.queries import AnalyticsQueries
from services.gateway.repo import SessionRepo
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.models import CommentData
from shared.db.store import EventStore
from shared.db.tables_analytics import AnalyticsUser
from shared.events import MASKED_USER_ID, LiveEvent, is_masked
from shared.platforms.douyin.messages import MessageDecoder
from shared.platforms.douyin.proto import douyin_pb2 as pb

T0 = 1_800_000_000_000 - 1_800_000_000_000 % 60_000
FISH = pb.User(id=1001, nickname="小鱼干", display_id="fish", sec_uid="MS4wLjABAAAAfish")
CAT = pb.User(id=1002, nickname="猫猫头")
# Three different people the platform shows masked, all with the one placeholder id; and one without any id.
MASKED = [
    pb.User(id=111111, nickname="用户****"),
    pb.User(id=111111, nickname="薛***"),
    pb.User(id=111111, nickname="用户****"),
    pb.User(nickname=""),
]


def _wire(n: int, method: str, msg: Any) -> pb.Message:
    msg.common.CopyFrom(pb.Common(method=method, msg_id=7_000_000_000_000_000_000 + n, create_time=T0 + n * 1000))
    return pb.Message(method=method, payload=msg.SerializeToString(), msg_id=n)


def chat(n: int, user: pb.User, text: str) -> pb.Message:
    return _wire(n, "WebcastChatMessage", pb.ChatMessage(user=user, content=text))


def gift(n: int, user: pb.User, group_id: int, price: int, count: int = 1) -> pb.Message:
    msg = pb.GiftMessage(
        user=user, gift_id=1, group_id=group_id, repeat_count=count, group_count=1, repeat_end=1,
        gift=pb.GiftStruct(id=1, name="礼物", diamond_count=price),
    )  # fmt: skip
    return _wire(n, "WebcastGiftMessage", msg)


def script() -> list[pb.Message]:
    return [
        chat(1, FISH, "主播好"),
        chat(2, MASKED[0], "第一次来"),
        chat(3, MASKED[1], "这个多少钱"),
        chat(4, MASKED[2], "好看"),
        chat(5, CAT, "来了"),
        chat(6, MASKED[0], "再来一句"),
        chat(7, MASKED[3], "没有名字"),
        chat(8, FISH, "主播再见"),
        gift(9, MASKED[1], group_id=501, price=10, count=2),  # 20 diamonds from a masked viewer
        gift(10, MASKED[0], group_id=502, price=1),  # another masked viewer, another combo
        gift(11, FISH, group_id=503, price=5),
    ]


def test_the_decoder_marks_masked_viewers_and_drops_the_shared_id() -> None:
    events = MessageDecoder("show", "1").decode(script(), received_ms=T0)
    users = [e["user"] for e in events]
    assert [u.get("masked", False) for u in users] == [
        False,
        True,
        True,
        True,
        False,
        True,
        True,
        False,
        True,
        True,
        False,
    ]
    assert all(u["id"] == "" for u in users if u.get("masked"))
    assert {u["id"] for u in users if not u.get("masked")} == {"1001", "1002"}
    assert [u["nickname"] for u in users[1:4]] == ["用户****", "薛***", "用户****"]  # the masked name is kept
    for event in events:  # the schema takes the mark, and adds nothing to named viewers
        again = orjson.loads(LiveEvent.model_validate(event).to_json())
        assert again["user"] == event["user"]
    # Each masked combo is counted on its own (group ids keep their gifts apart).
    assert [e["data"]["delta"] for e in events if e["type"] == "gift"] == [2, 1, 1]


def test_is_masked_covers_the_mark_the_placeholder_and_no_id() -> None:
    assert is_masked({"id": "", "masked": True}) and is_masked({"id": MASKED_USER_ID, "nickname": "用户****"})
    assert is_masked({}) and not is_masked({"id": "1001", "nickname": "小鱼干"})


def test_aggregates_keep_masked_viewers_apart(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade_to_head(engine)
        store = EventStore(engine, on_new=Aggregator().on_new)
        events = MessageDecoder("show", "1").decode(script(), received_ms=T0)
        # An event stored before masked viewers were marked: the placeholder id, no mark.
        legacy = {
            "type": "chat", "session_id": "show", "live_id": "1", "msg_id": "legacy1", "ts": T0 + 20_000,
            "user": {"id": MASKED_USER_ID, "nickname": "用户****"}, "data": {"content": "旧数据"},
        }  # fmt: skip
        assert store.write([*events, legacy]) == len(events) + 1
        store.write(events)  # a replay counts nothing twice
        with Session(engine) as session:
            # A per-user row a previous version aggregated under the placeholder id must not rank either.
            session.add(AnalyticsUser(session_id="show", user_id=MASKED_USER_ID, nickname="用户****", comments=40,
                                      gifts=9, diamonds=900, first_ts=T0, last_ts=T0))  # fmt: skip
            session.commit()

        q = AnalyticsQueries(engine)
        totals = q.totals("show")
        # Every comment and gift is in the totals: 9 comments (8 + the legacy one), 4 gifts, 26 diamonds.
        assert (totals["comments"], totals["gifts"], totals["diamonds"]) == (9, 4, 26)
        assert totals["chatters"] == 2  # only the two named viewers are countable people
        assert q.top_chatters("show") == [
            {"user_id": "1001", "nickname": "小鱼干", "count": 2},
            {"user_id": "1002", "nickname": "猫猫头", "count": 1},
        ]
        assert q.gift_ranking("show") == [{"user_id": "1001", "nickname": "小鱼干", "diamonds": 5, "gifts": 1}]
        with Session(engine) as session:
            rows = session.execute(select(CommentData.user_name, CommentData.meta)).all()
        # History keeps every comment with its masked name; none of them claims the shared id.
        assert len(rows) == 9
        masked_rows = [meta for _, meta in rows if (meta.get("user") or {}).get("masked")]
        assert len(masked_rows) == 5 and all(meta["user_id"] == "" for meta in masked_rows)
        assert sorted(name for name, meta in rows if (meta.get("user") or {}).get("masked")) == [
            "",
            "用户****",
            "用户****",
            "用户****",
            "薛***",
        ]
        # The sessions API's history marks them, and names no one with the placeholder id.
        history = SessionRepo(engine).comments("show", limit=100, before=None, q=None)
        assert sorted((c["user_name"], c["user_id"], c["masked"]) for c in history) == sorted(
            [("小鱼干", "1001", False), ("小鱼干", "1001", False), ("猫猫头", "1002", False), ("用户****", "", True),
             ("薛***", "", True), ("用户****", "", True), ("用户****", "", True), ("", "", True),
             ("用户****", MASKED_USER_ID, True)]
        )  # fmt: skip
    finally:
        engine.dispose()
