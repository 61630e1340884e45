"""The aggregates through the real EventStore hook on SQLite: exact, replay-proof, and continued after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from services.gateway.analytics.aggregator import Aggregator, diamonds_of
from services.gateway.analytics.hotwords import HotWords, Segmenter
from services.gateway.analytics.queries import AnalyticsQueries, ResolutionError
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.models import CommentData
from shared.db.store import LOGGED_AT, EventStore
from tests.unit.analytics.script import CHATTERS, RANKING, T0, TOTALS, ev, show


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    e = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade_to_head(e)
    return e


def _store(engine: Engine, ended: list[str] | None = None) -> tuple[EventStore, Aggregator]:
    agg = Aggregator(HotWords(Segmenter()), on_live_end=(ended.append if ended is not None else None))
    return EventStore(engine, on_new=agg.on_new), agg


def test_scripted_show_is_exact(engine: Engine) -> None:
    ended: list[str] = []
    store, agg = _store(engine, ended)
    events = show()
    store.write(events[:8])
    store.write(events[5:])  # a reconnect replays three events
    store.write(events)  # a whole replay of the log
    q = AnalyticsQueries(engine)
    assert q.totals("show") == TOTALS
    assert q.gift_ranking("show") == RANKING
    assert q.top_chatters("show") == CHATTERS
    assert [x["msg_id"] for x in q.questions("show")] == ["c3", "c2"]
    series = q.series("show", 60)
    assert [p["t"] for p in series] == [T0, T0 + 60_000, T0 + 120_000, T0 + 180_000]
    m0, m1, m2, _m3 = series
    assert (m0["comments"], m0["gifts"], m0["diamonds"], m0["likes"], m0["online"], m0["chatters"]) == (
        3,
        3,
        3,
        15,
        120,
        2,
    )
    assert (m1["comments"], m1["gifts"], m1["diamonds"], m1["follows"], m1["shares"], m1["members"]) == (
        2,
        66,
        66,
        1,
        1,
        2,
    )
    assert (m1["online"], m1["chatters"]) == (130, 1)
    assert m2 == {**m2, "comments": 0, "online": None}  # an empty minute is zeros, viewers unknown
    coarse = q.series("show", 300)
    assert len(coarse) == 1 and coarse[0]["comments"] == 5 and coarse[0]["online"] == 130
    assert agg.take_dirty() == {"show"} and agg.take_dirty() == set()
    assert ended == ["show"]  # once: the replays of the end are not new


def test_restart_continues_the_aggregates(engine: Engine) -> None:
    events = show()
    _store(engine)[0].write(events[:12])
    engine.dispose()
    # A new gateway: fresh aggregator, nothing in memory; the replay of the last batch overlaps the first.
    _store(engine)[0].write(events[10:])
    assert AnalyticsQueries(engine).totals("show") == TOTALS


def test_a_failed_transaction_leaves_no_trace(engine: Engine) -> None:
    agg = Aggregator(HotWords(Segmenter()))

    def failing(conn: Connection, events: list[dict[str, Any]]) -> None:
        agg.on_new(conn, events)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        EventStore(engine, on_new=failing).write(show())
    assert agg.take_dirty() == set()
    assert AnalyticsQueries(engine).totals("show")["comments"] == 0
    assert agg.hotwords is not None and agg.hotwords.top("show", 3600) == []
    EventStore(engine, on_new=agg.on_new).write(show())  # the persister's retry
    assert AnalyticsQueries(engine).totals("show") == TOTALS


def test_resolution_must_be_whole_minutes(engine: Engine) -> None:
    _store(engine)[0].write(show())
    with pytest.raises(ResolutionError):
        AnalyticsQueries(engine).series("show", 90)


@pytest.mark.parametrize(
    ("data", "delta", "diamonds"),
    [
        pytest.param({"diamond_delta": 1200, "diamond_count": 1}, 2, 1200, id="fetcher-delta-preferred"),
        pytest.param({"diamond_count": 30}, 3, 90, id="delta-times-price"),
        pytest.param({}, 5, 0, id="unknown-price"),
    ],
)
def test_diamonds_of_a_gift(data: dict[str, Any], delta: int, diamonds: int) -> None:
    assert diamonds_of(data, delta) == diamonds


def test_a_skewed_platform_clock_counts_at_the_receive_time_and_keeps_its_ts(engine: Engine) -> None:
    """An event stamped a year off does not stretch the show's charts; the stored event keeps its own ts."""
    store, _agg = _store(engine)
    events = show()
    for e in events:
        e[LOGGED_AT] = e["ts"] + 500  # the log received each about when it happened
    skewed = ev("chat", "skew", T0 + 365 * 86_400_000, {"content": "来自未来"}, ("u7", "钟"))
    skewed[LOGGED_AT] = T0 + 90_000
    replayed = ev("chat", "late", T0 + 30_000, {"content": "重放"}, ("u7", "钟"))
    replayed[LOGGED_AT] = T0 + 30_000 + 10 * 60_000  # 10 minutes late: still believed
    store.write([*events, skewed, replayed])
    q = AnalyticsQueries(engine)
    series = q.series("show", 60)
    assert series[-1]["t"] < T0 + 10 * 60_000 and len(series) <= 5
    assert sum(p["comments"] for p in series) == TOTALS["comments"] + 2
    with Session(engine) as s:
        assert s.scalar(select(CommentData.timestamp).where(CommentData.msg_id == "skew")) == T0 + 365 * 86_400_000


def test_live_snapshots_of_many_sessions_agree_with_each_session_read_alone(engine: Engine) -> None:
    """The once-a-second ``stats`` of every busy session comes from three queries in all; each snapshot must be what
    that session's own totals and newest minute say (a whole show, a half show, a session with no rows)."""
    store, _agg = _store(engine)
    events = show()
    store.write(events)
    store.write([{**e, "session_id": "half", "msg_id": f"h-{e['msg_id']}"} for e in events[:9]])
    q = AnalyticsQueries(engine)
    snapshots = q.live_snapshots(["show", "half", "none"])
    assert set(snapshots) == {"show", "half", "none"}
    for session_id in ("show", "half"):
        newest = q.minutes(session_id)[-1]
        assert snapshots[session_id]["totals"] == q.totals(session_id)
        assert snapshots[session_id]["minute"] == {
            "t": newest["minute"], "comments": newest["comments"], "likes": newest["likes"],
            "follows": newest["follows"], "shares": newest["shares"], "members": newest["members"],
            "gifts": newest["gifts"], "diamonds": newest["diamonds"], "online": newest["online"],
            "chatters": newest["new_chatters"],
        }  # fmt: skip
    assert snapshots["show"]["totals"] == TOTALS
    assert snapshots["half"]["totals"] != TOTALS  # the two sessions are told apart
    assert snapshots["none"] == {"totals": q.totals("none"), "minute": None}
    assert q.live_snapshot("half") == snapshots["half"]
