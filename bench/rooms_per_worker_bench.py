"""Rooms per worker (issue #14's benchmark): how many fake rooms at a steady chat rate one worker's fetcher carries on
this machine's cores, with the real gateway, persister and ``/ws``, a real Redis and SQLite or PostgreSQL.

    .venv/bin/python bench/rooms_per_worker_bench.py --quick      # 50 and 100 rooms, 10 s each, failover of 100
    .venv/bin/python bench/rooms_per_worker_bench.py              # 50, 100, 200, 300, 400 rooms, 30 s each
        [--steps 50,100,200] [--rate 5] [--per-frame 1] [--seconds 30] [--warmup 5] [--db sqlite|postgresql]
        [--redis-fsync always|everysec] [--failover-rooms N | --no-failover] [--profile DIR]

What runs:
  * a private redis-server (append-only, fsync ``always`` as the suite's embedded one by default);
  * the fake Douyin server (strict signatures, the test signer) in a process of its own, so its work does not hold
    the measuring client's GIL; every room plays one ``steady`` step: ``--rate`` chats a second, ``--per-frame`` a
    frame, each stamped with its frame's send time (fake_server/scenario.py), over the real push protocol;
  * ``timao up`` (gateway, persister, its own fetcher ``main``, recorder, AST) and one ``timao up --role worker``
    group ``w1``. Every room is placed on ``w1`` (``worker_id`` in ``/api/douyin/start``), whose fetcher is the
    worker measured; ``main``'s fetcher stays idle until the failover;
  * a ``/ws`` client (with the suite's local token) in this process, on a thread and loop of its own.

Per step (rooms are added to reach the step's count; the earlier ones keep running), once every room's chats flow
and ``--warmup`` seconds passed, over ``--seconds``: chats stored a second (comment rows in the database) against
the rate wanted; CPU (% of one core) of the fetcher, per room and in ms per stored chat, its RSS and RSS per room
above its idle size; the gateway's CPU (ms per stored chat) and RSS; the fake server's CPU (it shares the cores);
p50/p99/max of wire → ``/ws`` (receive time − the stamp: one clock, one machine); chats lost on ``/ws`` so far
(gaps in each room's numbers) and duplicated; the load average. CPU % is what a process got: on a loaded machine a
starved process shows little CPU and a long latency, so ms per chat is the figure that compares across loads.
``--profile DIR`` samples the fetcher and the gateway with py-spy over each step and prints their top functions.

Failover: with ``--failover-rooms`` rooms on ``w1`` and ``main`` idle, the whole ``w1`` group is killed (-9, fetcher
first); the time until every room has a chat appended to the durable log by ``main`` is printed.

At the end every room's steady step is finished and the totals compared with what the fake server sent: chats
missing from the database (lost) and seen twice on ``/ws`` (duplicated; after a failover the new owner resends the
events since the last recorded cursor, which ``/ws`` shows again and the database stores once).

The machine is shared: the load average at start and end is printed; figures taken under load say so.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import redis
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from launcher.redis_embedded import find_redis_server, free_port  # noqa: E402
from services.douyin_fetcher.fake_server import FakeDouyinServer  # noqa: E402
from shared.bus import EVENTS_STREAM, LIVE_CHANNEL  # noqa: E402
from shared.db.engine import make_engine  # noqa: E402
from shared.db.migrate import upgrade_to_head  # noqa: E402
from shared.db.models import CommentData  # noqa: E402
from tests.e2e.harness import TEST_SIGNER_JS, Suite, eventually  # noqa: E402

WORKER = "w1"
IDLE = "main"
PG_ADMIN = os.environ.get("TIMAO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BASE_MSG_ID = 8_300_000_000_000_000_000
STARTERS = 8  # rooms started at once through the gateway
FLOWING_S = 120.0  # for a step's new rooms to show their chats on /ws; past it the pipeline is saturated
SETTLE_S = 20.0  # at the end, how long the database may go without a new row before the count is final


class Saturated(Exception):
    """The pipeline fell so far behind that a step's new rooms did not show on /ws in time: the ramp stops there."""


# ------------------------------------------------------------------ the fake server's own process


def serve_fake(port: int) -> None:
    """``--serve-fake PORT``: the fake Douyin server alone until SIGTERM (rooms come by POST /__fake__/scenario)."""

    async def run() -> None:
        server = FakeDouyinServer(port, strict=True, idle_timeout=25.0, enter_needs_a_bogus=False)
        await server.start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print("ready", flush=True)
        await stop.wait()
        await server.stop()

    asyncio.run(run())


def fake_env(port: int) -> dict[str, str]:
    base = f"http://127.0.0.1:{port}"
    return {
        "TIMAO_DOUYIN_LIVE_URL": base,
        "TIMAO_DOUYIN_WWW_URL": f"{base}/www",
        "TIMAO_DOUYIN_WS_URL": f"ws://127.0.0.1:{port}/webcast/im/push/v2/",
        "TIMAO_DOUYIN_SHARE_URL": f"{base}/v",
        "TIMAO_DOUYIN_REFLOW_URL": base,
        "TIMAO_DOUYIN_SIGNER": f"js:{TEST_SIGNER_JS}",
        "TIMAO_DOUYIN_TRANSPORT": "direct",
        "TIMAO_BROWSER_HEADLESS": "1",
    }


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")


# ------------------------------------------------------------------ the /ws client


@dataclass
class WsTap:
    """Every stamped chat that reaches ``/ws``: per room the numbers seen, and (receive ns, latency ns) of each."""

    url: str
    seen: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    # (room, number) → (first receive ns, its stamp ns): when a chat missing from the database was on /ws
    first: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    arrivals: list[tuple[int, int]] = field(default_factory=list)
    reconnects: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    ready: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=lambda: asyncio.run(self._run()), name="ws-tap", daemon=True).start()
        if not self.ready.wait(15):
            raise RuntimeError("/ws did not open")

    async def _run(self) -> None:
        while not self.stop.is_set():
            try:
                async with connect(self.url, max_size=None, open_timeout=10) as ws:
                    self.ready.set()
                    while not self.stop.is_set():
                        try:
                            raw = await asyncio.wait_for(ws.recv(decode=False), 0.5)
                        except TimeoutError:
                            continue
                        self._take(raw, time.time_ns())
            except (ConnectionClosed, OSError, TimeoutError):
                self.reconnects += 1  # a client too slow is closed with 1013; what it missed is in the database
                await asyncio.sleep(0.2)

    def _take(self, raw: bytes, received: int) -> None:
        event = orjson.loads(raw)
        if event.get("type") != "chat":
            return
        room, _, rest = str(event.get("data", {}).get("content", "")).partition(" ")
        number, _, stamp = rest.partition(" @")
        if not stamp.isdigit():
            return
        self.seen[room][int(number)] += 1
        self.first.setdefault((room, int(number)), (received, int(stamp)))
        self.arrivals.append((received, received - int(stamp)))

    def latencies_ms(self, since_ns: int, until_ns: int) -> list[float]:
        return sorted(lat / 1e6 for at, lat in list(self.arrivals) if since_ns <= at < until_ns)

    def gaps_and_dups(self) -> tuple[int, int]:
        """Chats missing below each room's highest number seen, and arrivals beyond the first of a chat."""
        lost = dups = 0
        for counts in list(self.seen.values()):
            numbers = dict(counts)
            lost += max(numbers) + 1 - len(numbers)
            dups += sum(c - 1 for c in numbers.values())
        return lost, dups


class BusTap:
    """The same stamped chats on the bus's live channel (what the gateway subscribes to): wire → published latency,
    so a slow ``/ws`` figure tells the fetcher and Redis apart from the gateway and the socket."""

    def __init__(self, redis_url: str) -> None:
        self.client = redis.Redis.from_url(redis_url)
        self.arrivals: list[tuple[int, int]] = []
        self.stop = threading.Event()
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(LIVE_CHANNEL)
        threading.Thread(target=self._run, name="bus-tap", daemon=True).start()

    def _run(self) -> None:
        while not self.stop.is_set():
            msg = self.pubsub.get_message(timeout=0.5)
            if msg is None:
                continue
            received = time.time_ns()
            event = orjson.loads(msg["data"])
            if event.get("type") != "chat":
                continue
            _, _, stamp = str(event.get("data", {}).get("content", "")).partition(" @")
            if stamp.isdigit():
                self.arrivals.append((received, received - int(stamp)))

    def latencies_ms(self, since_ns: int, until_ns: int) -> list[float]:
        return sorted(lat / 1e6 for at, lat in list(self.arrivals) if since_ns <= at < until_ns)


# ------------------------------------------------------------------ measuring processes


def cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def rss_mib(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss) / 2**20


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * q))]


def stored_chats(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(CommentData)) or 0)


# ------------------------------------------------------------------ the run


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="rooms-bench-"))
        self.procs: list[subprocess.Popen[bytes]] = []
        self.suites: list[Suite] = []
        self.rooms: dict[str, str] = {}  # web_rid → session id
        self.pg_name = ""
        self.fake_port = free_port()
        self.redis_port = free_port()

    # -- set-up ---------------------------------------------------------------------------------------

    def database_url(self) -> str:
        if self.args.db == "sqlite":
            return f"sqlite:///{self.tmp / 'timao.db'}"
        self.pg_name = f"timao_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.pg_name}"'))
        admin.dispose()
        return f"{PG_ADMIN.rsplit('/', 1)[0]}/{self.pg_name}"

    def start(self) -> None:
        redis_dir = self.tmp / "redis"
        redis_dir.mkdir()
        self.procs.append(subprocess.Popen(
            [find_redis_server(), "--port", str(self.redis_port), "--bind", "127.0.0.1", "--dir", str(redis_dir),
             "--appendonly", "yes", "--appendfsync", self.args.redis_fsync, "--save", "", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        ))  # fmt: skip
        self.fake = subprocess.Popen(
            [sys.executable, __file__, "--serve-fake", str(self.fake_port)], cwd=ROOT, stdout=subprocess.DEVNULL
        )
        self.procs.append(self.fake)
        wait_port(self.redis_port)
        wait_port(self.fake_port)
        self.db_url = self.database_url()
        engine = make_engine(self.db_url)
        upgrade_to_head(engine)  # the schema is there before two launchers start
        engine.dispose()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        env = {**fake_env(self.fake_port), "TIMAO_REDIS_URL": self.redis_url, "TIMAO_DATABASE_URL": self.db_url,
               "TIMAO_LOG_LEVEL": os.environ.get("TIMAO_LOG_LEVEL", "WARNING")}  # fmt: skip
        self.main = Suite(self.tmp / IDLE, extra_env={**env, "TIMAO_WORKER_ID": IDLE})
        self.worker = Suite(self.tmp / WORKER, role="worker", extra_env={**env, "TIMAO_WORKER_ID": WORKER})
        self.suites = [self.main, self.worker]
        self.main.start()
        self.worker.start()
        self.main.wait_running(timeout=180)
        self.worker.wait_running(timeout=180)
        self.api = httpx.Client(base_url=self.main.base_url, headers=self.main.auth, timeout=60)
        self.fake_api = httpx.Client(base_url=f"http://127.0.0.1:{self.fake_port}", timeout=30)
        eventually(
            lambda: {w["worker_id"] for w in self.api.get("/api/workers").json()["workers"]},
            lambda ws: {IDLE, WORKER} <= ws, 30, "both workers registered",
        )  # fmt: skip
        self.tap = WsTap(f"ws://127.0.0.1:{self.main.gateway_port}/ws?token={self.main.token}")
        self.tap.start()
        self.bus_tap = BusTap(self.redis_url)
        self.engine = make_engine(self.db_url)
        self.fetcher_rss0 = rss_mib(self.pid(self.worker, "douyin_fetcher"))  # before any room: RSS per room above it
        print(f"redis {self.redis_url}, fake douyin :{self.fake_port} (pid {self.fake.pid}), fetcher pid"
              f" {self.pid(self.worker, 'douyin_fetcher')}, gateway pid {self.pid(self.main, 'gateway')},"
              f" home {self.tmp}",
              flush=True)  # fmt: skip

    def pid(self, suite: Suite, service: str) -> int:
        return int(suite.status()["services"][service]["pid"])

    # -- rooms ----------------------------------------------------------------------------------------

    def add_rooms(self, count: int) -> None:
        """Start rooms up to ``count`` on the measured worker, and wait until each one's chats reach ``/ws``."""
        new = [f"6{n:011d}" for n in range(len(self.rooms), count)]
        for n, web_rid in enumerate(new, start=len(self.rooms)):
            steady = {"op": "steady", "rate": self.args.rate, "seconds": 36_000, "per_frame": self.args.per_frame,
                      "base_msg_id": BASE_MSG_ID + n * 10_000_000, "prefix": web_rid}  # fmt: skip
            answer = self.fake_api.post("/__fake__/scenario", json={"room": {"web_rid": web_rid, "title": web_rid},
                                                                     "steps": [steady, {"op": "end"}]})  # fmt: skip
            answer.raise_for_status()

        def start(web_rid: str) -> tuple[str, str]:
            for _ in range(5):  # a busy worker may answer late (504); asked again, it answers the room's session
                answer = self.api.post("/api/douyin/start", json={"live_id": web_rid, "worker_id": WORKER})
                if answer.status_code not in (503, 504):
                    break
            if answer.status_code != 200:
                raise RuntimeError(f"room {web_rid} not started: {answer.status_code} {answer.text[:300]}")
            return web_rid, str(answer.json()["session_id"])

        with ThreadPoolExecutor(STARTERS) as pool:
            self.rooms.update(pool.map(start, new))
        try:
            eventually(lambda: set(self.tap.seen), lambda seen: set(new) <= seen, FLOWING_S,
                       "every new room's chats on /ws", every=0.5)  # fmt: skip
        except AssertionError:
            flowing = len(set(new) & set(self.tap.seen))
            raise Saturated(
                f"only {flowing} of the {len(new)} new rooms' chats reached /ws in {FLOWING_S:g} s"
            ) from None

    def step(self, count: int) -> dict[str, float]:
        began = time.monotonic()
        self.add_rooms(count)
        started_s = time.monotonic() - began
        time.sleep(self.args.warmup)
        fetcher, gateway = self.pid(self.worker, "douyin_fetcher"), self.pid(self.main, "gateway")
        cpu0 = (cpu_s(fetcher), cpu_s(gateway), cpu_s(self.fake.pid))
        rows0, t0, ns0 = stored_chats(self.engine), time.monotonic(), time.time_ns()
        profiles = self.profile(count, {"fetcher": fetcher, "gateway": gateway})
        time.sleep(self.args.seconds)
        for name, (proc, out) in profiles.items():
            proc.wait(30)
            print(f"  py-spy {name} at {count} rooms, top own time:\n{top_frames(out)}", flush=True)
        rows1, elapsed, ns1 = stored_chats(self.engine), time.monotonic() - t0, time.time_ns()
        cpu1 = (cpu_s(fetcher), cpu_s(gateway), cpu_s(self.fake.pid))
        lat = self.tap.latencies_ms(ns0, ns1)
        bus_lat = self.bus_tap.latencies_ms(ns0, ns1)
        lost, dups = self.tap.gaps_and_dups()
        return {
            "rooms": count, "start_s": started_s, "stored_eps": (rows1 - rows0) / elapsed,
            "expected_eps": count * self.args.rate,
            "fetcher_cpu": 100 * (cpu1[0] - cpu0[0]) / elapsed, "fetcher_rss": rss_mib(fetcher),
            "fetcher_kib_room": (rss_mib(fetcher) - self.fetcher_rss0) * 1024 / count,
            "gateway_cpu": 100 * (cpu1[1] - cpu0[1]) / elapsed, "gateway_rss": rss_mib(gateway),
            "fake_cpu": 100 * (cpu1[2] - cpu0[2]) / elapsed,
            "p50": percentile(lat, 0.50), "p99": percentile(lat, 0.99), "max": lat[-1] if lat else float("nan"),
            "bus_p50": percentile(bus_lat, 0.50), "bus_p99": percentile(bus_lat, 0.99),
            "lost": lost, "dups": dups, "load": os.getloadavg()[0],
        }  # fmt: skip

    def profile(
        self, count: int | str, pids: dict[str, int], seconds: float | None = None
    ) -> dict[str, tuple[subprocess.Popen[bytes], Path]]:
        """With ``--profile``: py-spy samples each process's GIL holder over the measured window (raw stacks, one
        file each): where the CPU goes, GIL waits left out."""
        if not self.args.profile:
            return {}
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
        if spy is None:
            raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
        out_dir = Path(self.args.profile)
        out_dir.mkdir(parents=True, exist_ok=True)
        started = {}
        for name, pid in pids.items():
            out = out_dir / f"{count}-{name}.txt"
            duration = max(1, int(seconds or self.args.seconds - 1))
            argv = [spy, "record", "--pid", str(pid), "--duration", str(duration),
                    "--rate", "50", "--gil", "--nonblocking", "--format", "raw", "-o", str(out)]  # fmt: skip
            started[name] = (subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out)
        return started

    # -- failover -------------------------------------------------------------------------------------

    def failover(self, count: int) -> float:
        """Kill -9 the measured worker's whole group with ``count`` rooms; seconds until every room has a chat
        appended to the log by the idle worker."""
        if len(self.rooms) < count:
            self.add_rooms(count)
        time.sleep(2)
        client = redis.Redis.from_url(self.redis_url)
        client.xgroup_create(EVENTS_STREAM, "bench-failover", id="$", mkstream=True)
        sessions = set(self.rooms.values())
        fetcher, pids = self.pid(self.worker, "douyin_fetcher"), self.worker.all_pids()
        # With --profile: the adopting fetcher over the whole takeover (the lease's wait included).
        adopting = {"adopting-fetcher": self.pid(self.main, "douyin_fetcher"), "fake-douyin": self.fake.pid}
        profiles = self.profile("failover", adopting, 25)
        os.kill(fetcher, signal.SIGKILL)
        killed = time.monotonic()
        self.killed_ns = time.time_ns()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        flowing: set[str] = set()
        marks: list[str] = []  # how many rooms flow again by each second after the kill: the shape of the wait

        def read() -> set[str]:
            reply: Any = client.xreadgroup("bench-failover", "b", {EVENTS_STREAM: ">"}, count=10_000)
            for _stream, entries in reply:
                for _id, fields in entries:
                    if fields.get(b"w") == IDLE.encode():
                        flowing.add(str(orjson.loads(fields[b"e"])["session_id"]))
            second = int(time.monotonic() - killed)
            if len(marks) <= second:
                marks.extend([f"{len(marks) + i}s:{len(flowing)}" for i in range(second + 1 - len(marks))])
            return flowing

        eventually(read, lambda f: sessions <= f, 120, "every room flowing on the idle worker", every=0.1)
        took = time.monotonic() - killed
        print(f"rooms flowing again, by second after the kill: {' '.join(marks)}", flush=True)
        for name, (proc, out) in profiles.items():
            proc.wait(60)
            print(f"  py-spy {name} over the failover, top own time:\n{top_frames(out, 25)}", flush=True)
        client.xgroup_destroy(EVENTS_STREAM, "bench-failover")
        client.close()
        return took

    # -- totals ---------------------------------------------------------------------------------------

    def totals(self) -> dict[str, int]:
        """Finish every room, wait for its live end to be stored, and compare with what the fake server sent."""
        self.fake_api.post("/__fake__/finish", json={}).raise_for_status()
        summary = eventually(lambda: self.fake_api.get("/__fake__/rooms").json()["rooms"],
                             lambda rooms: all(r["done"] for r in rooms.values()), 120, "every live ended")  # fmt: skip
        sent = sum(r["steady_sent"] for r in summary.values())
        by_session: dict[str, int] = {}

        def stored() -> int:
            with Session(self.engine) as s:
                rows = s.execute(select(CommentData.session_id, func.count()).group_by(CommentData.session_id)).all()
            by_session.clear()
            by_session.update({str(sid): int(n) for sid, n in rows})
            return sum(by_session.values())

        # Until every chat is stored, or the database has not grown for SETTLE_S (what is missing then is lost).
        last, grew = -1, time.monotonic()
        while time.monotonic() - grew < SETTLE_S and (now := stored()) < sent:
            if now != last:
                last, grew = now, time.monotonic()
            time.sleep(1)
        rows = stored()
        ws_dups = sum(c - 1 for counts in self.tap.seen.values() for c in counts.values())
        ws_seen = sum(len(counts) for counts in self.tap.seen.values())
        if rows < sent:  # where the missing ones are: which rooms, and what the persister says
            by_room = {web_rid: by_session.get(sid, 0) for web_rid, sid in self.rooms.items()}
            short = {w: summary[w]["steady_sent"] - n for w, n in by_room.items() if n < summary[w]["steady_sent"]}
            print(f"rooms short in the database: {len(short)}, e.g. {dict(list(short.items())[:5])}; persister:"
                  f" {self.api.get('/health').json().get('persister')}", flush=True)  # fmt: skip
            self.trace_missing(short)
        return {"sent": sent, "stored": rows, "lost": max(0, sent - rows), "extra": max(0, rows - sent),
                "ws_seen": ws_seen, "ws_dups": ws_dups, "ws_reconnects": self.tap.reconnects}  # fmt: skip

    def trace_missing(self, short: dict[str, int]) -> None:
        """Which chats of the short rooms the database lacks, whether and when /ws had them (against the kill), and
        what Redis still holds of them; all of it in missing.json beside the homes."""
        client = redis.Redis.from_url(self.redis_url)
        killed = getattr(self, "killed_ns", 0)
        missing: list[dict[str, Any]] = []
        for web_rid in short:
            sid = self.rooms[web_rid]
            with Session(self.engine) as s:
                contents = s.scalars(select(CommentData.content).where(CommentData.session_id == sid)).all()
            stored = {int(c.split(" ")[1]) for c in contents}
            for n in sorted(set(self.tap.seen.get(web_rid, {})) - stored):
                at, stamp = self.tap.first.get((web_rid, n), (0, 0))
                missing.append({"room": web_rid, "session": sid, "n": n, "msg_id": BASE_MSG_ID
                                + int(web_rid) % 100_000_000 * 10_000_000 + n, "ws_count": self.tap.seen[web_rid][n],
                                "ws_at_s_after_kill": (at - killed) / 1e9 if killed else None,
                                "stamp_s_after_kill": (stamp - killed) / 1e9 if killed else None})  # fmt: skip
        groups = [{k: (v.decode() if isinstance(v, bytes) else v) for k, v in g.items()}
                  for g in client.xinfo_groups(EVENTS_STREAM)]  # fmt: skip
        info = {"stream_len": client.xlen(EVENTS_STREAM), "groups": groups,
                "dead_letters": client.xlen("timao:events:dead"), "missing": missing}  # fmt: skip
        (self.tmp / "missing.json").write_bytes(orjson.dumps(info, default=str, option=orjson.OPT_INDENT_2))
        print(
            f"missing from the database but seen on /ws: {len(missing)}; first: {missing[:3]}; redis: stream"
            f" {info['stream_len']}, groups {groups}, dead letters {info['dead_letters']}",
            flush=True,
        )
        client.close()

    def close(self) -> None:
        if hasattr(self, "tap"):
            self.tap.stop.set()
        if hasattr(self, "bus_tap"):
            self.bus_tap.stop.set()
        for suite in self.suites:
            with contextlib.suppress(Exception):
                suite.stop()
        for proc in self.procs:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
        if hasattr(self, "engine"):
            self.engine.dispose()
        if self.pg_name:
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
            admin.dispose()
        if self.args.keep:
            print(f"kept {self.tmp} (each suite's logs under its home)", flush=True)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def top_frames(raw: Path, n: int = 10) -> str:
    """The functions with the most samples of their own in a py-spy raw file (idle waits left out)."""
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines() if raw.exists() else []:
        stack, _, count = line.rpartition(" ")
        frame = stack.rsplit(";", 1)[-1]
        if "select (selectors.py" in frame or "(threading.py" in frame or "_worker (concurrent" in frame:
            continue  # waiting, not working
        own[frame] += int(count)
        total += int(count)
    return "\n".join(f"    {100 * c / max(1, total):5.1f}% {f[:110]}" for f, c in own.most_common(n))


HEADER = (f"{'rooms':>5} {'start':>7} {'stored/s':>8}/{'want':<5} {'fetch':>7} {'/room':>7} {'ms/ev':>6} {'fRSS':>6}"
          f" {'KiB/room':>8} {'gw':>7} {'ms/ev':>6} {'gRSS':>5} {'fake':>7} {'p50ms':>7} {'p99ms':>7} {'maxms':>7}"
          f" {'bus50':>6} {'bus99':>6} {'lost':>5} {'dups':>5} {'load':>5}")  # fmt: skip


def print_step(r: dict[str, float]) -> None:
    n, eps = r["rooms"], max(r["stored_eps"], 1e-9)
    print(f"{n:>5.0f} {r['start_s']:>6.1f}s {r['stored_eps']:>8.0f}/{r['expected_eps']:<5.0f}"
          f" {r['fetcher_cpu']:>6.1f}% {r['fetcher_cpu'] / n:>6.3f}% {10 * r['fetcher_cpu'] / eps:>6.3f}"
          f" {r['fetcher_rss']:>5.0f}M {r['fetcher_kib_room']:>8.0f}"
          f" {r['gateway_cpu']:>6.1f}% {10 * r['gateway_cpu'] / eps:>6.3f} {r['gateway_rss']:>4.0f}M"
          f" {r['fake_cpu']:>6.1f}%"
          f" {r['p50']:>7.1f} {r['p99']:>7.1f} {r['max']:>7.1f} {r['bus_p50']:>6.1f} {r['bus_p99']:>6.1f}"
          f" {r['lost']:>5.0f} {r['dups']:>5.0f} {r['load']:>5.1f}",
          flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve-fake", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="50 and 100 rooms, 10 s each, failover of 100")
    parser.add_argument("--steps", help="room counts to ramp through (default 50,100,200,300,400)")
    parser.add_argument("--rate", type=float, default=5.0, help="chats a second per room")
    parser.add_argument("--per-frame", type=int, default=1, help="chats a frame (1: one frame a chat, the worst case)")
    parser.add_argument("--seconds", type=float, help="measured seconds a step (default 30, quick 10)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds after every room flows, before measuring")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--redis-fsync", choices=("always", "everysec"), default="always")
    parser.add_argument("--failover-rooms", type=int, help="rooms on the worker killed (default: the last step's)")
    parser.add_argument("--no-failover", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the run's directory (homes, logs, SQLite file)")
    parser.add_argument(
        "--profile", metavar="DIR", help="py-spy the fetcher and the gateway over each step (raw stacks)"
    )
    args = parser.parse_args()
    if args.serve_fake is not None:
        serve_fake(args.serve_fake)
        return 0
    steps = [int(s) for s in (args.steps or ("50,100" if args.quick else "50,100,200,300,400")).split(",")]
    args.seconds = args.seconds or (10.0 if args.quick else 30.0)
    print(f"rooms per worker: {args.rate:g} chats/s a room, {args.per_frame} a frame, {args.seconds:g} s a step,"
          f" database {args.db}, redis appendfsync {args.redis_fsync}; {os.cpu_count()} cores,"
          f" load average at start {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    bench = Bench(args)
    try:
        bench.start()
        print(HEADER, flush=True)
        for count in steps:
            try:
                print_step(bench.step(count))
            except Saturated as exc:
                print(f"{count:>5} saturated: {exc}; the ramp stops here", flush=True)
                break
        if not args.no_failover:
            count = args.failover_rooms or len(bench.rooms)  # default: the rooms of the last step that ran
            try:
                took = bench.failover(count)
                print(f"failover: kill -9 of the worker with {count} rooms → every room flowing on the idle one in"
                      f" {took:.1f} s", flush=True)  # fmt: skip
            except Saturated as exc:
                print(f"failover not measured: {exc}", flush=True)
        t = bench.totals()
        print(f"totals: sent {t['sent']}, stored {t['stored']}, lost {t['lost']}, stored beyond the sent"
              f" {t['extra']}; /ws: {t['ws_seen']} distinct, {t['ws_dups']} duplicated, {t['ws_reconnects']}"
              f" reconnects", flush=True)  # fmt: skip
    finally:
        bench.close()
        print(f"load average at end {os.getloadavg()[0]:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
