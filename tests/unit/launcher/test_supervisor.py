"""The supervisor loop against a fake process seam and fake probes (no fork), with a fake clock."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from launcher.procs import ProcessHandle
from launcher.specs import ServiceSpec
from launcher.states import RestartPolicy, State
from launcher.supervisor import Supervisor


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeProcesses:
    def __init__(self) -> None:
        self.next_pid = 1000
        self.exit_codes: dict[int, int | None] = {}
        self.spawned: list[str] = []
        self.terminated: list[int] = []
        self.killed: list[int] = []
        self.exit_on_term = True

    def spawn(
        self, name: str, argv: Sequence[str], env: dict[str, str], cwd: Path | None, stdin: bytes | None = None
    ) -> ProcessHandle:
        self.next_pid += 1
        self.exit_codes[self.next_pid] = None
        self.spawned.append(name)
        return ProcessHandle(name=name, pid=self.next_pid)

    def poll(self, handle: ProcessHandle) -> int | None:
        return self.exit_codes[handle.pid]

    def terminate(self, handle: ProcessHandle) -> None:
        self.terminated.append(handle.pid)
        if self.exit_on_term:
            self.exit_codes[handle.pid] = -15

    def kill(self, handle: ProcessHandle) -> None:
        self.killed.append(handle.pid)
        if self.exit_codes[handle.pid] is None:
            self.exit_codes[handle.pid] = -9


class FakeProbe:
    def __init__(self) -> None:
        self.healthy = True

    def check(self, pid: int) -> tuple[bool, str | None]:
        return self.healthy, None if self.healthy else "nope"


def make(
    names: Sequence[str] = ("redis", "gateway", "ast"),
) -> tuple[Supervisor, FakeProcesses, dict[str, FakeProbe], FakeClock]:
    clock = FakeClock()
    procs = FakeProcesses()
    probes = {n: FakeProbe() for n in names}
    specs = [ServiceSpec(n, ["x"], health="heartbeat", depends_on=() if n == "redis" else ("redis",)) for n in names]
    policy = RestartPolicy(base_delay=0.5, jitter=0.0, stop_grace=1.0)
    sup = Supervisor(specs, procs, probes, base_env={}, policy=policy, clock=clock, probe_inline=True)  # type: ignore[arg-type]
    return sup, procs, probes, clock


def run_ticks(sup: Supervisor, clock: FakeClock, seconds: float, step: float = 0.05) -> None:
    end = clock.now + seconds
    while clock.now < end:
        sup.tick()
        clock.sleep(step)


def test_starts_in_dependency_order_and_all_run() -> None:
    sup, procs, _probes, clock = make()
    sup.start_all()
    sup.tick()
    assert procs.spawned == ["redis"]  # the others wait for redis to be RUNNING
    run_ticks(sup, clock, 1.0)
    assert procs.spawned == ["redis", "gateway", "ast"]
    assert sup.all_running()


def test_a_service_that_starts_with_its_deps_is_spawned_in_the_same_tick() -> None:
    sup, procs, probes, clock = make()
    sup.specs["gateway"].starts_with_deps = True
    probes["redis"].healthy = False  # Redis not answering yet: the gateway is spawned all the same, ast is not
    sup.start_all()
    sup.tick()
    assert procs.spawned == ["redis", "gateway"]
    run_ticks(sup, clock, 1.0)
    assert procs.spawned == ["redis", "gateway"]
    probes["redis"].healthy = True
    run_ticks(sup, clock, 1.0)
    assert procs.spawned == ["redis", "gateway", "ast"]
    assert sup.all_running()
    # Redis down and the gateway with it: both come back in one tick once their backoff is over, while ast (which
    # waits for a healthy Redis) stays up, and Redis's probe still fails.
    gateway_pid, redis_pid = sup.children["gateway"].pid, sup.children["redis"].pid
    assert gateway_pid is not None and redis_pid is not None
    procs.exit_codes[redis_pid] = -9
    procs.exit_codes[gateway_pid] = 1
    probes["redis"].healthy = False
    sup.tick()
    assert sup.children["redis"].state is State.BACKOFF and sup.children["gateway"].state is State.BACKOFF
    while sup.children["redis"].state is State.BACKOFF:
        assert sup.children["gateway"].state is State.BACKOFF
        clock.sleep(0.05)
        sup.tick()
    assert procs.spawned[-2:] == ["redis", "gateway"]
    assert sup.children["gateway"].state is State.STARTING
    probes["redis"].healthy = True
    stop_order_pids = {n: sup.children[n].pid for n in sup.order}
    sup.stop_all(sleep=clock.sleep)
    assert procs.terminated.index(stop_order_pids["redis"]) > procs.terminated.index(stop_order_pids["gateway"])


def test_a_killed_child_is_restarted_and_the_rest_keep_running() -> None:
    sup, procs, _probes, clock = make()
    sup.start_all()
    run_ticks(sup, clock, 1.0)
    ast_pid = sup.children["ast"].pid
    assert ast_pid is not None
    procs.exit_codes[ast_pid] = -9
    run_ticks(sup, clock, 2.0)
    assert sup.children["ast"].state is State.RUNNING
    assert sup.children["ast"].pid != ast_pid
    assert sup.children["ast"].restarts == 1
    assert sup.children["gateway"].restarts == 0
    assert ast_pid in procs.killed  # its process group was swept


def test_stop_all_stops_dependents_before_dependencies() -> None:
    sup, procs, _probes, clock = make()
    sup.start_all()
    run_ticks(sup, clock, 1.0)
    pids = {n: sup.children[n].pid for n in sup.order}
    sup.stop_all(sleep=clock.sleep)
    stopped = [name for pid in procs.terminated for name, own in pids.items() if own == pid]  # in order
    assert stopped.index("redis") > stopped.index("gateway")
    assert stopped.index("redis") > stopped.index("ast")
    assert all(c.state is State.STOPPED for c in sup.children.values())
    assert sup.live_pids() == []


def test_stop_all_kills_what_ignores_sigterm() -> None:
    sup, procs, _probes, clock = make(("redis",))
    procs.exit_on_term = False
    sup.start_all()
    run_ticks(sup, clock, 0.5)
    pid = sup.children["redis"].pid
    sup.stop_all(sleep=clock.sleep)
    assert pid in procs.killed
    assert sup.children["redis"].state is State.STOPPED


def test_restart_command_restarts_one_service() -> None:
    sup, procs, _probes, clock = make()
    sup.start_all()
    run_ticks(sup, clock, 1.0)
    old = sup.children["gateway"].pid
    sup.restart("gateway")
    run_ticks(sup, clock, 1.0)
    assert sup.children["gateway"].state is State.RUNNING
    assert sup.children["gateway"].pid != old
    assert old in procs.terminated


def test_spawn_failure_backs_off() -> None:
    sup, procs, _probes, _clock = make(("redis",))

    def broken_spawn(*_a: object, **_k: object) -> ProcessHandle:
        raise FileNotFoundError("no such binary")

    procs.spawn = broken_spawn  # type: ignore[method-assign]
    sup.start_all()
    sup.tick()
    assert sup.children["redis"].state is State.BACKOFF
    assert "spawn failed" in (sup.children["redis"].reason or "")


def test_unhealthy_service_is_restarted() -> None:
    sup, procs, probes, clock = make()
    sup.start_all()
    run_ticks(sup, clock, 1.0)
    old = sup.children["ast"].pid
    probes["ast"].healthy = False
    run_ticks(sup, clock, 8.0)
    assert old in procs.killed
    probes["ast"].healthy = True
    run_ticks(sup, clock, 2.0)
    assert sup.children["ast"].state is State.RUNNING
    assert sup.snapshot()["ast"]["restarts"] >= 1
