"""A soak under faults: the whole suite (``timao up``) under steady load for ``--minutes N`` while a chaos loop breaks
it, then checks that nothing was lost, doubled, leaked or left growing.

    .venv/bin/python bench/soak.py [--minutes 60] [--rate 1000] [--rooms 20] [--recordings 2] [--json FILE]
                                   [--disk auto|tmpfs|threshold] [--database-url URL]

``make test`` runs ``--minutes 3`` (the ``soak-short`` step); the full run is 60 minutes.

The load, all on 127.0.0.1:
  * The fake Douyin server (strict signatures, the JS test signer) runs in this process, on one event loop with the
    /ws client. ``--rooms`` rooms share ``--rate`` events/s (1,000/s over 20 rooms: 50/s a room, ``--batch`` a
    frame), paced against absolute targets. Every event has its own msg_id (room and sequence number in it) and a
    kind in a fixed mix: chat 40 %, like 20 %, member 20 %, gift 10 %, follow 10 %. The server never throws away
    what it scripted: frames a connection lost unacked are sent again on the next one, and a client that resumes
    from a cursor gets every later frame again (as Douyin does), so an event missing at the end was lost by the
    suite, and one stored twice was doubled by it.
  * Each room's stream is the synthetic live (test pattern and looped speech, ``services/streamcap/synthetic.py``).
    ``--recordings`` rooms are recorded by StreamCap (segments of a sixth of the run, 30 s to 10 min) and the first
    room is transcribed by the AST worker (Whisper, English).
  * A /ws client (the gateway's live stream, all sessions) keeps every scripted event it gets, per connection, and
    reconnects whenever its socket closes, noting the close code and reason (1013: the gateway dropped it as too
    slow, or its live feed was interrupted by a Redis restart).

The chaos loop: once the load runs (after a warm-up), one fault every ``--spacing`` seconds (by default the run
divided by the 7 faults, kept within 15-60 s: 21 s in 3 minutes, 60 s in an hour, i.e. 8 rounds), in turn, cycling
until the end; every fault of the list happens at least once, the load running on until it has. Each fault waits
for the suite to recover (bounded, generous timeouts) and the time it took is kept; the next fault never starts
before the last recovery ended and settled (``--settle``).
  * kill -9 of douyin_fetcher, gateway, streamcap, ast (the pid from the launcher's status): the launcher must
    restart the service, and the service must resume its work: every room reconnected (from its cursor), /ws and the
    persister back, every recording recording again in a new segment (resumed), the transcription job running again.
    What the killed process had started (ffmpeg) must be gone within 15 s.
  * kill -9 of the embedded Redis: the launcher restarts it, the services reconnect, events flow into the database.
  * Douyin connections dropped: every room's push connection aborted mid-stream (no close frame, frames unacked).
  * The recordings disk filled to StreamCap's free-space threshold (its ``min_free_gb`` setting; the recorder checks
    it every 5 s). ``--disk tmpfs`` (``auto`` when this process may mount, e.g. as root here): the recordings folder
    is a small tmpfs of its own and a ballast file (fallocate) takes the free space to 16 MiB under the threshold, a
    real full disk that costs no real disk writes and is gone with the unmount. ``--disk threshold`` (``auto``
    otherwise, e.g. an unprivileged CI): the threshold is raised above the free space instead; StreamCap's guard sees
    the same thing, only the bytes are not real. Either way every recording must stop with ``disk_full``, a new one
    must be refused (507); then the space comes back and the soak starts the recordings again.

At the end (exit 1, with every reason, when a check fails):
  * every event sent is stored exactly once: rows per session and kind, counted by msg_id (and by content for
    chats), none lost, none doubled, nothing unexpected;
  * every event was delivered on /ws, or missed while the client's socket was closed (the client knew: its
    connection ended with a close code, 1013 when it fell behind). An event missing inside one connection (the
    client received older and newer events of that room on it) is a silent loss, and fails;
  * every recording file is playable (ffprobe: video and audio, a duration; the first second decodes);
  * the transcription produced transcripts, and again after the AST worker was killed;
  * resident memory of every process of the suite is flat after the warm-up: psutil samples the launcher's process
    tree periodically (a service is the sum of its processes; what a service started, ffmpeg, is shown apart) and the
    median of the last part of the run may not exceed the median of the part after the warm-up by more than
    ``--rss-tolerance`` (and 32 MiB), samples of the first 45 s after a service's (re)start left out (still
    loading: the AST its model); the curves are printed. Redis's own used memory (its event log, client buffers)
    is judged the same way, within 8 MiB. A service killed every round starts afresh each time, so this judges the
    suite as it runs under chaos; a slow leak inside one incarnation shows in the curves;
  * no process leaked: after ``timao stop`` nothing the soak ever saw in the suite's process tree is alive, and no
    process carries this run's ``TIMAO_HOME``;
  * once everything is stored, Redis keeps (almost) none of the event log: the persister trims what it stored;
  * no service ended ``fatal``, every fault recovered in time, and the fake server's scripts ran without error.

Figures printed: events sent / stored / duplicated / lost per kind, /ws delivered and missed (by reason), faults
with restart and recovery times, recordings checked, RSS curves, CPU per service, load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.douyin_fetcher.fake_server import FakeDouyinServer, FakeRoom
from services.streamcap import media
from services.streamcap.synthetic import DEMO_SPEECH, SyntheticConfig, SyntheticLive
from shared.bus import EVENTS_STREAM
from shared.db.engine import make_engine
from shared.db.models import AudioTranscript, CommentData, LiveEventRow
from shared.platforms.douyin.account import DouyinAccount, parse_cookie_string, save_account
from tests.e2e.harness import TEST_SIGNER_JS, Suite

MiB = 1 << 20
GiB = 1 << 30
# The event mix, one kind per sequence number (i % 10): chat 40 %, like 20 %, member 20 %, gift 10 %, follow 10 %.
MIX = ("chat", "like", "chat", "member", "gift", "chat", "like", "member", "chat", "follow")
KINDS = ("chat", "like", "member", "gift", "follow")
MSG_BASE = 7_100_000_000_000_000_000  # msg_id = MSG_BASE + room * ROOM_SPAN + sequence number
ROOM_SPAN = 10_000_000_000
SERVICES = ("douyin_fetcher", "gateway", "streamcap", "ast")
FAULTS = ("douyin_fetcher", "gateway", "streamcap", "ast", "redis", "drop", "disk")
JUDGED = ("launcher", "redis", "gateway", "streamcap", "douyin_fetcher", "ast")
# Fast, still realistic room settings: a dropped connection is noticed and retried within seconds.
ROOM_CONFIG = {"heartbeat_interval": 5.0, "stall_timeout": 15.0, "retry_base": 0.2, "retry_cap": 2.0}
RESTART_TIMEOUT_S = 90.0
RECOVER_TIMEOUT_S = 120.0
ORPHAN_GRACE_S = 15.0
RAMP_S = 45.0  # RSS samples this soon after a service's (re)start are not judged
LOG_LEFT_MAX = 1000  # entries of the event log Redis may keep once everything is stored (trimming is approximate)
DISK_MARGIN = 16 * MiB
FINAL = ("done", "failed")  # a recording's final states


def log(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)


def eventually(check: Callable[[], Any], timeout: float, period: float = 0.5) -> Any:
    """Poll ``check`` until it answers something true; answers it, or None once ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except (httpx.HTTPError, OSError, ValueError, KeyError):
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(period)


# --------------------------------------------------------------------------------------------- the load


@dataclass
class RoomFeed:
    """One room's script: numbered events at ``rate``/s, ``batch`` a frame, until ``stop`` is set."""

    index: int
    rate: float
    batch: int
    stop: threading.Event
    sent: int = 0  # events handed to the server so far: 0 .. sent-1
    started: float = 0.0
    ended: float = 0.0

    @property
    def web_rid(self) -> str:
        return f"{880_000_000_000 + self.index}"

    def msg_id(self, i: int) -> int:
        return MSG_BASE + self.index * ROOM_SPAN + i

    def event(self, i: int) -> dict[str, Any]:
        kind = MIX[i % len(MIX)]
        user = {"id": 30_000 + i % 89, "nickname": f"观众{i % 89}"}
        spec: dict[str, Any] = {"kind": kind, "user": user, "msg_id": self.msg_id(i)}
        if kind == "chat":
            spec["content"] = chat_content(self.index, i)
        elif kind == "gift":
            spec.update(gift_id=463, name="小心心", diamonds=1, combo=False, group_id=self.msg_id(i), repeat_count=1)
        elif kind == "member":
            spec["member_count"] = i
        elif kind == "follow":
            spec["follow_count"] = i
        return spec

    def steps(self) -> Iterator[dict[str, Any]]:
        yield {"op": "wait_acks", "timeout": 0}  # returns once the fetcher is connected: the schedule starts there
        self.started = time.monotonic()
        start = time.perf_counter()
        i = 0
        while not self.stop.is_set():
            delay = start + i / self.rate - time.perf_counter()
            if delay > 0:
                yield {"op": "sleep", "s": min(delay, 1.0)}
                continue
            events = [self.event(j) for j in range(i, i + self.batch)]
            i += self.batch
            self.sent = i  # from here the server owns the frame: it sends it, or again on the next connection
            yield {"op": "frame", "events": events}
        self.ended = time.monotonic()
        yield {"op": "wait_acks", "timeout": 30}

    def expected(self, kind: str) -> int:
        return sum(1 for i in range(self.sent) if MIX[i % len(MIX)] == kind)


def chat_content(room: int, i: int) -> str:
    return f"soak {room:02d} {i:09d}"


@dataclass
class WsConn:
    opened: float
    closed: float = 0.0
    code: int | None = None
    reason: str = ""
    events: int = 0
    # room index → sequence numbers received on this connection
    received: dict[int, array[int]] = field(default_factory=lambda: defaultdict(lambda: array("q")))


class Net:
    """The fake Douyin server and the /ws client, on one event loop in a thread (one clock for both)."""

    def __init__(self, stream_base: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="soak-net", daemon=True)
        self.server = FakeDouyinServer(
            strict=True, idle_timeout=25.0, stream_base=stream_base, enter_needs_a_bogus=False
        )
        self.conns: list[WsConn] = []
        self.room_of_session: dict[str, int] = {}
        self.other_events: Counter[str] = Counter()
        self.ws_errors: Counter[str] = Counter()
        self._ws_task: asyncio.Task[None] | None = None
        self._ws_stop: asyncio.Event | None = None

    def run(self, coro: Any, timeout: float = 30) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def start(self) -> None:
        self.thread.start()
        self.run(self.server.start())

    def stop(self) -> None:
        if not self.loop.is_running():
            return

        async def halt() -> None:
            if self._ws_stop is not None:
                self._ws_stop.set()
            if self._ws_task is not None:
                self._ws_task.cancel()
                await asyncio.gather(self._ws_task, return_exceptions=True)
            await self.server.stop()

        with contextlib.suppress(Exception):
            self.run(halt())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def add_room(self, feed: RoomFeed) -> FakeRoom:
        async def add() -> FakeRoom:
            room = self.server.add_room(feed.web_rid, title=f"压测 {feed.index}", anchor_name="猫老师")
            room.start_script(feed.steps())
            return room

        return self.run(add())  # type: ignore[no-any-return]

    def drop_all(self) -> int:
        """Abort every room's push connection at once, mid-stream (the client sees 1006, frames stay unacked)."""

        async def drop() -> int:
            n = 0
            for room in self.server.rooms.values():
                if room.conn is not None and not room.conn.retired:
                    room.conn.abort()
                    n += 1
            return n

        return int(self.run(drop()))

    def connected_since(self, web_rids: list[str], since: float) -> list[str]:
        """The rooms with no accepted push connection opened after ``since`` (monotonic)."""
        fresh = {c.web_rid for c in list(self.server.observed.connections) if c.accepted and c.opened_at > since}
        return [w for w in web_rids if w not in fresh]

    def resumed_with_cursor(self, since: float) -> int:
        return sum(
            1
            for c in list(self.server.observed.connections)
            if c.accepted and c.opened_at > since and c.params.get("cursor") and c.params.get("internal_ext")
        )

    # /ws

    def watch(self, url: str) -> None:
        async def begin() -> None:
            self._ws_stop = asyncio.Event()
            self._ws_task = asyncio.get_running_loop().create_task(self._watch(url, self._ws_stop))

        self.run(begin())

    async def _watch(self, url: str, stop: asyncio.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            conn = WsConn(opened=time.monotonic())
            try:
                async with connect(url, max_size=None, open_timeout=10, ping_interval=None, close_timeout=2) as ws:
                    self.conns.append(conn)
                    backoff = 0.2
                    try:
                        async for raw in ws:
                            self._on_event(conn, raw)
                    except ConnectionClosed:
                        pass
                    conn.code = ws.close_code or 1006
                    conn.reason = ws.close_reason or ""
            except (OSError, TimeoutError, InvalidHandshake) as exc:
                self.ws_errors[type(exc).__name__] += 1
            finally:
                conn.closed = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(2.0, backoff * 2)

    def _on_event(self, conn: WsConn, raw: str | bytes) -> None:
        event = orjson.loads(raw)
        conn.events += 1
        etype = event.get("type")
        if etype in KINDS:
            room = self.room_of_session.get(event.get("session_id", ""))
            if room is not None:
                try:
                    i = int(event["msg_id"]) - MSG_BASE - room * ROOM_SPAN
                except (KeyError, ValueError):
                    i = -1
                if 0 <= i < ROOM_SPAN:
                    conn.received[room].append(i)
                    return
        self.other_events[str(etype)] += 1

    def ws_opened_since(self, since: float) -> bool:
        return any(c.opened > since for c in list(self.conns))


# --------------------------------------------------------------------------------------------- sampling


@dataclass
class Sample:
    t: float  # seconds since the load started
    rss: dict[str, int]  # label → bytes
    age: dict[str, float]  # service label → seconds since its process started
    redis: dict[str, int]  # what the embedded Redis says of its memory and the event log


class Sampler:
    """RSS and CPU of every process in the launcher's tree, every ``period`` seconds, labelled by service."""

    def __init__(self, suite: Suite, period: float, t0: float, redis_url: str) -> None:
        self.suite = suite
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.period = period
        self.t0 = t0
        self.samples: list[Sample] = []
        self.seen: dict[tuple[int, float], str] = {}  # (pid, create time) → label, every process ever in the tree
        self.cpu: dict[tuple[int, float], float] = {}  # (pid, create time) → last cpu seconds seen
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-sampler", daemon=True)
        self._service_pids: dict[int, str] = {}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            try:
                self.sample()
            except Exception:  # a sampling hiccup must not end the soak
                self.errors += 1

    def label(self, proc: psutil.Process, launcher: int) -> str:
        if proc.pid == launcher:
            return "launcher"
        if proc.pid in self._service_pids:
            return self._service_pids[proc.pid]
        parent = proc
        for _ in range(8):
            parent = parent.parent()
            if parent is None or parent.pid == launcher:
                break
            if parent.pid in self._service_pids:
                return f"{self._service_pids[parent.pid]}/{proc.name()}"
        return f"other/{proc.name()}"

    def sample(self) -> None:
        assert self.suite.proc is not None
        launcher_pid = self.suite.proc.pid
        with contextlib.suppress(Exception):
            services = self.suite.status()["services"]
            self._service_pids = {info["pid"]: name for name, info in services.items() if info.get("pid")}
        try:
            root = psutil.Process(launcher_pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        rss: dict[str, int] = defaultdict(int)
        age: dict[str, float] = {}
        for proc in procs:
            try:
                with proc.oneshot():
                    key = (proc.pid, proc.create_time())
                    label = self.seen.get(key, "")
                    if not label or label.startswith("other/"):  # a service seen before the launcher named it
                        label = self.label(proc, launcher_pid)
                    self.seen[key] = label
                    rss[label] += proc.memory_info().rss
                    if "/" not in label:
                        age[label] = time.time() - key[1]
                    times = proc.cpu_times()
                    self.cpu[key] = times.user + times.system
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        self.samples.append(Sample(time.monotonic() - self.t0, dict(rss), age, self.redis_figures()))

    def redis_figures(self) -> dict[str, int]:
        try:
            info = self.redis.info("memory")
            clients = self.redis.info("clients")
            return {
                "used": int(info["used_memory"]),
                "clients": int(info.get("mem_clients_normal", 0)),
                "aof_buffer": int(info.get("mem_aof_buffer", 0)),
                "log_entries": int(self.redis.xlen(EVENTS_STREAM)),
                "clients_n": int(clients.get("connected_clients", 0)),
            }
        except redis.RedisError:
            return {}

    def children_of(self, pid: int) -> list[tuple[int, float]]:
        try:
            return [(p.pid, p.create_time()) for p in psutil.Process(pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []


def alive(key: tuple[int, float]) -> bool:
    pid, created = key
    try:
        proc = psutil.Process(pid)
        return abs(proc.create_time() - created) < 0.01 and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# --------------------------------------------------------------------------------------------- the disk


class Disk:
    """The recordings folder and how it is filled to StreamCap's threshold (see the module docstring)."""

    def __init__(self, home: Path, mode: str, need_bytes: int) -> None:
        self.path = home / "recordings"
        self.mode = mode
        self.threshold = 64 * MiB
        self.size = self.threshold + need_bytes + 128 * MiB
        self.mounted = False
        self.ballast = self.path / ".soak-ballast"
        self.why = ""

    def prepare(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        if self.mode in ("auto", "tmpfs"):
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={self.size},mode=0700", "tmpfs", str(self.path)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode == 0:
                self.mounted, self.mode = True, "tmpfs"
                self.why = (f"tmpfs of {self.size / MiB:.0f} MiB at the recordings folder, threshold "
                            f"{self.threshold / MiB:.0f} MiB; filled by a ballast file")  # fmt: skip
                return
            if self.mode == "tmpfs":
                raise SystemExit(f"--disk tmpfs: cannot mount a tmpfs here: {done.stderr.strip()}")
            reason = done.stderr.strip() or f"mount exit {done.returncode}"
            self.why = f"threshold raised above the free space (no tmpfs: {reason[:120]})"
        else:
            self.why = "threshold raised above the free space (--disk threshold)"
        self.mode = "threshold"

    @property
    def min_free_gb(self) -> float:
        return self.threshold / GiB

    def fill(self, set_threshold: Callable[[float], None]) -> str:
        free = shutil.disk_usage(self.path).free
        if self.mode == "tmpfs":
            size = max(0, free - self.threshold + DISK_MARGIN)
            fd = os.open(self.ballast, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            try:
                os.posix_fallocate(fd, 0, size)
            finally:
                os.close(fd)
            left = shutil.disk_usage(self.path).free
            return f"ballast {size / MiB:.0f} MiB: {left / MiB:.0f} MiB free, threshold {self.threshold / MiB:.0f} MiB"
        gb = min(10_000.0, (free + GiB) / GiB)
        set_threshold(gb)
        return f"threshold raised to {gb:.1f} GB ({free / GiB:.1f} GB free)"

    def release(self, set_threshold: Callable[[float], None]) -> None:
        if self.mode == "tmpfs":
            self.ballast.unlink(missing_ok=True)
        else:
            set_threshold(self.min_free_gb)

    def cleanup(self) -> None:
        if self.mounted:
            done = subprocess.run(["umount", str(self.path)], capture_output=True, check=False)
            if done.returncode != 0:
                subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)
            self.mounted = False


# --------------------------------------------------------------------------------------------- the soak


@dataclass
class FaultResult:
    fault: str
    at: float
    restarted_s: float | None = None
    recovered_s: float | None = None
    ok: bool = True
    detail: str = ""


class Soak:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.duration = args.minutes * 60.0
        self.created = time.monotonic()
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.stop_traffic = threading.Event()
        per_room = args.rate / args.rooms
        self.feeds = [RoomFeed(i, per_room, args.batch, self.stop_traffic) for i in range(args.rooms)]
        self.rooms: list[FakeRoom] = []
        self.sessions: list[str] = []
        self.recordings: list[str] = []  # every recording started, in order
        self.active_recordings: dict[int, str] = {}  # room index → recording now running
        self.faults: list[FaultResult] = []
        self.ast_kills: list[tuple[float, int]] = []  # (when, transcripts stored then)
        self.t0 = 0.0
        self.load_started = 0.0
        self.load_ended = 0.0
        self.cpu_count = os.cpu_count() or 1
        self.loads: list[tuple[float, float, float]] = []
        seg = min(600.0, max(30.0, self.duration / 6))
        self.segment_seconds = int(seg)
        need = int(args.recordings * 80_000 * (self.duration + 300) * 1.5)
        self.disk = Disk(workdir / "home", args.disk, need)
        self.live = SyntheticLive(SyntheticConfig(hls=False, audio=DEMO_SPEECH))
        self.net: Net | None = None
        self.suite: Suite | None = None
        self.sampler: Sampler | None = None
        self.database_url = ""
        self.log_left: int | None = None

    # -- plumbing -------------------------------------------------------------------------------------

    def fail(self, reason: str) -> None:
        self.failures.append(reason)
        log(f"FAIL: {reason}")

    def wall(self) -> float:
        return time.monotonic() - self.created

    def now(self) -> float:
        return time.monotonic() - self.load_started

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> httpx.Response:
        assert self.suite is not None
        return httpx.request(
            method, self.suite.base_url + path, json=body, headers=self.suite.auth, timeout=timeout
        )  # fmt: skip

    def api_ok(self, method: str, path: str, body: Any = None, timeout: float = 30, tries: int = 20) -> dict[str, Any]:
        """A call that must succeed; retried while the service behind it restarts."""
        last = ""
        for _ in range(tries):
            try:
                answer = self.api(method, path, body, timeout)
                if answer.status_code == 200:
                    result: dict[str, Any] = answer.json()
                    return result
                last = f"{answer.status_code} {answer.text[:300]}"
                if answer.status_code not in (502, 503, 504):
                    break
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(1.0)
        raise RuntimeError(f"{method} {path} failed: {last}")

    def status(self) -> dict[str, Any]:
        assert self.suite is not None
        return self.suite.status()["services"]  # type: ignore[no-any-return]

    def set_min_free(self, gb: float) -> None:
        self.api_ok("PUT", "/api/streamcap/settings", {"min_free_gb": gb})

    def db_max_id(self) -> int:
        engine = self._engine()
        with Session(engine) as s:
            return int(s.scalar(select(func.max(CommentData.id))) or 0) + int(
                s.scalar(select(func.max(LiveEventRow.id))) or 0
            )

    _engine_cache: Any = None

    def _engine(self) -> Any:
        if self._engine_cache is None:
            self._engine_cache = make_engine(self.database_url)
        return self._engine_cache

    def transcripts(self) -> int:
        with Session(self._engine()) as s:
            query = (
                select(func.count()).select_from(AudioTranscript).where(AudioTranscript.session_id == self.sessions[0])
            )
            return int(s.scalar(query) or 0)

    # -- setup ----------------------------------------------------------------------------------------

    def setup(self) -> None:
        args = self.args
        log(f"load average at start: {'/'.join(f'{x:.2f}' for x in os.getloadavg())} ({self.cpu_count} CPUs)")
        self.disk.prepare()
        log(f"disk fault: {self.disk.why}")
        urls = self.live.start()
        self.net = Net(urls.flv.removesuffix(".flv"))
        self.net.start()
        env = {f"TIMAO_{k.upper()}": v for k, v in self.net.server.urls.items()}
        env["TIMAO_DOUYIN_SIGNER"] = f"js:{TEST_SIGNER_JS}"
        env["TIMAO_RECORDINGS_DIR"] = str(self.disk.path)
        if args.database_url:
            env["TIMAO_DATABASE_URL"] = args.database_url
        # Since 2026 only a logged-in room receives gifts: the suite watches with an account, as a streamer does.
        cookies = parse_cookie_string(self.net.server.issue_login("soak"))
        save_account(self.workdir / "home", DouyinAccount(cookies=cookies, nickname="soak", source="cookie"))
        self.suite = Suite(self.workdir / "home", extra_env=env).start()
        self.suite.wait_running(timeout=120)
        self.database_url = self.suite.status()["database_url"]
        pids = ", ".join(f"{name} {info['pid']}" for name, info in self.status().items())
        log(f"suite running: {pids}")
        self.set_min_free(self.disk.min_free_gb)

        self.net.watch(f"ws://127.0.0.1:{self.suite.gateway_port}/ws?token={self.suite.token}")
        if not eventually(lambda: self.net and self.net.conns, 20, 0.2):
            raise RuntimeError(f"/ws did not open: {dict(self.net.ws_errors)}")
        self.t0 = time.monotonic()
        for feed in self.feeds:
            self.rooms.append(self.net.add_room(feed))
            started = self.api_ok("POST", "/api/douyin/start", {"live_id": feed.web_rid, "config": ROOM_CONFIG})
            self.sessions.append(started["session_id"])
            self.net.room_of_session[started["session_id"]] = feed.index
        self.load_started = time.monotonic()
        period = min(15.0, max(2.0, self.duration / 60))
        self.sampler = Sampler(self.suite, period, self.load_started, self.suite.status()["redis_url"])
        self.sampler.start()
        for room in range(min(args.recordings, args.rooms)):
            self.start_recording(room)
        audio = {"source": "session", "session_id": self.sessions[0]}
        self.api_ok("POST", "/api/ast/start", {"audio_config": audio, "model_config": {"language": "en"}}, timeout=60)
        log(f"{args.rooms} rooms at {args.rate:,.0f} events/s in all, {len(self.recordings)} recordings "
            f"({self.segment_seconds} s segments), 1 transcription; running {args.minutes:g} min")  # fmt: skip

    def start_recording(self, room: int) -> str:
        body = {"platform": "douyin", "stream_url": self.feeds[room].web_rid, "segment_seconds": self.segment_seconds}
        recording_id = str(self.api_ok("POST", "/api/streamcap/start", body)["recording_id"])
        self.recordings.append(recording_id)
        self.active_recordings[room] = recording_id
        return recording_id

    def recording(self, recording_id: str) -> dict[str, Any]:
        answer = self.api("GET", f"/api/streamcap/recordings/{recording_id}", timeout=10)
        return answer.json() if answer.status_code == 200 else {}  # type: ignore[no-any-return]

    def room_states(self) -> dict[str, str]:
        answer = self.api("GET", "/api/douyin/status", timeout=10)
        if answer.status_code != 200:
            return {}
        return {r["session_id"]: r["state"] for r in answer.json()["sessions"]}

    def all_rooms_connected(self) -> bool:
        states = self.room_states()
        return bool(states) and all(states.get(s) == "connected" for s in self.sessions)

    def ast_job(self) -> dict[str, Any] | None:
        answer = self.api("GET", "/api/ast/status", timeout=10)
        if answer.status_code != 200:
            return None
        return next((j for j in answer.json()["jobs"] if j["session_id"] == self.sessions[0]), None)

    # -- chaos ----------------------------------------------------------------------------------------

    def chaos(self) -> None:
        warmup = min(60.0, max(20.0, self.duration * 0.1))
        cooldown = min(60.0, max(15.0, self.duration * 0.08))
        spacing = self.args.spacing or min(60.0, max(15.0, (self.duration - warmup - cooldown) / len(FAULTS)))
        log(f"chaos: warm-up {warmup:.0f} s, a fault every {spacing:.0f} s at the earliest, cool-down {cooldown:.0f} s")
        next_at = warmup
        for k in itertools.count():
            fault = FAULTS[k % len(FAULTS)]
            if k >= len(FAULTS) and next_at > self.duration - cooldown:
                break
            self._sleep_until(next_at)
            self.loads.append(os.getloadavg())
            self.faults.append(self.inject(fault))
            next_at = max(next_at + spacing, self.now() + self.args.settle)
        self._sleep_until(max(self.duration, self.now() + cooldown))

    def _sleep_until(self, t: float) -> None:
        while self.now() < t:
            time.sleep(min(1.0, t - self.now()))

    def inject(self, fault: str) -> FaultResult:
        result = FaultResult(fault, self.now())
        log(f"fault {len(self.faults) + 1}: {fault} at {result.at:.0f} s")
        try:
            if fault in SERVICES or fault == "redis":
                self.kill(fault, result)
            elif fault == "drop":
                self.drop(result)
            else:
                self.fill_disk(result)
        except Exception as exc:
            result.ok = False
            result.detail = f"{result.detail}; {type(exc).__name__}: {exc}".lstrip("; ")
        if not result.ok:
            self.fail(f"fault {fault} at {result.at:.0f} s: {result.detail}")
        else:
            restarted = f"restarted in {result.restarted_s:.1f} s, " if result.restarted_s is not None else ""
            log(f"  {fault}: {restarted}recovered in {result.recovered_s:.1f} s {result.detail}")
        states = self.status()
        fatal = [n for n, i in states.items() if i["status"] == "fatal"]
        if fatal:
            self.fail(f"after fault {fault}: {', '.join(fatal)} fatal: {[states[n]['reason'] for n in fatal]}")
        return result

    def kill(self, name: str, result: FaultResult) -> None:
        assert self.net is not None and self.sampler is not None
        before = self.status()
        old_pid = before[name]["pid"]
        others = {n: i["pid"] for n, i in before.items() if n != name}
        children = self.sampler.children_of(old_pid)
        bytes_before = {r: self.recording(rid).get("bytes", 0) for r, rid in self.active_recordings.items()}
        if name == "ast":
            self.ast_kills.append((self.now(), self.transcripts()))
        os.kill(old_pid, signal.SIGKILL)
        killed = time.monotonic()

        def restarted() -> bool:
            info = self.status()[name]
            return info["status"] == "running" and info["pid"] not in (None, old_pid)

        if not eventually(restarted, RESTART_TIMEOUT_S, 0.1):
            result.ok, result.detail = False, f"not running again within {RESTART_TIMEOUT_S:g} s: {self.status()[name]}"
            return
        result.restarted_s = time.monotonic() - killed

        checks: list[tuple[str, Callable[[], bool]]] = []
        web_rids = [f.web_rid for f in self.feeds]
        if name == "douyin_fetcher":
            checks += [("every room reconnected", lambda: not self.net.connected_since(web_rids, killed)),
                       ("every room connected", self.all_rooms_connected)]  # fmt: skip
        elif name == "gateway":
            checks += [("/ws reconnected", lambda: self.net.ws_opened_since(killed)),
                       ("events stored again", self._storing_again())]  # fmt: skip
        elif name == "streamcap":
            checks.append(("every recording resumed", lambda: self._recordings_resumed(bytes_before)))
        elif name == "ast":
            checks.append(("transcription job running again", self._ast_resumed))
        else:  # redis
            checks += [("every service running", lambda: all(i["status"] == "running" for i in self.status().values())),
                       ("every room connected", self.all_rooms_connected),
                       ("events stored again", self._storing_again())]  # fmt: skip
        self._recover(result, killed, checks)
        if name == "douyin_fetcher":
            result.detail += f" ({self.net.resumed_with_cursor(killed)} of {len(web_rids)} rooms resumed from a cursor)"
        # What the killed process had started must not outlive it.
        orphans = eventually(lambda: not any(alive(c) for c in children), ORPHAN_GRACE_S, 0.5)
        if orphans is None:
            left = [c[0] for c in children if alive(c)]
            result.ok = False
            result.detail += f"; its children {left} outlived it by {ORPHAN_GRACE_S:g} s"
        collateral = [n for n, pid in others.items() if self.status()[n]["pid"] != pid]
        if collateral:
            result.detail += f"; also restarted by the launcher: {', '.join(collateral)}"

    def _recover(self, result: FaultResult, since: float, checks: list[tuple[str, Callable[[], bool]]]) -> None:
        for what, check in checks:
            left = RECOVER_TIMEOUT_S - (time.monotonic() - since)
            if not eventually(check, max(1.0, left), 0.25):
                result.ok = False
                result.detail = f"{what}: not within {RECOVER_TIMEOUT_S:g} s"
                return
        result.recovered_s = time.monotonic() - since

    def _storing_again(self) -> Callable[[], bool]:
        first: list[int] = []

        def check() -> bool:
            current = self.db_max_id()
            if not first:
                first.append(current)
                return False
            return current > first[0]

        return check

    def _recordings_resumed(self, bytes_before: dict[int, int]) -> bool:
        for room, rid in self.active_recordings.items():
            r = self.recording(rid)
            if r.get("state") != "recording" or not r.get("resumed") or r.get("bytes", 0) <= bytes_before.get(room, 0):
                return False
        return True

    def _ast_resumed(self) -> bool:
        job = self.ast_job()
        return bool(job and job["state"] == "running" and job.get("resumed"))

    def drop(self, result: FaultResult) -> None:
        assert self.net is not None
        dropped_at = time.monotonic()
        n = self.net.drop_all()
        web_rids = [f.web_rid for f in self.feeds]
        checks: list[tuple[str, Callable[[], bool]]] = [
            ("every room reconnected", lambda: not self.net.connected_since(web_rids, dropped_at)),
            ("every room connected", self.all_rooms_connected),
        ]
        self._recover(result, dropped_at, checks)
        result.detail = f"({n} connections aborted)"

    def fill_disk(self, result: FaultResult) -> None:
        filled_at = time.monotonic()
        how = self.disk.fill(self.set_min_free)
        try:
            stopped: dict[int, dict[str, Any]] = {}

            def all_stopped() -> bool:
                for room, rid in self.active_recordings.items():
                    r = self.recording(rid)
                    if r.get("state") in FINAL:
                        stopped[room] = r
                return len(stopped) == len(self.active_recordings)

            if not eventually(all_stopped, 60, 0.5):
                waiting = [rid for r, rid in self.active_recordings.items() if r not in stopped]
                result.ok, result.detail = False, f"{how}; recordings still running after 60 s: {waiting}"
                return
            reasons = {r["recording_id"]: r.get("reason", "") for r in stopped.values()}
            if not all(reason.startswith("disk_full") for reason in reasons.values()):
                result.ok, result.detail = False, f"{how}; recordings stopped for another reason: {reasons}"
                return
            refused = self.api("POST", "/api/streamcap/start",
                               {"platform": "douyin", "stream_url": self.feeds[0].web_rid})  # fmt: skip
            if refused.status_code != 507:
                result.ok, result.detail = False, f"{how}; a new recording was not refused (507): {refused.status_code}"
                if refused.status_code == 200:
                    self.recordings.append(refused.json()["recording_id"])
                return
            result.restarted_s = time.monotonic() - filled_at  # here: every recording stopped, a new one refused
        finally:
            self.disk.release(self.set_min_free)
        for room in list(self.active_recordings):
            self.start_recording(room)

        def recording_again() -> bool:
            return all(
                (r := self.recording(rid)).get("state") == "recording" and r.get("bytes", 0) > 0
                for rid in self.active_recordings.values()
            )

        self._recover(result, filled_at, [("recordings started again", recording_again)])
        result.detail = (
            f"({how}; {len(self.active_recordings)} recordings stopped with disk_full, a new one refused 507)"
        )

    # -- the end --------------------------------------------------------------------------------------

    def finish_load(self) -> None:
        assert self.net is not None
        self.stop_traffic.set()
        self.load_ended = time.monotonic()
        log("load stopped; waiting for every room's script to finish")
        for feed, room in zip(self.feeds, self.rooms, strict=True):
            try:
                self.net.run(room.wait_done(120), timeout=130)
            except Exception as exc:
                self.fail(f"room {feed.web_rid}: script did not finish: {type(exc).__name__}: {exc}")

    def settle_database(self) -> dict[str, Any]:
        """Wait until the database holds every event sent (or stops moving for a minute); answers the tally."""
        expected = sum(f.sent for f in self.feeds)
        last, since = -1, time.monotonic()
        deadline = time.monotonic() + 300
        while True:
            stored = self._count_rows()
            if stored >= expected:
                break
            if stored != last:
                last, since = stored, time.monotonic()
            elif time.monotonic() - since > 60 or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        return self.tally_database()

    def _count_rows(self) -> int:
        with Session(self._engine()) as s:
            chats = s.scalar(
                select(func.count()).select_from(CommentData).where(CommentData.session_id.in_(self.sessions))
            )
            others = s.scalar(
                select(func.count()).select_from(LiveEventRow)
                .where(LiveEventRow.session_id.in_(self.sessions), LiveEventRow.type.in_(KINDS[1:]))
            )  # fmt: skip
        return int(chats or 0) + int(others or 0)

    def check_log_trimmed(self) -> int | None:
        """Everything is stored: Redis must not keep the acknowledged event log (the persister trims it every 10 s)."""
        assert self.sampler is not None
        client = self.sampler.redis
        last: list[int] = []

        def trimmed() -> bool:
            with contextlib.suppress(redis.RedisError):
                last.append(int(client.xlen(EVENTS_STREAM)))
                return last[-1] <= LOG_LEFT_MAX
            return False

        if not eventually(trimmed, 25, 1.0):
            held = f"{last[-1]:,} entries" if last else "(length unreadable)"
            self.fail(f"Redis still holds {held} of the event log 25 s after everything was stored")
        return last[-1] if last else None

    def tally_database(self) -> dict[str, Any]:
        per_kind: dict[str, Counter[str]] = {k: Counter() for k in KINDS}
        with Session(self._engine()) as s:
            for feed, session_id in zip(self.feeds, self.sessions, strict=True):
                base = feed.msg_id(0)
                sent = feed.sent
                rows = s.execute(
                    select(CommentData.msg_id, CommentData.content).where(CommentData.session_id == session_id)
                )
                ids: Counter[int] = Counter()
                contents: Counter[str] = Counter()
                unexpected: Counter[str] = Counter()
                for msg_id, content in rows:
                    contents[content] += 1  # every row: a chat stored again under another msg_id is a duplicate too
                    i = _index(msg_id, base)
                    if i is None or i >= sent or MIX[i % len(MIX)] != "chat" or content != chat_content(feed.index, i):
                        unexpected["chat"] += 1
                        continue
                    ids[i] += 1
                typed = s.execute(
                    select(LiveEventRow.msg_id, LiveEventRow.type)
                    .where(LiveEventRow.session_id == session_id, LiveEventRow.type.in_(KINDS[1:]))
                )  # fmt: skip
                for msg_id, etype in typed:
                    i = _index(msg_id, base)
                    if i is None or i >= sent or MIX[i % len(MIX)] != etype:
                        unexpected[etype] += 1
                        continue
                    ids[i] += 1
                for kind in KINDS:
                    expected = feed.expected(kind)
                    stored = sum(1 for i in ids if MIX[i % len(MIX)] == kind)
                    dup = sum(n - 1 for i, n in ids.items() if n > 1 and MIX[i % len(MIX)] == kind)
                    if kind == "chat":
                        dup += sum(n - 1 for n in contents.values() if n > 1)
                    tally = per_kind[kind]
                    tally["sent"] += expected
                    tally["stored"] += stored
                    tally["lost"] += expected - stored
                    tally["duplicated"] += dup
                    tally["unexpected"] += unexpected[kind]
        return {k: dict(v) for k, v in per_kind.items()}

    def tally_ws(self) -> dict[str, Any]:
        """Delivered on /ws, missed across a reconnect (the client saw its socket close), or lost silently."""
        assert self.net is not None
        conns = list(self.net.conns)
        delivered = missed = silent = duplicated = 0
        silent_examples: list[str] = []
        for feed in self.feeds:
            seen = bytearray(feed.sent)
            spans: list[tuple[int, int]] = []
            for conn in conns:
                got = conn.received.get(feed.index)
                if not got:
                    continue
                spans.append((min(got), max(got)))
                for i in got:
                    if i < feed.sent and seen[i] < 255:
                        seen[i] += 1
            delivered += sum(1 for n in seen if n)
            duplicated += sum(n - 1 for n in seen if n > 1)
            for i in (i for i, n in enumerate(seen) if not n):
                if any(lo < i < hi for lo, hi in spans):
                    silent += 1
                    if len(silent_examples) < 5:
                        silent_examples.append(f"room {feed.index} event {i} ({MIX[i % len(MIX)]})")
                else:
                    missed += 1
        codes = Counter(f"{c.code} {c.reason}".strip() for c in conns if c.closed)
        return {
            "sent": sum(f.sent for f in self.feeds),
            "delivered": delivered,
            "missed_while_disconnected": missed,
            "silently_lost": silent,
            "silent_examples": silent_examples,
            "delivered_twice": duplicated,
            "connections": len(conns),
            "close_codes": dict(codes),
            "too_slow_1013": sum(1 for c in conns if c.code == 1013 and c.reason == "client too slow"),
            "connect_errors": dict(self.net.ws_errors),
        }

    def finish_work(self) -> dict[str, Any]:
        """Stop the transcription and the recordings; check transcripts and every recording file."""
        out: dict[str, Any] = {}
        transcripts = self.transcripts()
        out["transcripts"] = transcripts
        job = self.ast_job() or {}
        out["ast_job"] = {k: job.get(k) for k in ("state", "resumed", "transcripts")}
        if transcripts == 0:
            self.fail("no transcript stored")
        if self.ast_kills:
            first_at, before = self.ast_kills[0]
            if transcripts <= before:
                self.fail(f"no transcript stored after the AST worker was killed at {first_at:.0f} s ({before} before)")
        with contextlib.suppress(Exception):
            self.api_ok("POST", "/api/ast/stop", {"session_id": self.sessions[0]}, tries=3)
        for rid in self.active_recordings.values():
            try:
                self.api_ok("POST", "/api/streamcap/stop", {"recording_id": rid}, tries=5)
            except RuntimeError as exc:
                self.fail(f"recording {rid} could not be stopped: {exc}")

        def finished() -> list[dict[str, Any]] | None:
            views = [self.recording(rid) for rid in self.recordings]
            return views if all(v.get("state") in FINAL for v in views) else None

        views = eventually(finished, 180, 1.0) or [self.recording(rid) for rid in self.recordings]
        files: list[tuple[str, str, float, str]] = []  # (recording, path, duration, problem)
        for view in views:
            rid = view.get("recording_id", "?")
            if view.get("state") != "done":
                self.fail(f"recording {rid} ended {view.get('state')!r}: {view.get('reason', '')}")
            paths = [Path(f["path"]) for f in view.get("files", [])]
            if not paths:
                self.fail(f"recording {rid} has no file")
            for path in paths:
                problem = ""
                info = media.probe(path) if path.exists() else None
                if info is None:
                    problem = "missing"
                elif not info.ok:
                    problem = info.error or "ffprobe failed"
                elif not {"video", "audio"} <= info.kinds:
                    problem = f"streams {sorted(info.kinds)}"
                elif info.duration <= 0:
                    problem = "no duration"
                else:
                    problem = media.decode_check(path)
                files.append((rid, str(path), info.duration if info else 0.0, problem))
                if problem:
                    self.fail(f"recording {rid}: {path.name} not playable: {problem}")
        out["recordings"] = [
            {"recording_id": v.get("recording_id"), "state": v.get("state"), "reason": v.get("reason", ""),
             "resumed": v.get("resumed"), "restarts": v.get("restarts"), "files": len(v.get("files", [])),
             "duration": v.get("duration")}
            for v in views
        ]  # fmt: skip
        out["files"] = files
        return out

    def stop_suite(self) -> dict[str, Any]:
        """``timao stop``, then: is anything of the suite's process tree still alive?"""
        assert self.suite is not None and self.suite.proc is not None and self.sampler is not None
        self.sampler.sample()
        self.sampler.stop()
        started = time.monotonic()
        done = self.suite.cli("stop", timeout=120)
        try:
            self.suite.proc.wait(90)
        except subprocess.TimeoutExpired:
            self.fail("the launcher did not exit within 90 s of `timao stop`")
        stop_s = time.monotonic() - started
        time.sleep(1.0)
        leaked = sorted((pid, label) for (pid, created), label in self.sampler.seen.items() if alive((pid, created)))
        home = str(self.workdir / "home")
        marked: list[tuple[int, str]] = []
        for proc in psutil.process_iter(["pid", "name"]):
            if proc.pid == os.getpid():
                continue
            with contextlib.suppress(psutil.Error):
                if proc.environ().get("TIMAO_HOME") == home and proc.status() != psutil.STATUS_ZOMBIE:
                    marked.append((proc.pid, proc.info["name"]))
        if done.returncode != 0:
            self.fail(f"`timao stop` exited {done.returncode}: {done.stdout[-300:]} {done.stderr[-300:]}")
        if leaked:
            self.fail(f"processes of the suite alive after `timao stop`: {leaked}")
        if marked:
            self.fail(f"processes with this run's TIMAO_HOME alive after `timao stop`: {marked}")
        return {"stop_s": stop_s, "processes_seen": len(self.sampler.seen), "leaked": leaked, "marked": marked}

    def judge_rss(self) -> dict[str, Any]:
        assert self.sampler is not None
        samples = self.sampler.samples
        if not samples:
            self.fail("no RSS sample")
            return {}
        end = samples[-1].t
        warm = min(600.0, max(60.0, 0.2 * end))
        window = max(30.0, 0.2 * end)
        verdict: dict[str, Any] = {"warm_up_s": warm, "window_s": window, "ramp_s": RAMP_S}
        for label in JUDGED:
            # A service just (re)started is still loading (the AST its model): not yet what it holds when it runs.
            eligible = [s for s in samples if label in s.rss and s.age.get(label, 0.0) >= RAMP_S and s.t >= warm]
            k = min(max(3, round(window / self.sampler.period)), len(eligible) // 2)
            early, late = eligible[:k], eligible[-k:] if k else []
            if k < 3:
                verdict[label] = {"judged": False, "why": f"{len(eligible)} samples after the warm-up"}
                self.fail(f"RSS of {label} not judged: {len(eligible)} samples after the warm-up")
                continue
            e = statistics.median(s.rss[label] for s in early)
            la = statistics.median(s.rss[label] for s in late)
            allowed = max(self.args.rss_tolerance * e, 32 * MiB)
            flat = la - e <= allowed
            verdict[label] = {"early_mib": e / MiB, "late_mib": la / MiB, "allowed_growth_mib": allowed / MiB,
                              "flat": flat}  # fmt: skip
            if not flat:
                self.fail(f"RSS of {label} grew: median {e / MiB:.0f} MiB after the warm-up, {la / MiB:.0f} MiB at the "
                          f"end (allowed +{allowed / MiB:.0f} MiB)")  # fmt: skip
        # Redis's own count of its memory (the event log, client buffers), free of the allocator's noise in its RSS.
        eligible = [s for s in samples if "used" in s.redis and s.age.get("redis", 0.0) >= RAMP_S and s.t >= warm]
        k = min(max(3, round(window / self.sampler.period)), len(eligible) // 2)
        if k >= 3:
            e = statistics.median(s.redis["used"] for s in eligible[:k])
            la = statistics.median(s.redis["used"] for s in eligible[-k:])
            allowed = max(self.args.rss_tolerance * e, 8 * MiB)
            verdict["redis used memory"] = {"early_mib": e / MiB, "late_mib": la / MiB,
                                            "allowed_growth_mib": allowed / MiB, "flat": la - e <= allowed}  # fmt: skip
            if la - e > allowed:
                self.fail(f"Redis's used memory grew: median {e / MiB:.0f} MiB after the warm-up, {la / MiB:.0f} MiB "
                          f"at the end (allowed +{allowed / MiB:.0f} MiB)")  # fmt: skip
        else:
            self.fail(f"Redis's used memory not judged: {len(eligible)} samples after the warm-up")
        return verdict

    # -- report ---------------------------------------------------------------------------------------

    def report(self, db: dict[str, Any], ws: dict[str, Any], work: dict[str, Any], stop: dict[str, Any],
               rss: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
        assert self.sampler is not None
        load_s = self.load_ended - self.load_started
        sent = sum(f.sent for f in self.feeds)
        print()
        print("=" * 100)
        print(f"soak: {load_s / 60:.1f} min of load ({self.args.minutes:g} asked; {self.wall() / 60:.1f} min in all), "
              f"{self.args.rooms} rooms, target {self.args.rate:,.0f} events/s, achieved "
              f"{sent / max(load_s, 1e-9):,.0f} events/s ({sent:,} events in frames of {self.args.batch}); "
              f"disk fault: {self.disk.why}")  # fmt: skip
        print(f"database: {self.database_url.split('://')[0]}; machine: {self.cpu_count} CPUs, load average at the "
              f"faults {', '.join(f'{x[0]:.1f}' for x in self.loads)}")  # fmt: skip
        print("\nevents per kind (database, counted by msg_id per session; chats also by content):")
        print(f"  {'kind':<8}{'sent':>12}{'stored':>12}{'lost':>8}{'duplicated':>12}{'unexpected':>12}")
        for kind, t in db.items():
            print(f"  {kind:<8}{t['sent']:>12,}{t['stored']:>12,}{t['lost']:>8,}{t['duplicated']:>12,}"
                  f"{t['unexpected']:>12,}")  # fmt: skip
        print(f"\n/ws: {ws['delivered']:,} of {ws['sent']:,} delivered; {ws['missed_while_disconnected']:,} missed "
              f"while the client's socket was closed; {ws['silently_lost']:,} lost silently {ws['silent_examples']}; "
              f"{ws['delivered_twice']:,} delivered twice (a restarted fetcher replays from its cursor); "
              f"{ws['connections']} connections, close codes {ws['close_codes']} (1013 too slow: "
              f"{ws['too_slow_1013']}), connect errors {ws['connect_errors']}")  # fmt: skip
        print(
            "\nfaults (restart: the process back / disk: recordings stopped and a start refused; recovery: the work "
            "going on again):"
        )
        for f in self.faults:
            restarted = f"{f.restarted_s:6.1f} s" if f.restarted_s is not None else "      -"
            recovered = f"{f.recovered_s:6.1f} s" if f.recovered_s is not None else "  never"
            print(f"  {f.at:7.0f} s  {f.fault:<15} restart {restarted}  recovery {recovered}  "
                  f"{'ok  ' if f.ok else 'FAIL'} {f.detail}")  # fmt: skip
        by_kind: dict[str, list[float]] = defaultdict(list)
        for f in self.faults:
            if f.recovered_s is not None:
                by_kind[f.fault].append(f.recovered_s)
        print(
            "  recovery by fault: "
            + "; ".join(
                f"{k} ×{len(v)} median {statistics.median(v):.1f} s max {max(v):.1f} s" for k, v in by_kind.items()
            )
        )
        print(f"\nrecordings ({len(work['recordings'])}):")
        for r in work["recordings"]:
            print(f"  {r['recording_id']}: {r['state']} {r['reason'][:60]!r}, {r['files']} files, "
                  f"{(r['duration'] or 0):.0f} s, resumed {r['resumed']}, restarts {r['restarts']}")  # fmt: skip
        bad = [f for f in work["files"] if f[3]]
        print(f"  files checked with ffprobe (+ first second decoded): {len(work['files'])}, not playable: {len(bad)}")
        print(f"transcripts stored: {work['transcripts']}; job {work['ast_job']}")
        print(f"event log left in Redis once everything was stored: {self.log_left} entries (at most {LOG_LEFT_MAX})")
        self._print_rss(rss)
        self._print_cpu(load_s)
        print(f"\nstop: `timao stop` took {stop['stop_s']:.1f} s; {stop['processes_seen']} processes seen in the "
              f"suite's tree during the run; alive afterwards: {stop['leaked'] or 'none'}; with this TIMAO_HOME: "
              f"{stop['marked'] or 'none'}")  # fmt: skip
        return {
            "minutes": load_s / 60, "rooms": self.args.rooms, "rate_target": self.args.rate,
            "rate_achieved": sent / max(load_s, 1e-9), "disk": self.disk.why, "database": db, "ws": ws,
            "faults": [f.__dict__ for f in self.faults], "work": {k: v for k, v in work.items() if k != "files"},
            "files": work["files"], "rss": rss, "stop": stop, "log_left": self.log_left, "failures": self.failures,
        }  # fmt: skip

    def _print_rss(self, verdict: dict[str, Any]) -> None:
        assert self.sampler is not None
        samples = self.sampler.samples
        labels = sorted({label for s in samples for label in s.rss}, key=lambda x: (x not in JUDGED, x))
        points = 16
        picks = [samples[min(len(samples) - 1, round(k * (len(samples) - 1) / (points - 1)))] for k in range(points)]
        warm, window = verdict.get("warm_up_s", 0), verdict.get("window_s", 0)
        print(f"\nRSS per process (MiB; a service = its processes, what it started shown apart), {len(samples)} "
              f"samples every {self.sampler.period:g} s; judged: the median of the first {window:.0f} s after the "
              f"warm-up ({warm:.0f} s) against the median of the last {window:.0f} s, leaving out the first "
              f"{RAMP_S:.0f} s of every (re)start:")  # fmt: skip
        print(f"  {'t (s)':<22}" + "".join(f"{p.t:>7.0f}" for p in picks))
        for label in labels:
            row = "".join(f"{p.rss[label] / MiB:>7.0f}" if label in p.rss else f"{'-':>7}" for p in picks)
            v = verdict.get(label)
            judged = ""
            if isinstance(v, dict) and "flat" in v:
                judged = (f"  {v['early_mib']:.0f} → {v['late_mib']:.0f} (≤ +{v['allowed_growth_mib']:.0f}) "
                          f"{'flat' if v['flat'] else 'GROWS'}")  # fmt: skip
            print(f"  {label[:22]:<22}{row}{judged}")
        for key, name, scale in (("used", "redis: used memory", MiB), ("clients", "redis: client buffers", MiB),
                                 ("log_entries", "redis: log entries (k)", 1000)):  # fmt: skip
            row = "".join(f"{p.redis[key] / scale:>7.0f}" if key in p.redis else f"{'-':>7}" for p in picks)
            v = verdict.get("redis used memory") if key == "used" else None
            judged = ""
            if isinstance(v, dict):
                judged = (f"  {v['early_mib']:.0f} → {v['late_mib']:.0f} (≤ +{v['allowed_growth_mib']:.0f}) "
                          f"{'flat' if v['flat'] else 'GROWS'}")  # fmt: skip
            print(f"  {name:<22}{row}{judged}")

    def _print_cpu(self, load_s: float) -> None:
        assert self.sampler is not None
        per: dict[str, float] = defaultdict(float)
        for key, secs in self.sampler.cpu.items():
            per[
                self.sampler.seen.get(key, "?").split("/")[0] + ("/…" if "/" in self.sampler.seen.get(key, "") else "")
            ] += secs
        total = sum(per.values())
        span = max(1e-9, (self.sampler.samples[-1].t if self.sampler.samples else load_s))
        print(
            f"\nCPU of the suite over {span:.0f} s (% of one core, every process it ran, killed ones included): "
            + ", ".join(f"{k} {v / span * 100:.0f} %" for k, v in sorted(per.items(), key=lambda x: -x[1]))
            + f"; total {total / span * 100:.0f} % of {self.cpu_count} cores"
        )
        harness = psutil.Process().cpu_times()
        share = (harness.user + harness.system) / span * 100
        print(
            f"this process (fake Douyin server, /ws client, checks): {share:.0f} % of one core; "
            f"load average now {'/'.join(f'{x:.2f}' for x in os.getloadavg())}"
        )

    # -- run ------------------------------------------------------------------------------------------

    def run(self) -> int:
        figures: dict[str, Any] = {}
        try:
            self.setup()
            self.chaos()
            self.finish_load()
            db = self.settle_database()
            self.log_left = self.check_log_trimmed()
            assert self.net is not None
            last, since = -1, time.monotonic()
            while time.monotonic() - since < 5:  # /ws: until nothing new comes for 5 s
                count = sum(c.events for c in self.net.conns)
                if count != last:
                    last, since = count, time.monotonic()
                time.sleep(0.5)
            ws = self.tally_ws()
            work = self.finish_work()
            for room in self.rooms:
                if room.errors:
                    self.fail(f"room {room.info.web_rid}: fake server script errors {room.errors}")
            stop = self.stop_suite()  # before the fake server goes: the rooms would only retry against nothing
            self.net.stop()
            rss = self.judge_rss()
            for kind, t in db.items():
                if t["lost"] or t["duplicated"] or t["unexpected"]:
                    self.fail(f"{kind}: {t['lost']:,} lost, {t['duplicated']:,} duplicated, {t['unexpected']:,} "
                              f"unexpected of {t['sent']:,} sent")  # fmt: skip
            if ws["silently_lost"]:
                self.fail(f"/ws: {ws['silently_lost']:,} events missing inside a live connection, e.g. "
                          f"{ws['silent_examples']}")  # fmt: skip
            done = {f.fault for f in self.faults}
            if missing := [f for f in FAULTS if f not in done]:
                self.fail(f"faults never injected: {missing}")
            figures = self.report(db, ws, work, stop, rss)
        except Exception as exc:
            self.fail(f"soak aborted: {type(exc).__name__}: {exc}")
            if self.suite is not None:
                print(self.suite.output()[-3000:])
        finally:
            if self.net is not None:
                self.net.stop()
            if self.sampler is not None:
                self.sampler.stop()
            if self.suite is not None:
                with contextlib.suppress(Exception):
                    self.suite.stop()
            self.live.stop()
            if self._engine_cache is not None:
                self._engine_cache.dispose()
            self.disk.cleanup()
        if self.args.json:
            figures["failures"] = self.failures
            Path(self.args.json).write_text(json.dumps(figures, indent=1, default=str))
        print()
        if self.failures:
            print(f"SOAK FAILED ({len(self.failures)}):")
            for reason in self.failures:
                print(f"  - {reason}")
            return 1
        print(
            "SOAK PASSED: every event stored once and delivered on /ws or missed while disconnected, every fault "
            "recovered, every recording playable, memory flat, no process left"
        )
        return 0


def _index(msg_id: str, base: int) -> int | None:
    try:
        i = int(msg_id) - base
    except ValueError:
        return None
    return i if 0 <= i < ROOM_SPAN else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0, help="how long the load runs (the full soak: 60)")
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second, all rooms together")
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--batch", type=int, default=5, help="events per frame")
    parser.add_argument("--recordings", type=int, default=2, help="rooms recorded by StreamCap")
    parser.add_argument(
        "--spacing", type=float, default=0.0, help="seconds between faults (default: the run over the 7 faults, 15-60)"
    )
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after a recovery before the next fault")
    parser.add_argument("--disk", choices=("auto", "tmpfs", "threshold"), default="auto",
                        help="how the recordings disk is filled (see above)")  # fmt: skip
    parser.add_argument("--rss-tolerance", type=float, default=0.25, help="allowed RSS growth, a fraction")
    parser.add_argument("--database-url", default="", help="TIMAO_DATABASE_URL for the suite (default: its SQLite)")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the suite's home (logs, database, recordings)")
    args = parser.parse_args()
    if args.rooms < 1 or args.rate <= 0 or args.minutes <= 0:
        parser.error("--rooms, --rate and --minutes must be positive")
    tmp = Path(tempfile.mkdtemp(prefix="timao-soak-"))
    try:
        return Soak(args, tmp).run()
    finally:
        if args.keep:
            print(f"kept: {tmp / 'home'}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
