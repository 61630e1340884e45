"""Lucky draws and viewer history over real SQLite and PostgreSQL: events go in through the EventStore (as the
persister writes them), draws are replayable from their seed, masked viewers neither enter draws nor have a history."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import Engine, text

from services.gateway.draws import DrawStore, pick_winners
from services.gateway.repo import SessionRepo
from services.gateway.viewers import ViewerHistory
from shared.db.engine import make_engine
from shared.db.migrate import alembic_config, upgrade_to_head
from shared.db.store import EventStore

T0 = 1_700_000_000_000


def ev(
    kind: str, msg_id: str, ts: int, data: dict[str, Any], user: dict[str, Any], session: str = "s1"
) -> dict[str, Any]:
    return {"type": kind, "session_id": session, "msg_id": msg_id, "ts": ts, "user": user, "data": data}


def viewer(n: int) -> dict[str, Any]:
    return {"id": f"{1000 + n}", "nickname": f"观众{n}"}


MASKED = {"id": "", "nickname": "神秘人", "masked": True}
PLACEHOLDER = {"id": "111111", "nickname": "匿名用户"}  # stored before the masked mark existed


def setup(database_url: str) -> Engine:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    repo = SessionRepo(engine)
    for sid in ("s1", "s2"):
        repo.create_session(session_id=sid, platform="douyin", live_id="live" + sid)
    events = []
    # 30 viewers comment 扣1 (viewer 0 twice, viewers 0-9 also say something else) inside the window of s1.
    for n in range(30):
        events.append(ev("chat", f"k{n}", T0 + n * 1000, {"content": "扣1扣1"}, viewer(n)))
    events.append(ev("chat", "k0b", T0 + 40_000, {"content": "再扣1"}, viewer(0)))
    for n in range(10):
        events.append(ev("chat", f"o{n}", T0 + 500 + n, {"content": "好看"}, viewer(n)))
    events += [
        ev("chat", "m1", T0 + 5000, {"content": "扣1"}, MASKED),
        ev("chat", "m2", T0 + 5001, {"content": "扣1"}, PLACEHOLDER),
        ev("chat", "late", T0 + 120_000, {"content": "扣1"}, viewer(99)),  # outside the window
        ev("gift", "g1", T0 + 7000, {"gift_name": "小心心", "delta": 66, "diamond_count": 1}, viewer(1)),
        ev("follow", "f1", T0 + 8000, {}, viewer(1)),
        ev("gift", "gm", T0 + 9000, {"gift_name": "小心心", "delta": 1, "diamond_count": 1}, PLACEHOLDER),
        # Viewer 1 again in a second session, a day later.
        ev("chat", "s2c", T0 + 86_400_000, {"content": "又来了"}, viewer(1), session="s2"),
        ev("gift", "s2g", T0 + 86_401_000, {"gift_name": "玫瑰", "delta": 3, "diamond_count": 10}, viewer(1), "s2"),
    ]
    EventStore(engine).write(events)
    return engine


def test_draw_one_entry_per_viewer_masked_excluded_and_replayable(database_url: str) -> None:
    engine = setup(database_url)
    draws = DrawStore(engine)
    entrants = draws.entrants("s1", "扣1", T0, T0 + 60_000)
    ids = [e["user_id"] for e in entrants]
    assert sorted(ids) == sorted(f"{1000 + n}" for n in range(30))  # once each; no masked, no late comment
    assert "111111" not in ids and "" not in ids

    first = draws.run("s1", "扣1", T0, T0 + 60_000, 3, None)
    assert first["entrants"] == 30 and len(first["winners"]) == 3 and isinstance(first["seed"], int)
    assert len({w["user_id"] for w in first["winners"]}) == 3
    again = draws.run("s1", "扣1", T0, T0 + 60_000, 3, first["seed"])
    assert again["winners"] == first["winners"] and again["draw_id"] != first["draw_id"]
    # Re-running from the documented algorithm alone gives the same winners.
    assert pick_winners(list(reversed(entrants)), 3, first["seed"]) == first["winners"]
    assert draws.get("s1", first["draw_id"]) == first
    assert [d["draw_id"] for d in draws.all("s1")] == [first["draw_id"], again["draw_id"]]
    assert draws.get("s2", first["draw_id"]) is None

    everyone = draws.run("s1", "扣1", T0, T0 + 60_000, 100, 7)
    assert len(everyone["winners"]) == 30
    nobody = draws.run("s1", "没人说", T0, T0 + 60_000, 1, 7)
    assert nobody["entrants"] == 0 and nobody["winners"] == []
    engine.dispose()


def test_viewer_history_across_two_sessions(database_url: str) -> None:
    engine = setup(database_url)
    history = ViewerHistory(engine)
    h = history.get("1001")
    assert h is not None
    assert h["user_id"] == "1001" and h["nickname"] == "观众1"
    assert [s["session_id"] for s in h["sessions"]] == ["s1", "s2"]
    assert h["sessions"][0]["comments"] == 2 and h["sessions"][1]["comments"] == 1
    assert h["sessions"][1]["live_id"] == "lives2"
    assert [c["content"] for c in h["comments"]] == ["又来了", "扣1扣1", "好看"]  # newest first
    assert [(g["gift_name"], g["count"], g["diamonds"]) for g in h["gifts"]] == [("玫瑰", 3, 30), ("小心心", 66, 66)]
    assert h["diamonds"] == 96
    assert h["follows"] == [{"session_id": "s1", "ts": T0 + 8000}]
    assert h["first_seen"] == T0 + 501 and h["last_seen"] == T0 + 86_401_000
    assert history.get("111111") is None and history.get("") is None and history.get("nobody") is None
    engine.dispose()


def test_migration_fills_user_id_of_stored_comments(database_url: str) -> None:
    """Comments stored before 0004 get their user_id from metadata; masked and placeholder rows get none."""
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0003")
    rows = [
        ("a", '{"user_id": "42", "user": {"id": "42", "nickname": "甲"}}'),
        ("b", '{"user_id": "111111", "user": {"id": "111111"}}'),
        ("c", '{"user_id": "", "user": {"id": "", "masked": true}}'),
        ("d", '{"user_id": "43", "user": {"id": "43", "masked": true}}'),
    ]
    with engine.begin() as conn:
        for msg_id, meta in rows:
            conn.execute(
                text(
                    "INSERT INTO comment_data (session_id, msg_id, user_name, content, timestamp, metadata) "
                    "VALUES ('old', :m, '甲', '扣1', 5, :meta)"
                ),
                {"m": msg_id, "meta": meta},
            )
    upgrade_to_head(engine)
    with engine.connect() as conn:
        got = dict(conn.execute(text("SELECT msg_id, user_id FROM comment_data")).all())  # type: ignore[arg-type]
    assert got == {"a": "42", "b": None, "c": None, "d": None}
    assert ViewerHistory(engine).get("42") is not None
    engine.dispose()


def test_routes(tmp_path: Any, redis_url: str, database_url: str) -> None:
    """The draw and viewer routes in the real gateway app: shapes of the contract, Chinese errors, 404s (a NUL in an
    id too, which PostgreSQL would refuse to compare)."""
    from fastapi.testclient import TestClient

    from services.gateway.app import create_app
    from shared.config import load_settings

    settings = load_settings(home=tmp_path, redis_url=redis_url, token="t", streamcap_port=1, database_url=database_url)
    setup(settings.effective_database_url).dispose()
    auth = {"Authorization": "Bearer t"}
    with TestClient(create_app(settings), base_url="http://127.0.0.1:9019") as client:
        body = {"keyword": "扣1", "since_ms": T0, "until_ms": T0 + 60_000, "winners": 2}
        res = client.post("/api/sessions/s1/draws", json=body, headers=auth)
        assert res.status_code == 200, res.text
        draw = res.json()
        assert {"draw_id", "entrants", "winners", "seed"} <= set(draw) and draw["entrants"] == 30
        assert all(set(w) >= {"user_id", "nickname"} for w in draw["winners"])
        replay = client.post("/api/sessions/s1/draws", json={**body, "seed": draw["seed"]}, headers=auth).json()
        assert replay["winners"] == draw["winners"]
        assert client.get(f"/api/sessions/s1/draws/{draw['draw_id']}", headers=auth).json() == draw
        assert len(client.get("/api/sessions/s1/draws", headers=auth).json()["draws"]) == 2
        report = client.get("/api/sessions/s1/report", headers=auth)
        assert report.status_code == 200 and "<h2>抽奖</h2>" in report.text
        assert str(draw["seed"]) in report.text and draw["winners"][0]["nickname"] in report.text
        assert client.get("/api/sessions/s1/draws/nope", headers=auth).status_code == 404
        for path in ("/api/sessions/%00/draws/x", "/api/sessions/s1/draws/%00", "/api/sessions/%00/draws",
                     "/api/viewers/%00"):  # fmt: skip
            assert client.get(path, headers=auth).status_code == 404, path
        missing = client.post("/api/sessions/nope/draws", json=body, headers=auth)
        assert missing.status_code == 404 and "没有这个场次" in missing.text
        bad = client.post("/api/sessions/s1/draws", json={**body, "until_ms": T0 - 1}, headers=auth)
        assert bad.status_code == 422 and "结束时间早于开始时间" in bad.text
        assert client.post("/api/sessions/s1/draws", json={**body, "winners": 0}, headers=auth).status_code == 422

        v = client.get("/api/viewers/1001", headers=auth).json()
        assert {"user_id", "sessions", "comments", "gifts", "first_seen", "last_seen"} <= set(v)
        assert len(v["sessions"]) == 2
        gone = client.get("/api/viewers/111111", headers=auth)
        assert gone.status_code == 404 and "没有这位观众的记录" in gone.text
