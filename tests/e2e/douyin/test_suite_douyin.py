"""Douyin through the whole suite: fake server → fetcher process → Redis → persister → database, and → /ws.

The fake server plays the showcase scenario (combos, duplicates, faults, live end) with strict signature
checking, so the fetcher's JS signer path runs for real.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.douyin_fetcher.fake_server import load_scenario
from shared.db.engine import make_engine
from shared.db.models import CommentData, LiveEventRow, LiveSession
from tests.e2e.harness import FAST_ROOM_CONFIG, FakeDouyinThread, LiveFeed, Suite

pytestmark = pytest.mark.e2e

SCENARIO = Path(__file__).resolve().parents[3] / "services/douyin_fetcher/fake_server/scenarios/showcase.jsonl"


def test_bad_and_unknown_rooms_are_clear_errors(douyin_suite: Suite) -> None:
    start_url = douyin_suite.base_url + "/api/douyin/start"
    bad = httpx.post(
        start_url,
        json={"live_id": "not a room"},
        headers=douyin_suite.auth,
        timeout=20,
    )
    assert bad.status_code == 422 and bad.json()["detail"]
    other_site = httpx.post(
        start_url,
        json={"live_id": "https://evil.example/123"},
        headers=douyin_suite.auth,
        timeout=20,
    )
    assert other_site.status_code == 422
    unknown = httpx.post(
        start_url,
        json={"live_id": "999999999999"},
        headers=douyin_suite.auth,
        timeout=20,
    )
    assert unknown.status_code == 404 and "not found" in unknown.json()["detail"]
    bad_config = httpx.post(
        start_url,
        json={"live_id": "148108118778", "config": {"stall_timeout": -1}},
        headers=douyin_suite.auth,
        timeout=20,
    )
    assert bad_config.status_code == 422 and "stall_timeout" in bad_config.json()["detail"]
    stop_unknown = httpx.post(
        douyin_suite.base_url + "/api/douyin/stop", json={"session_id": "nope"}, headers=douyin_suite.auth, timeout=20
    )
    assert stop_unknown.status_code == 404


def test_showcase_room_through_the_suite(douyin_suite: Suite, fake: FakeDouyinThread) -> None:
    scenario = load_scenario(SCENARIO)
    room = fake.load(scenario)
    web_rid = room.info.web_rid
    with LiveFeed(douyin_suite) as feed:
        started = httpx.post(
            douyin_suite.base_url + "/api/douyin/start",
            json={"live_id": f"https://live.douyin.com/{web_rid}", "config": FAST_ROOM_CONFIG},
            headers=douyin_suite.auth,
            timeout=30,
        )
        assert started.status_code == 200, started.text
        body = started.json()
        session_id = body["session_id"]
        assert body["success"] is True and body["room_id"] == room.info.room_id
        ws_events = feed.wait_ended(session_id, 90)

    truth_chats = [e["content"] for e in scenario.events() if e["kind"] in ("chat", "screen_chat")]
    mine = [e for e in ws_events if e["session_id"] == session_id]
    # /ws: every chat once, exact text, in order.
    assert [e["data"]["content"] for e in mine if e["type"] == "chat"] == truth_chats
    assert len({e["msg_id"] for e in mine}) == len(mine)

    # Database: the same chats stored once, gift deltas sum to the scripted truth, the session closed.
    engine = make_engine(douyin_suite.status()["database_url"])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with Session(engine) as s:
            chats = s.scalars(
                select(CommentData)
                .where(CommentData.session_id == session_id)
                .order_by(CommentData.timestamp, CommentData.id)
            ).all()
            gifts = s.scalars(
                select(LiveEventRow).where(LiveEventRow.session_id == session_id, LiveEventRow.type == "gift")
            ).all()
            session = s.get(LiveSession, session_id)
        if (
            len([c for c in chats if c.meta and c.meta.get("type") == "chat"]) >= len(truth_chats)
            and session
            and session.status == "ended"
        ):
            break
        time.sleep(0.2)
    stored_chats = sorted(c.content for c in chats if c.meta and c.meta["type"] == "chat")
    assert stored_chats == sorted(truth_chats)
    per_gift: Counter[str] = Counter()
    for g in gifts:
        per_gift[g.data["gift_name"]] += g.data["delta"]
    assert per_gift == {"小心心": 6, "玫瑰": 66, "跑车": 2, "粉丝团灯牌": 1}
    assert session is not None and session.status == "ended" and session.ended_at is not None
    engine.dispose()

    # The fake server saw an ack for every frame that asked, and heartbeats.
    observed = fake.server.observed
    assert observed.unacked() == set()
    assert observed.heartbeats > 0
    assert len(observed.accepted) >= 5  # reconnected after each fault

    status = httpx.get(douyin_suite.base_url + "/api/douyin/status", headers=douyin_suite.auth, timeout=10).json()
    mine_status = [s for s in status["sessions"] if s["session_id"] == session_id]
    assert mine_status and mine_status[0]["state"] == "ended"

    comments = httpx.get(
        douyin_suite.base_url + f"/api/sessions/{session_id}/comments?limit=500", headers=douyin_suite.auth, timeout=10
    )
    assert sorted(c["content"] for c in comments.json()["comments"] if c["type"] == "chat") == sorted(truth_chats)
