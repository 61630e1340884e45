"""Workers on several machines, on one machine as several (docs/contracts.md, Workers on several machines).

One suite (`timao up`: gateway and its own workers) and three more worker groups (`timao up --role worker`, each
with its own TIMAO_HOME and worker id) over one real Redis (the harness's private one) and a fresh PostgreSQL
database; 24 rooms (200 in the scale test) on the fake Douyin server, each a scripted live of chats. The rooms
spread over the workers by free capacity. Then:

- kill -9 one worker group (its fetcher first): its rooms are adopted by the others and flow again within 15 s;
- freeze another group (SIGSTOP) past its lease: its rooms move; on SIGCONT it drops them and writes nothing more
  (its entries on the durable log name their worker: none from it after the thaw — fencing);
- restart the gateway: every room stays where it was and goes on;

and at the end every scripted chat is stored exactly once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.douyin_fetcher.fake_server import FakeRoom, load_scenario
from shared.bus import EVENTS_STREAM
from shared.db.engine import make_engine
from shared.db.models import CommentData
from tests.conftest import RedisServer
from tests.e2e.harness import FAST_ROOM_CONFIG, FakeDouyinThread, Suite, eventually

pytestmark = pytest.mark.e2e

FAILOVER_S = 15.0


@dataclass(frozen=True)
class Scale:
    """How many rooms, and each room's script: ``frames`` chats, one a frame, ``pause_s`` apart (a script lasts
    frames × pause_s of connected time: it waits while its room has no connection)."""

    rooms: int
    frames: int
    pause_s: float
    prefix: str  # of the rooms' web_rids: the fake server is the module's, and a room that ended stays ended
    connect_s: float = 60.0  # for every room to be connected, at the start and after each move
    end_s: float = 240.0  # for every live to end after the gateway restart
    store_s: float = 60.0  # then for every chat to be stored


SMALL = Scale(rooms=int(os.environ.get("TIMAO_TEST_WORKER_ROOMS", "24")), frames=500, pause_s=0.1, prefix="5")


def scripted(web_rid: str, base: int, scale: Scale) -> tuple[list[dict[str, Any]], set[str]]:
    steps: list[dict[str, Any]] = [{"room": {"web_rid": web_rid, "title": f"房间 {web_rid}"}}]
    truth: set[str] = set()
    for i in range(scale.frames):
        msg_id = base + i
        truth.add(str(msg_id))
        steps.append({"op": "frame", "events": [{"kind": "chat", "user": {"id": 10 + i % 7, "nickname": f"观众{i % 7}"},
                                                 "content": f"第{i}条", "msg_id": msg_id}]})  # fmt: skip
        steps.append({"op": "sleep", "s": scale.pause_s})
    steps.append({"op": "end"})
    return steps, truth


def group_pids(suite: Suite) -> list[int]:
    """The worker group's processes: the launcher and every child."""
    return suite.all_pids()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDouyinThread]:
    f = FakeDouyinThread()
    f.start()
    yield f
    f.stop()


def test_rooms_spread_fail_over_and_a_frozen_worker_is_fenced_out(
    fake: FakeDouyinThread, private_redis: RedisServer, postgres_url: str, tmp_path: Path
) -> None:
    spread_fail_over_and_fence(fake, private_redis.url, postgres_url, tmp_path, SMALL)


# The figure: 200 rooms over the four workers (50 each), 2 chats a second each (400 a second in all).
LARGE = Scale(rooms=200, frames=400, pause_s=0.5, prefix="4", connect_s=180.0, end_s=420.0, store_s=120.0)


@pytest.mark.scale
@pytest.mark.timeout(1200)
def test_200_rooms_spread_fail_over_and_a_frozen_worker_is_fenced_out(
    fake: FakeDouyinThread, private_redis: RedisServer, postgres_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    spread_fail_over_and_fence(fake, private_redis.url, postgres_url, tmp_path, LARGE)
    print(f"the 200-room run took {time.monotonic() - started:.0f} s")


def spread_fail_over_and_fence(
    fake: FakeDouyinThread, redis_url: str, database_url: str, tmp_path: Path, scale: Scale
) -> None:
    """The scenario of the module's docstring, at ``scale``."""
    shared_env = {**fake.suite_env(), "TIMAO_REDIS_URL": redis_url, "TIMAO_DATABASE_URL": database_url,
                  "TIMAO_LOG_LEVEL": "INFO"}  # fmt: skip
    main = Suite(tmp_path / "main", extra_env={**shared_env, "TIMAO_WORKER_ID": "main"})
    workers = {
        wid: Suite(tmp_path / wid, role="worker", extra_env={**shared_env, "TIMAO_WORKER_ID": wid})
        for wid in ("w1", "w2", "w3")
    }
    truth: dict[str, set[str]] = {}
    rooms: dict[str, FakeRoom] = {}
    frozen: list[int] = []
    suites = [main, *workers.values()]
    client = redis.Redis.from_url(redis_url)
    api: httpx.Client | None = None
    try:
        main.start().wait_running(timeout=180)
        for w in workers.values():
            w.start()
        for w in workers.values():
            w.wait_running(timeout=180)
        api = httpx.Client(base_url=main.base_url, headers=main.auth, timeout=30)
        assert api is not None

        def live_workers() -> dict[str, dict[str, Any]]:
            return {w["worker_id"]: w for w in api.get("/api/workers").json()["workers"]}

        eventually(live_workers, lambda ws: {"main", "w1", "w2", "w3"} <= set(ws), 30, "four workers registered")

        sessions: dict[str, str] = {}
        starting = time.monotonic()
        for n in range(scale.rooms):
            web_rid = f"{scale.prefix}{n:011d}"
            steps, truth[web_rid] = scripted(web_rid, 8_100_000_000_000_000_000 + n * 10_000, scale)
            rooms[web_rid] = fake.load(load_scenario(steps))
            answer = api.post("/api/douyin/start", json={"live_id": web_rid, "config": FAST_ROOM_CONFIG})
            assert answer.status_code == 200, answer.text
            sessions[answer.json()["session_id"]] = web_rid
        print(f"{scale.rooms} rooms started in {time.monotonic() - starting:.1f} s")

        def ended() -> set[str]:
            return {s for s, web_rid in sessions.items() if rooms[web_rid].done.is_set()}

        seen_connected: dict[str, str] = {}

        def placement() -> dict[str, str]:
            """session → worker of every room seen connected so far. One status answer may leave out a loaded
            worker that did not answer in time (its rooms show as unowned), so the snapshots are added up."""
            status = api.get("/api/douyin/status").json()["sessions"]
            seen_connected.update({s["session_id"]: s["worker_id"] for s in status if s["state"] == "connected"})
            return dict(seen_connected)

        try:
            spread = eventually(placement, lambda p: set(p) == set(sessions), scale.connect_s, "every room connected")
        except AssertionError:  # name the rooms that never connected, and what their workers say of them
            seen, status = placement(), api.get("/api/douyin/status").json()["sessions"]
            never = [(s["live_id"], s["worker_id"], s["state"]) for s in status if s["session_id"] not in seen]
            raise AssertionError(f"{len(never)} of {scale.rooms} rooms never seen connected: {never[:20]}") from None
        counts = {wid: list(spread.values()).count(wid) for wid in ("main", "w1", "w2", "w3")}
        print(f"every room connected {time.monotonic() - starting:.1f} s after the first start; spread {counts}")
        assert max(counts.values()) - min(counts.values()) <= 1, counts  # spread evenly

        # -- kill -9 one worker group: its fetcher first, then its launcher and the rest. "Flowing again": a chat of
        # each of its rooms appended to the log by another worker (the log's entries name their worker).
        victim = workers["w1"]
        fetcher_pid = victim.status()["services"]["douyin_fetcher"]["pid"]
        moved = {s for s, w in spread.items() if w == "w1"}
        pids = group_pids(victim)
        client.xgroup_create(EVENTS_STREAM, "failover-observer", id="$", mkstream=True)
        os.kill(fetcher_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        flowing: set[str] = set()

        def flowing_again() -> set[str]:
            for _stream, entries in client.xreadgroup("failover-observer", "t", {EVENTS_STREAM: ">"}, count=5000):
                for _id, fields in entries:
                    event = orjson.loads(fields[b"e"])
                    if event["session_id"] in moved and event["type"] == "chat" and fields.get(b"w") != b"w1":
                        flowing.add(event["session_id"])
            return flowing

        eventually(flowing_again, lambda f: f == moved, FAILOVER_S + 15, "w1's rooms flowing on the others")
        failover_s = time.monotonic() - killed_at
        client.xgroup_destroy(EVENTS_STREAM, "failover-observer")
        print(f"failover of {len(moved)} rooms after kill -9: {failover_s:.1f} s")
        assert failover_s <= FAILOVER_S, failover_s
        after = eventually(
            placement, lambda p: all(p.get(s) not in (None, "w1") for s in moved), 30, "w1's rooms connected elsewhere"
        )
        assert "w1" not in eventually(live_workers, lambda ws: "w1" not in ws, 15, "w1 gone from /api/workers")

        # -- freeze w2 past its lease, then thaw it: it must write nothing more.
        paused = workers["w2"]
        frozen[:] = group_pids(paused)
        taken = {s for s, w in after.items() if w == "w2"}
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        eventually(placement, lambda p: all(p.get(s) not in (None, "w2") for s in taken), 30, "w2's rooms moved")
        client.xgroup_create(EVENTS_STREAM, "test-observer", id="$", mkstream=True)
        for pid in reversed(frozen):  # children first, so the launcher does not see them frozen
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        frozen.clear()
        time.sleep(5)
        writers: dict[str, int] = {}
        while True:
            batch = client.xreadgroup("test-observer", "t", {EVENTS_STREAM: ">"}, count=5000)
            if not batch or not batch[0][1]:
                break
            for _id, fields in batch[0][1]:
                writer = (fields or {}).get(b"w", b"").decode()
                writers[writer] = writers.get(writer, 0) + 1
        assert writers.get("w2", 0) == 0, f"the thawed worker wrote {writers}"
        assert sum(writers.values()) > 0  # the others went on writing meanwhile
        client.xgroup_destroy(EVENTS_STREAM, "test-observer")
        back = eventually(live_workers, lambda ws: "w2" in ws and ws["w2"]["rooms"] == [], 20, "w2 back, no rooms")
        assert back["w2"]["rooms"] == []

        # -- the gateway restarts: nothing changes for the rooms (they live on the workers, under their leases).
        before = eventually(placement, lambda p: set(p) >= set(sessions) - ended(), 30, "every room connected")
        gateway_pid = main.status()["services"]["gateway"]["pid"]
        restarted = main.cli("restart", "gateway")
        assert restarted.returncode == 0, restarted.stderr
        main.wait_running(timeout=60, exclude_pids={"gateway": gateway_pid})
        same = eventually(placement, lambda p: set(p) >= set(before) - ended(), 30, "the rooms after the restart")
        assert {s: w for s, w in same.items() if s in before} == {s: before[s] for s in same if s in before}

        # -- every scripted chat stored exactly once.
        eventually(
            lambda: sum(r.done.is_set() for r in rooms.values()),
            lambda n: n == scale.rooms,
            scale.end_s,
            "every live ended",
        )
        engine = make_engine(database_url)
        try:

            def stored() -> dict[str, list[str]]:
                with Session(engine) as s:
                    rows = s.execute(select(CommentData.session_id, CommentData.msg_id)).all()
                out: dict[str, list[str]] = {}
                for session_id, msg_id in rows:
                    out.setdefault(session_id, []).append(msg_id)
                return out

            def stored_count() -> int:
                with Session(engine) as s:
                    return int(s.scalar(select(func.count()).select_from(CommentData)) or 0)

            expected = scale.rooms * scale.frames
            with contextlib.suppress(AssertionError):  # what is missing then is named below, room by room
                eventually(stored_count, lambda n: n >= expected, scale.store_s, f"all {expected} chats stored")
            got = stored()
            short = {web_rid: len(truth[web_rid] - set(got.get(s, []))) for s, web_rid in sessions.items()}
            short = {web_rid: n for web_rid, n in short.items() if n}
            for session_id, web_rid in [(s, w) for s, w in sessions.items() if w in short][:10]:
                # Which of its chats: a block (a gap in a resume, or the tail a slow persister has not reached).
                lost = sorted(int(m) % 10_000 for m in truth[web_rid] - set(got.get(session_id, [])))
                print(f"room {web_rid} misses chats {lost[0]}..{lost[-1]} ({len(lost)})")
            if short:  # how far the log and the persister got, to tell a slow persister from a loss
                print(
                    f"on the log: {client.xlen(EVENTS_STREAM)}; persister: {api.get('/health').json().get('persister')}"
                )
            assert not short, (
                f"{sum(short.values())} chats missing in {len(short)} rooms: {dict(list(short.items())[:8])}"
            )
            for session_id, web_rid in sessions.items():
                ids = got.get(session_id, [])
                assert len(ids) == len(set(ids)) and set(ids) == truth[web_rid], (web_rid, len(ids))
            with Session(engine) as s:
                assert s.scalar(select(func.count()).select_from(CommentData)) == scale.rooms * scale.frames
        finally:
            engine.dispose()
    finally:
        if api is not None:
            api.close()
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        for group in suites:
            with contextlib.suppress(Exception):
                group.stop()
        for group in suites:
            for pid in group.all_pids() if group.proc is not None and group.proc.poll() is None else []:
                with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        client.close()


def test_a_room_moved_by_hand_goes_on_in_its_session_and_a_live_id_runs_once_across_workers(
    fake: FakeDouyinThread, private_redis: RedisServer, postgres_url: str, tmp_path: Path
) -> None:
    """The suite and one worker group: a live id started again (placed on the other worker) answers its session; a
    room moved by hand (POST /api/douyin/move) goes on in the same session on the named worker within a few seconds,
    and every chat of both rooms is stored exactly once."""
    scale = Scale(rooms=2, frames=200, pause_s=0.1, prefix="6")
    shared_env = {**fake.suite_env(), "TIMAO_REDIS_URL": private_redis.url, "TIMAO_DATABASE_URL": postgres_url}
    main = Suite(tmp_path / "main", extra_env={**shared_env, "TIMAO_WORKER_ID": "main"})
    other = Suite(tmp_path / "w1", role="worker", extra_env={**shared_env, "TIMAO_WORKER_ID": "w1"})
    api: httpx.Client | None = None
    try:
        main.start()
        other.start()
        main.wait_running(timeout=180)
        other.wait_running(timeout=180)
        api = httpx.Client(base_url=main.base_url, headers=main.auth, timeout=30)
        assert api is not None
        eventually(lambda: {w["worker_id"] for w in api.get("/api/workers").json()["workers"]},
                   lambda ws: {"main", "w1"} <= ws, 30, "two workers registered")  # fmt: skip

        truth: dict[str, set[str]] = {}
        rooms: dict[str, FakeRoom] = {}
        sessions: dict[str, str] = {}
        for n, place in enumerate(("main", "w1")):
            web_rid = f"{scale.prefix}{n:011d}"
            steps, truth[web_rid] = scripted(web_rid, 8_200_000_000_000_000_000 + n * 10_000, scale)
            rooms[web_rid] = fake.load(load_scenario(steps))
            answer = api.post("/api/douyin/start",
                              json={"live_id": web_rid, "config": FAST_ROOM_CONFIG, "worker_id": place})  # fmt: skip
            assert answer.status_code == 200 and answer.json()["worker_id"] == place, answer.text
            sessions[answer.json()["session_id"]] = web_rid
        moving = next(s for s, web_rid in sessions.items() if web_rid == "600000000000")

        # The same live id, asked of the other worker: the session that runs it answers, nothing new is created.
        again = api.post("/api/douyin/start", json={"live_id": "600000000000", "worker_id": "w1"})
        assert again.status_code == 200, again.text
        assert again.json()["session_id"] == moving and again.json()["worker_id"] == "main"

        def placement() -> dict[str, str]:
            status = api.get("/api/douyin/status").json()["sessions"]
            return {s["session_id"]: s["worker_id"] for s in status if s["state"] == "connected"}

        eventually(placement, lambda p: p.get(moving) == "main" and len(p) == 2, 60, "both rooms connected")
        time.sleep(3)  # chats flowing on main
        moved = api.post("/api/douyin/move", json={"session_id": moving, "worker_id": "w1"})
        asked = time.monotonic()
        assert moved.status_code == 200, moved.text
        assert moved.json() == {"success": True, "session_id": moving, "worker_id": "w1", "from_worker_id": "main"}
        eventually(placement, lambda p: p.get(moving) == "w1", 15, "the moved room connected on w1")
        print(f"moved room connected on its new worker {time.monotonic() - asked:.1f} s after the move")
        there = api.post("/api/douyin/move", json={"session_id": moving, "worker_id": "w1"})
        assert there.status_code == 409, there.text
        assert api.post("/api/douyin/move", json={"session_id": moving, "worker_id": "w9"}).status_code == 404

        eventually(lambda: all(r.done.is_set() for r in rooms.values()), bool, 120, "both lives ended")
        engine = make_engine(postgres_url)
        try:

            def stored() -> dict[str, list[str]]:
                with Session(engine) as s:
                    rows = s.execute(select(CommentData.session_id, CommentData.msg_id)).all()
                out: dict[str, list[str]] = {}
                for session_id, msg_id in rows:
                    out.setdefault(session_id, []).append(msg_id)
                return out

            got = eventually(stored, lambda g: sum(map(len, g.values())) >= 2 * scale.frames, 60, "every chat stored")
            for session_id, web_rid in sessions.items():
                ids = got.get(session_id, [])
                assert len(ids) == len(set(ids)) and set(ids) == truth[web_rid], (web_rid, len(ids))
        finally:
            engine.dispose()
    finally:
        if api is not None:
            api.close()
        for group in (other, main):
            with contextlib.suppress(Exception):
                group.stop()
