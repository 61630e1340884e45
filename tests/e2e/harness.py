"""Start the real suite (``timao up``) for a test: a temporary ``TIMAO_HOME``, free ports, the embedded Redis."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
from websockets.sync.client import connect

from launcher.control import LauncherNotRunning, request
from launcher.redis_embedded import free_port
from services.douyin_fetcher.fake_server import FakeDouyinServer
from shared.platforms.douyin.account import DouyinAccount, parse_cookie_string, save_account

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The fake Douyin server's test signer (a stand-in get_sign the strict mode checks); a fixture, never in the build.
TEST_SIGNER_JS = PROJECT_ROOT / "tests" / "fixtures" / "signer" / "test_sign.js"


@dataclass
class Suite:
    home: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    demo: bool = False
    role: str = "all"  # "worker": `timao up --role worker`, only the workers (docs/contracts.md)
    gateway_port: int = field(default_factory=free_port)
    streamcap_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIMAO_")}
        env.update(
            TIMAO_HOME=str(self.home),
            TIMAO_GATEWAY_PORT=str(self.gateway_port),
            TIMAO_STREAMCAP_PORT=str(self.streamcap_port),
            PYTHONPATH=str(PROJECT_ROOT),
        )
        env.update(self.extra_env)
        return env

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def token(self) -> str:
        return self.extra_env.get("TIMAO_TOKEN") or (self.home / "token").read_text().strip()

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def cli(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "launcher", *args], env=self.env, cwd=PROJECT_ROOT, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip

    def start(self) -> Suite:
        args = [sys.executable, "-m", "launcher", "up"] + (["--demo"] if self.demo else [])
        args += ["--role", self.role] if self.role != "all" else []
        self.home.mkdir(parents=True, exist_ok=True)
        # The child holds its own descriptor of the log; ours is closed at once.
        with open(self.home / "launcher.out", "wb") as log:
            self.proc = subprocess.Popen(args, env=self.env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
        return self

    def status(self) -> dict[str, Any]:
        return request(self.home / "run", self.token, "status", timeout=5)

    def wait_running(self, timeout: float = 60.0, *, exclude_pids: dict[str, int] | None = None) -> dict[str, Any]:
        """Wait until every service is running (with a pid other than the given ones, after a kill)."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"launcher exited with {self.proc.returncode}:\n{self.output()}")
            try:
                last = self.status()
            except (LauncherNotRunning, OSError, FileNotFoundError, ValueError):
                time.sleep(0.1)
                continue
            services = last["services"]
            fresh = all(services[n]["pid"] != pid for n, pid in (exclude_pids or {}).items())
            if fresh and all(s["status"] == "running" for s in services.values()):
                return last  # type: ignore[no-any-return]
            time.sleep(0.05)
        raise AssertionError(f"suite not running in {timeout}s: {last}\n{self.output()}")

    def output(self) -> str:
        path = self.home / "launcher.out"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def all_pids(self) -> list[int]:
        assert self.proc is not None
        try:
            parent = psutil.Process(self.proc.pid)
            return [self.proc.pid] + [p.pid for p in parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.base_url + path, headers=self.auth, timeout=10, **kwargs)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            for pid in self.all_pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            raise


def pid_alive(pid: int) -> bool:
    try:
        # psutil has no type hints here: its status and constants are Any to mypy.
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def eventually(
    fetch: Callable[[], Any], check: Callable[[Any], bool], timeout: float, what: str, *, every: float = 0.2
) -> Any:
    """Poll ``fetch()`` every ``every`` seconds until ``check`` holds for its answer, and return that answer; fail
    naming ``what`` and showing the last answer when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fetch()
        if check(last):
            return last
        time.sleep(every)
    raise AssertionError(f"{what} not seen in {timeout:g}s; last: {str(last)[:1500]}")


Event = dict[str, Any]


class LiveFeed:
    """A client of the gateway's ``/ws`` on a thread that keeps every event, for a test to wait on and look through.

    ``with LiveFeed(suite) as feed:`` opens the socket (and fails if it does not open in 10 s); ``feed.wait_ended(id)``
    waits for a live's end, ``feed.wait_for(check)`` for any state of what arrived; ``feed.events`` is everything."""

    def __init__(self, suite: Suite, *, open_timeout: float = 10.0) -> None:
        self.events: list[Event] = []
        self._url = f"ws://127.0.0.1:{suite.gateway_port}/ws?token={suite.token}"
        self._open_timeout = open_timeout
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._arrived = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="ws-feed", daemon=True)

    def __enter__(self) -> LiveFeed:
        self._thread.start()
        assert self._ready.wait(self._open_timeout), "/ws did not open"
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        with connect(self._url, open_timeout=self._open_timeout) as ws:
            self._ready.set()
            while not self._stop.is_set():
                try:
                    event = orjson.loads(ws.recv(timeout=0.5))
                except TimeoutError:
                    continue
                with self._arrived:
                    self.events.append(event)
                    self._arrived.notify_all()

    def of(self, etype: str, session_id: str | None = None) -> list[Event]:
        """The events of one type so far (of one session, if named)."""
        return [e for e in list(self.events) if e["type"] == etype and session_id in (None, e["session_id"])]

    def wait_for(
        self, check: Callable[[list[Event]], bool], timeout: float, what: str = "the awaited events"
    ) -> list[Event]:
        """Wait until ``check(events so far)`` holds and answer those events; fail naming ``what`` if it does not
        within ``timeout`` seconds or the socket closes first."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not check(self.events):
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    closed = "" if self._thread.is_alive() else " (the socket closed)"
                    raise AssertionError(f"{what} not seen on /ws in {timeout:g} s{closed}; last: {self.events[-3:]}")
                self._arrived.wait(min(left, 0.5))
            return list(self.events)

    def wait_ended(self, session_id: str, timeout: float) -> list[Event]:
        """Wait for the ``control`` event that says the live of ``session_id`` ended; answer every event so far."""
        looked = 0

        def ended(events: list[Event]) -> bool:
            nonlocal looked
            new, looked = events[looked:], len(events)
            return any(
                e["type"] == "control" and e["data"].get("status") == "ended" and e["session_id"] == session_id
                for e in new
            )

        return self.wait_for(ended, timeout, f"the live end of session {session_id}")


# Fast client settings for scripted rooms: faults recover in a second, not a minute.
FAST_ROOM_CONFIG = {
    "heartbeat_interval": 0.3,
    "stall_timeout": 1.5,
    "device_blocked_backoff": 0.2,
    "retry_base": 0.1,
    "retry_cap": 1,
}


class FakeDouyinThread:
    """The fake Douyin server (strict signatures) on its own event loop, so a sync test can drive the suite."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = FakeDouyinServer(strict=True, idle_timeout=5.0, enter_needs_a_bogus=False)

    def run(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(30)

    def start(self) -> None:
        self.thread.start()
        self.run(self.server.start())

    def load(self, scenario: Any) -> Any:
        """Load a scenario on the server's loop; answers the room that plays it."""

        async def load() -> Any:
            return self.server.load_scenario(scenario)

        return self.run(load())

    def login(self, home: Path, nickname: str = "提猫测试号") -> None:
        """Log a suite's home in to this server, as a cookie import does (since 2026 only logged-in rooms get gifts)."""

        async def issue() -> str:
            return self.server.issue_login(nickname)

        cookies = parse_cookie_string(self.run(issue()))
        save_account(home, DouyinAccount(cookies=cookies, nickname=nickname, source="cookie"))

    def suite_env(self) -> dict[str, str]:
        """The environment that points a suite at this server, with the test signer."""
        env = {f"TIMAO_{k.upper()}": v for k, v in self.server.urls.items()}
        env["TIMAO_DOUYIN_SIGNER"] = f"js:{TEST_SIGNER_JS}"
        # These suites test our own socket: the scenarios' scripted refusals (DEVICE_BLOCKED) must be retried, not
        # move the room to the browser transport as "auto" would. A browser, if one is ever opened, runs headless.
        env["TIMAO_DOUYIN_TRANSPORT"] = "direct"
        env["TIMAO_BROWSER_HEADLESS"] = "1"
        return env

    def stop(self) -> None:
        self.run(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():  # a loop left open is a ResourceWarning, an error under filterwarnings
            self.loop.close()
