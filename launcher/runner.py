"""``timao up``: prepare (lock, ports, Redis, migrations), supervise every service, and stop cleanly.

The supervisor loop runs on the main thread for the launcher's whole life: children are forked from it, and
Linux delivers their parent-death signal when the forking *thread* ends.

Cold start: every service is spawned in the same tick as the embedded Redis (the bus connects with retries), then
the status writer's thread imports SQLAlchemy and Alembic and migrates; a service that opens the database waits for
the schema-ready file the launcher then creates (``shared.db.engine.wait_for_schema``), so its imports overlap Redis's
start and the migration. What only the demo or the database needs is imported where it is used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson
import redis

from launcher.control import ControlServer
from launcher.probes import HeartbeatProbe, HttpProbe, Probe, RedisPingProbe, TcpProbe
from launcher.procs import OsProcesses
from launcher.redis_embedded import EmbeddedRedis, find_redis_server, plan_embedded_redis
from launcher.specs import PROJECT_ROOT, ServiceSpec, service_argv
from launcher.states import Child, State
from launcher.statusdb import StatusWriter
from launcher.supervisor import Supervisor
from shared.bus import LAUNCHER_STATE_KEY, heartbeat_key
from shared.config import Settings
from shared.db.schema_ready import SCHEMA_READY_ENV
from shared.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from launcher.demo import Demo

__all__ = ["AlreadyRunning", "run_up"]

log = logging.getLogger("launcher")

TICK_S = 0.05
STATE_PUBLISH_S = 0.5
HEALTH_ROW_S = 30.0
# How often the main launcher drops the status rows of workers gone for good; the first time a few minutes after its
# start, once the workers of a shared Redis that restarted too have written their records again.
PRUNE_STATUS_S = 3600.0
FIRST_PRUNE_S = 300.0
WORKERS = ("douyin_fetcher", "ast")
# all: the whole suite; worker: the workers of one more machine; gateway: the gateway (UI, API, the events' persister)
# of a machine whose workers all run elsewhere (docs/contracts.md, Workers on several machines).
ROLES = ("all", "worker", "gateway")
SHARED_STORE_ROLES = ("worker", "gateway")  # run against the suite's shared Redis and database, never their own
SCHEMA_READY_FILE = "schema.ready"  # in the run folder, created once the schema is at head


class AlreadyRunning(Exception):
    pass


class _InstanceLock:
    """One launcher per ``$TIMAO_HOME``: an OS file lock, released by the OS if the launcher dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process's life
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            fh.seek(0)
            other = fh.read().strip() or "?"
            fh.close()
            raise AlreadyRunning(
                f"TalkingCat 已在运行 (already running, launcher pid {other}) for {self.path.parent.parent}"
            ) from exc
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def build_specs(
    settings: Settings, embedded_redis: EmbeddedRedis | None, demo: Demo | None, *, role: str = "all"
) -> list[ServiceSpec]:
    """The services of a role: ``all`` (the whole suite), ``worker`` (fetcher, recorder, AST) or ``gateway``."""
    specs: list[ServiceSpec] = []
    deps: tuple[str, ...] = ()
    if embedded_redis:
        specs.append(
            ServiceSpec(
                "redis",
                embedded_redis.argv,
                health="redis",
                port=embedded_redis.port,
                stdin=embedded_redis.config.encode(),
            )
        )
        deps = ("redis",)
    if demo:
        specs += demo.specs
    if role in ("all", "gateway"):
        specs.append(
            ServiceSpec(
                "gateway", service_argv("services.gateway"), health="http", port=settings.gateway_port, depends_on=deps
            )
        )
    if role in ("all", "worker"):
        specs += _worker_specs(settings, deps)
    for spec in specs:
        # Every service reaches Redis through the bus, which connects with retries (shared/bus.py): spawned together
        # with the embedded Redis, its imports (most of a cold start) overlap Redis's own start.
        spec.starts_with_deps = spec.depends_on == ("redis",)
    return specs


def _worker_specs(settings: Settings, deps: tuple[str, ...]) -> list[ServiceSpec]:
    return [
        ServiceSpec(
            "streamcap",
            service_argv("services.streamcap"),
            health="http",
            port=settings.streamcap_port,
            depends_on=deps,
        ),
        *(ServiceSpec(w, service_argv(f"services.{w}"), health="heartbeat", depends_on=deps) for w in WORKERS),
    ]


def _probes(specs: list[ServiceSpec], client: redis.Redis, worker_id: str = "") -> dict[str, Probe]:
    probes: dict[str, Probe] = {}
    for spec in specs:
        if spec.health == "http":
            probes[spec.name] = HttpProbe(f"http://127.0.0.1:{spec.port}/health")
        elif spec.health == "redis":
            probes[spec.name] = RedisPingProbe(client)
        elif spec.health == "tcp":
            assert spec.port is not None
            probes[spec.name] = TcpProbe(spec.port)
        else:
            probes[spec.name] = HeartbeatProbe(client, spec.name, worker_id)
    return probes


def format_table(snapshot: dict[str, dict[str, Any]]) -> str:
    lines = [f"{'服务 service':<18}{'状态 state':<12}{'pid':>8}{'端口 port':>11}{'重启 restarts':>15}  原因 reason"]
    for name, info in snapshot.items():
        lines.append(
            f"{name:<18}{info['status']:<12}{info['pid'] or '-':>8}{info['port'] or '-':>11}"
            f"{info['restarts']:>15}  {info['reason'] or ''}"
        )
    return "\n".join(lines)


_ROLE_NEEDS = {
    "worker": "工作节点需要共享的 Redis 和数据库 (a worker needs the shared stores)",
    "gateway": "网关节点需要共享的 Redis 和数据库 (a gateway-only machine needs the shared stores)",
}


def check_role(settings: Settings, role: str, *, demo: bool = False) -> None:
    """A worker or gateway-only machine is one part of a suite spread over several machines: refuse to start one
    without the shared stores (ConfigError names what is missing), where it would be a suite of its own."""
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}: {', '.join(ROLES)}")
    if role not in SHARED_STORE_ROLES:
        return
    missing = [name for name, value in (("TIMAO_REDIS_URL", settings.redis_url),
                                        ("TIMAO_DATABASE_URL", settings.database_url)) if not value]  # fmt: skip
    if missing:
        raise ConfigError(
            f"`timao up --role {role}`: {_ROLE_NEEDS[role]}: set {' and '.join(missing)} to the Redis and the"
            " database the suite's other machines use"
        )
    if demo:
        raise ConfigError(f"--demo starts a whole suite: not with --role {role}")


def run_up(settings: Settings, *, demo: bool = False, role: str = "all", out: Callable[[str], None] = print) -> int:
    check_role(settings, role, demo=demo)
    settings.ensure_dirs()
    lock = _InstanceLock(settings.run_dir / "launcher.lock")
    lock.acquire()
    try:  # one launcher per home: the lock is held until every child is stopped and every resource closed
        return _run_locked(settings, demo=demo, role=role, out=out)
    finally:
        lock.release()


def _run_locked(settings: Settings, *, demo: bool, role: str, out: Callable[[str], None]) -> int:
    """Everything the instance lock covers (run_up holds it): check the ports, plan, supervise until asked to stop."""
    _check_ports(settings, role)
    settings, embedded, demo_plan = _plan(settings, demo=demo)
    return _Run(settings, embedded, demo_plan, role=role, out=out).supervise()


def _check_ports(settings: Settings, role: str) -> None:
    ports = [("gateway", settings.gateway_port)] if role in ("all", "gateway") else []
    ports += [("streamcap", settings.streamcap_port)] if role in ("all", "worker") else []
    for name, port in ports:
        if not _port_free(port):
            raise ConfigError(
                f"端口 {port} 已被占用 (port {port} in use), needed by {name}: set TIMAO_{name.upper()}_PORT"
            )


def _plan(settings: Settings, *, demo: bool) -> tuple[Settings, EmbeddedRedis | None, Demo | None]:
    """The run's settings (Redis URL, the demo's overrides), the embedded Redis to start (if any) and the demo."""
    embedded: EmbeddedRedis | None = None
    redis_url = settings.redis_url
    if not redis_url:
        embedded = plan_embedded_redis(find_redis_server(), settings.home / "redis", settings.run_dir)
        redis_url = embedded.url
    demo_plan = None
    if demo:
        from launcher.demo import plan_demo

        demo_plan = plan_demo(settings, ("redis",) if embedded else ())
    overrides = demo_plan.settings_overrides if demo_plan else {}
    return settings.model_copy(update={"redis_url": redis_url, **overrides}), embedded, demo_plan


_Change = tuple[str, State, State, str | None]
_Command = tuple[str, dict[str, Any], queue.SimpleQueue[dict[str, Any]]]


class _Run:
    """One launcher run on the main thread: the supervisor, its control socket, the status writer, the state key.

    The control server's thread reads the supervisor's snapshot and queues ``commands``; the supervisor's state
    changes are queued in ``changes``; the loop (``supervise`` → ``_step``) alone acts on both.
    """

    def __init__(
        self,
        settings: Settings,
        embedded: EmbeddedRedis | None,
        demo_plan: Demo | None,
        *,
        role: str,
        out: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.role = role
        self.out = out
        self.demo_plan = demo_plan
        self.redis_url = str(settings.redis_url)
        self.token = settings.resolve_token()
        self.schema_ready = settings.run_dir / SCHEMA_READY_FILE
        self.schema_ready.unlink(missing_ok=True)  # from an earlier run: this one has not migrated yet
        database_url = settings.effective_database_url
        self.worker_id = settings.effective_worker_id
        worker_id = self.worker_id
        self.status_db = StatusWriter(  # started after the spawns
            prepare=lambda: _migrated_engine(database_url, worker_id), worker_id=worker_id
        )

        specs = build_specs(settings, embedded, demo_plan, role=role)
        # Several launchers share one Redis on several machines: the gateway's launcher (all or gateway) writes the
        # state GET /health reads, a worker's launcher its own under its own key.
        self.state_key = LAUNCHER_STATE_KEY if role != "worker" else f"{LAUNCHER_STATE_KEY}:{self.worker_id}"
        self.client = redis.Redis.from_url(self.redis_url, socket_timeout=1, socket_connect_timeout=1)
        self.changes: queue.SimpleQueue[_Change] = queue.SimpleQueue()
        self.supervisor = Supervisor(
            specs,
            OsProcesses(settings.logs_dir, secrets=[self.token, *settings.known_secrets()]),
            _probes(specs, self.client, self.worker_id),
            base_env=settings.child_environment(
                PYTHONPATH=str(PROJECT_ROOT), **{SCHEMA_READY_ENV: str(self.schema_ready)}
            ),
            on_change=self._on_change,
        )
        self.commands: queue.SimpleQueue[_Command] = queue.SimpleQueue()
        self.stopping = False
        self.announced = False
        self.schema_announced = False
        self.last_publish = 0.0
        self.last_health = 0.0
        self.prune_at = time.monotonic() + FIRST_PRUNE_S
        self.control = ControlServer(settings.run_dir, self.token, self._handle_control)
        self.control.start()
        self._install_signals()

    # -- other threads: they only queue -------------------------------------------------------------------------

    def _on_change(self, child: Child, old: State, new: State) -> None:
        self.changes.put((child.name, old, new, child.reason))

    def _handle_control(self, cmd: str, req: dict[str, Any]) -> dict[str, Any]:
        supervisor = self.supervisor
        if cmd == "status":
            return {
                "pid": os.getpid(),
                "role": self.role,
                "worker_id": self.worker_id,
                "home": str(self.settings.home),
                "redis_url": self.redis_url,
                "database_url": self.settings.effective_database_url,
                "gateway": f"http://127.0.0.1:{self.settings.gateway_port}",
                "services": supervisor.snapshot(),
            }
        if cmd in ("stop", "restart"):
            if cmd == "restart" and req.get("service") not in supervisor.children:
                raise ValueError(f"no service {req.get('service')!r}; known: {', '.join(supervisor.order)}")
            reply: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
            self.commands.put((cmd, req, reply))
            return reply.get(timeout=10)
        raise ValueError(f"unknown command {cmd!r}")

    def _install_signals(self) -> None:
        def request_stop(signum: int, _frame: object) -> None:
            self.stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, request_stop)

    # -- the loop (main thread) ---------------------------------------------------------------------------------

    def supervise(self) -> int:
        """Start every child, tick until asked to stop, stop them; whatever happens, nothing is left running."""
        self.out(f"TalkingCat 启动中 (starting) — home {self.settings.home}")
        self.supervisor.start_all()
        try:
            self.supervisor.tick()  # spawns Redis and every service that starts with it
            # Then the migration, in the status writer's thread: its imports, under the GIL, would slow the spawns.
            self.status_db.start()
            while not self.stopping:
                self._step()
                time.sleep(TICK_S)
            return self._stop()
        finally:
            self._close()

    def _step(self) -> None:
        self._announce_schema()
        self.supervisor.tick()
        changed = self._log_changes()
        self._serve_commands()
        now = time.monotonic()
        if changed:
            self._on_changed()
        if now - self.last_publish >= STATE_PUBLISH_S:
            self.last_publish = now
            _publish_state(self.client, self.supervisor.snapshot(), self.worker_id, self.state_key, self.role)
        if now - self.last_health >= HEALTH_ROW_S:
            self.last_health = now
            _health_rows(self.status_db, self.supervisor.snapshot())
        if self.role != "worker" and self.schema_announced and now >= self.prune_at:
            self.prune_at = now + PRUNE_STATUS_S
            present = _present_workers(self.client)
            if present is not None:  # Redis cannot say who is there: nobody's rows go
                self.status_db.prune(present)

    def _announce_schema(self) -> None:
        """Once the migration is done, the schema-ready file lets the services that wait on the database go on."""
        if self.schema_announced or not self.status_db.ready.is_set():
            return
        if self.status_db.error is not None:
            raise self.status_db.error
        self.schema_ready.touch()
        self.schema_announced = True

    def _log_changes(self) -> bool:
        changed = False
        while not self.changes.empty():
            name, old, new, reason = self.changes.get()
            changed = True
            level = "ERROR" if new is State.FATAL else "WARNING" if new is State.BACKOFF else "INFO"
            message = f"{old.value} → {new.value}" + (
                f": {reason}" if reason and new in (State.BACKOFF, State.FATAL) else ""
            )
            log.log(logging.getLevelName(level), "child=%s %s", name, message)
            self.status_db.event(name, level, message)
        return changed

    def _serve_commands(self) -> None:
        while not self.commands.empty():
            cmd, req, reply = self.commands.get()
            if cmd == "stop":
                self.stopping = True
                reply.put({"stopping": True})
            else:
                self.supervisor.restart(str(req["service"]))
                reply.put({"restarting": req["service"]})

    def _on_changed(self) -> None:
        """A child changed state: record the services, print the table, and announce the suite once all run."""
        snapshot = self.supervisor.snapshot()
        self.status_db.services(snapshot, _heartbeats(self.client, snapshot, self.worker_id))
        if self.announced or any(i["status"] in ("backoff", "fatal") for i in snapshot.values()):
            self.out(format_table(snapshot))
        elif self.supervisor.all_running():
            self.announced = True
            self.out(format_table(snapshot))
            if self.role != "worker":
                _announce(self.settings, self.out, recorder=self.role == "all")
            else:
                self.out(f"\n工作节点已就绪 (worker {self.worker_id} running) — logs: {self.settings.logs_dir}\n")
            if self.demo_plan is not None:
                _kick_off_demo(self.demo_plan, self.settings, self.out)

    def _stop(self) -> int:
        self.out("TalkingCat 正在停止 (stopping)…")
        self.supervisor.stop_all()
        snapshot = self.supervisor.snapshot()
        self.status_db.services(snapshot, {})
        self.out(format_table(snapshot))
        return 0

    def _close(self) -> None:
        if self.supervisor.live_pids():
            self.supervisor.stop_all(timeout=5)
        self.control.close()
        self.status_db.close()
        if self.status_db.engine is not None:
            self.status_db.engine.dispose()
        self.client.close()
        self.out("TalkingCat 已停止 (stopped)")


def _migrated_engine(url: str, worker_id: str) -> Engine:
    """Runs in the status writer's thread: connect and bring the schema to head (rows from before a migration that
    needs a worker id get this launcher's)."""
    from shared.db.engine import make_engine
    from shared.db.migrate import upgrade_to_head

    engine = make_engine(url)
    try:
        upgrade_to_head(engine, worker_id=worker_id)
    except Exception as exc:
        engine.dispose()
        raise ConfigError(f"数据库迁移失败 (database migration failed) for {url}: {exc}") from exc
    return engine


def _kick_off_demo(demo: Demo, settings: Settings, out: Callable[[str], None]) -> None:
    # In a thread: it talks to the gateway, which must not wait on the supervisor loop.
    def run() -> None:
        demo.kick_off(settings, lambda line: out(f"演示 demo: {line}"))

    threading.Thread(target=run, name="demo-kick-off", daemon=True).start()


def _announce(settings: Settings, out: Callable[[str], None], *, recorder: bool = True) -> None:
    base = f"http://127.0.0.1:{settings.gateway_port}"
    if recorder:
        streamcap = f"http://127.0.0.1:{settings.streamcap_port}/"
        where = f"  录制 StreamCap: {streamcap} (首次打开需输入令牌 asks for the token once)\n"
    else:  # --role gateway: the recorder, like the other workers, runs on the worker machines
        where = "  工作节点 workers: 在其他机器上 (on other machines; `timao status` lists them)\n"
    out(
        "\n全部服务已就绪 (all services running)\n"
        f"  界面 UI:        {base}/\n"
        f"  接口 API:       {base}/api (需令牌 needs the token; 参考 reference: docs/api/README.md)\n"
        f"{where}"
        f"  令牌 token:     {settings.home / 'token'}\n"
        f"  日志 logs:      {settings.logs_dir}\n"
        "  按 Ctrl-C 停止 (Ctrl-C stops everything)\n"
    )


def _publish_state(
    client: redis.Redis,
    snapshot: dict[str, dict[str, Any]],
    worker_id: str = "",
    key: str = LAUNCHER_STATE_KEY,
    role: str = "all",
) -> None:
    beats = _heartbeats(client, snapshot, worker_id)
    for name, info in snapshot.items():
        beat = beats.get(name)
        info["last_heartbeat"] = beat.isoformat() if beat else None
    state = orjson.dumps({"ts": time.time(), "pid": os.getpid(), "role": role, "services": snapshot})
    # Redis itself may be the one restarting; the next publish catches up.
    with contextlib.suppress(redis.RedisError):
        client.set(key, state, ex=10)


def _present_workers(client: redis.Redis) -> set[str] | None:
    """The worker ids Redis knows now: the registry's (an id stays an hour after its services' last record) and
    those of the worker launchers whose state is there (even when all their services are down)."""
    from shared.workers import WORKERS_KEY  # here: an hourly call, not the launcher's start

    try:
        ids = {_text(i) for i in client.zrange(WORKERS_KEY, 0, -1)}
        prefix = f"{LAUNCHER_STATE_KEY}:"
        ids |= {_text(k)[len(prefix) :] for k in client.scan_iter(match=f"{prefix}*", count=1000)}
    except redis.RedisError:
        return None
    return ids


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _heartbeats(
    client: redis.Redis, snapshot: dict[str, dict[str, Any]], worker_id: str = ""
) -> dict[str, datetime | None]:
    names = list(snapshot)
    try:
        # The workers' own beats (several workers share one Redis); the other services' under their names.
        raws = client.mget([heartbeat_key(n, worker_id if n in WORKERS else "") for n in names])
    except redis.RedisError:
        return {}
    return {
        name: datetime.fromtimestamp(float(orjson.loads(raw).get("ts", 0)), UTC)
        for name, raw in zip(names, raws, strict=True)
        if raw
    }


def _health_rows(status_db: StatusWriter, snapshot: dict[str, dict[str, Any]]) -> None:
    rows = [
        {
            "service_name": name,
            "status": "healthy" if info["healthy"] else "unhealthy" if info["healthy"] is False else info["status"],
            "response_time_ms": info["response_ms"],
            "detail": info["probe_detail"] or info["reason"],
        }
        for name, info in snapshot.items()
    ]
    status_db.health(rows)
