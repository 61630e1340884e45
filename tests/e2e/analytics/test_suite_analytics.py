"""Analytics through the whole suite: the fake Douyin server plays the showcase show (combos, duplicates,
reconnects) plus a hostile comment; every aggregate is checked exact through the API, the report that was written
at the live's end opens in headless Chromium without a single request leaving the page, and exports round-trip.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from services.douyin_fetcher.fake_server import load_scenario
from services.gateway.analytics.export import csv_unescape
from tests.e2e.analytics.chromium import CHROMIUM, visit
from tests.e2e.douyin.test_suite_douyin import SCENARIO
from tests.e2e.harness import FAST_ROOM_CONFIG, FakeDouyinThread, Suite

pytestmark = pytest.mark.e2e

HOSTILE = "<script>alert(1)</script>主播多少钱?"


def _scenario() -> Any:
    base = load_scenario(SCENARIO)
    steps = list(base.steps)
    hostile = {
        "op": "frame",
        "events": [{"kind": "chat", "user": {"id": 10010, "nickname": "<b>坏人</b>"}, "content": HOSTILE}],
    }
    steps.insert(len(steps) - 1, hostile)  # just before the live ends
    scenario = load_scenario(steps)
    scenario.room = base.room
    return scenario


def test_showcase_aggregates_report_and_exports(douyin_suite: Suite, fake: FakeDouyinThread) -> None:
    scenario = _scenario()
    room = fake.load(scenario)
    resp = httpx.post(
        douyin_suite.base_url + "/api/douyin/start",
        json={"live_id": f"https://live.douyin.com/{room.info.web_rid}", "config": FAST_ROOM_CONFIG},
        headers=douyin_suite.auth,
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    sid = resp.json()["session_id"]
    report_file = douyin_suite.home / "reports" / f"{sid}.html"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not report_file.is_file():
        time.sleep(0.3)
    assert report_file.is_file(), "no report was written when the live ended"

    events = list(scenario.events())
    chats = [e for e in events if e["kind"] in ("chat", "screen_chat")]
    comments = douyin_suite.get(f"/api/sessions/{sid}/comments?limit=500").json()["comments"]
    assert len(comments) == len(chats) + 1  # + the emoji chat

    totals = douyin_suite.get(f"/api/sessions/{sid}/stats?resolution=60").json()["totals"]
    assert totals["comments"] == len(chats) + 1
    assert totals["gifts"] == 6 + 66 + 2 + 1  # combos, summaries, duplicates and replays counted once
    assert totals["diamonds"] == 6 * 1 + 66 * 1 + 2 * 1200 + 1 * 1
    assert (totals["likes"], totals["follows"], totals["shares"], totals["members"]) == (12, 1, 1, 1)
    # Masked viewers (empty id) are no countable person; named ones are each one chatter.
    assert any(c["user_id"] == "" for c in comments)
    assert totals["chatters"] == len({c["user_id"] for c in comments if c["user_id"]})
    assert totals["peak_online"] == 306
    series = douyin_suite.get(f"/api/sessions/{sid}/stats?resolution=60").json()["series"]
    assert sum(p["comments"] for p in series) == totals["comments"]
    assert sum(p["diamonds"] for p in series) == totals["diamonds"]

    ranking = douyin_suite.get(f"/api/sessions/{sid}/gifts/ranking").json()["ranking"]
    # The masked viewer's 跑车 (2 × 1200) is in the totals above but in no one's row of the ranking.
    assert [(r["gifts"], r["diamonds"]) for r in ranking] == [(66, 66), (6, 6), (1, 1)]
    assert ranking[0]["nickname"] == "猫猫头" and ranking[1]["user_id"] == "10001"
    top = douyin_suite.get(f"/api/sessions/{sid}/chatters/top").json()["chatters"]
    assert top[0] == {"user_id": "10001", "nickname": "小鱼干", "count": 2}
    questions = douyin_suite.get(f"/api/sessions/{sid}/questions").json()["questions"]
    assert [q["content"] for q in questions] == [HOSTILE, "断线重连后还在吗"]
    words = {w["word"] for w in douyin_suite.get(f"/api/sessions/{sid}/hotwords?window=3600").json()["words"]}
    assert "断线" in words and "[赞]" not in words

    # The report written at the live's end, in a real browser: nothing leaves the page, hostile text is text.
    # `make test` installs Debian's chromium (scripts/install-test-deps.sh); without it this check cannot run.
    assert Path(CHROMIUM).is_file(), "chromium is not installed: run `make system-deps`"
    page = visit(
        report_file,
        "JSON.stringify({scripts: document.scripts.length, imgs: document.images.length,"
        " hostile: document.body.innerText.includes('<script>alert(1)</script>'),"
        " svgs: document.querySelectorAll('svg').length})",
    )
    assert page.requests == [report_file.as_uri()], page.requests
    seen = orjson.loads(page.evaluated)
    assert seen == {"scripts": 0, "imgs": 0, "hostile": True, "svgs": 4}

    # Exports round-trip: the same comments as the API, exactly.
    jsonl = douyin_suite.get(f"/api/sessions/{sid}/export?format=jsonl&kind=comments")
    rows = [orjson.loads(line) for line in jsonl.content.splitlines()]
    assert sorted(r["msg_id"] for r in rows) == sorted(c["msg_id"] for c in comments)
    assert {r["msg_id"]: r["content"] for r in rows} == {c["msg_id"]: c["content"] for c in comments}
    raw = douyin_suite.get(f"/api/sessions/{sid}/export?format=csv&kind=comments").content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(raw)))
    assert {r["msg_id"]: csv_unescape(r["content"]) for r in table} == {c["msg_id"]: c["content"] for c in comments}
    gifts = [orjson.loads(x) for x in douyin_suite.get(f"/api/sessions/{sid}/export?kind=gifts").content.splitlines()]
    assert sum(g["diamonds"] for g in gifts) == totals["diamonds"]
