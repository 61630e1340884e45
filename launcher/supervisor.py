"""The supervisor loop: turns each child's state machine into real process actions, probes health, and stops
everything in reverse dependency order.

All process calls go through ``Processes`` and all time through ``clock``, so the loop runs in tests against fakes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from launcher.probes import Probe
from launcher.procs import Processes, ProcessHandle
from launcher.specs import PROJECT_ROOT, ServiceSpec
from launcher.states import Action, Child, RestartPolicy, State

__all__ = ["Supervisor"]

log = logging.getLogger(__name__)

PROBE_INTERVAL_STARTING = 0.1
PROBE_INTERVAL_RUNNING = 1.0


@dataclass
class _ProbeSlot:
    future: Future[tuple[bool, str | None]] | None = None
    pid: int | None = None
    last_at: float = -1e9
    healthy: bool | None = None
    detail: str | None = None
    response_ms: float | None = None
    submitted_at: float = 0.0


class Supervisor:
    def __init__(
        self,
        specs: list[ServiceSpec],
        processes: Processes,
        probes: dict[str, Probe],
        *,
        base_env: dict[str, str],
        policy: RestartPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[Child, State, State], None] | None = None,
        probe_inline: bool = False,
    ) -> None:
        self.specs = {s.name: s for s in specs}
        self.order = [s.name for s in specs]  # dependency order: each spec after what it depends on
        self.processes = processes
        self.probes = probes
        self.base_env = base_env
        self.clock = clock
        self.children = {
            s.name: Child(name=s.name, policy=policy or RestartPolicy(), on_change=on_change) for s in specs
        }
        self.handles: dict[str, ProcessHandle] = {}
        self._probe_slots = {name: _ProbeSlot() for name in self.order}
        # Tests probe inline (deterministic); the real loop probes in threads so a slow answer never stalls it.
        self._executor = None if probe_inline else ThreadPoolExecutor(max_workers=4, thread_name_prefix="probe")
        self._check_order()

    def _check_order(self) -> None:
        seen: set[str] = set()
        for name in self.order:
            missing = [d for d in self.specs[name].depends_on if d not in seen]
            if missing:
                raise ValueError(f"{name} is listed before its dependencies {missing}")
            seen.add(name)

    # -- commands -------------------------------------------------------------------------------------

    def start_all(self) -> None:
        now = self.clock()
        for child in self.children.values():
            child.start(now)

    def restart(self, name: str) -> None:
        child = self.children[name]
        now = self.clock()
        action = child.stop(now)
        self._act(name, action)
        child.start(now)

    def stop_all(
        self, *, timeout: float = 30.0, tick: float = 0.05, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        """Stop dependents before what they depend on; SIGKILL whatever outlasts its grace period."""
        for level in reversed(self._levels()):
            now = self.clock()
            for name in level:
                self._act(name, self.children[name].stop(now))
            deadline = self.clock() + timeout
            while any(self.children[n].state in (State.STARTING, State.RUNNING, State.STOPPING) for n in level):
                self.tick()
                if self.clock() > deadline:
                    for n in level:
                        if n in self.handles:
                            self.processes.kill(self.handles[n])
                    break
                sleep(tick)
        if self._executor:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def _levels(self) -> list[list[str]]:
        depth: dict[str, int] = {}
        for name in self.order:
            deps = self.specs[name].depends_on
            depth[name] = 1 + max((depth[d] for d in deps), default=-1)
        levels: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
        for name, d in depth.items():
            levels[d].append(name)
        return levels

    # -- the loop body ---------------------------------------------------------------------------------

    def tick(self) -> None:
        for name in self.order:
            child = self.children[name]
            handle = self.handles.get(name)
            exited = self.processes.poll(handle) if handle else None
            if handle and exited is not None:
                # Sweep the group: whatever the service started (ffmpeg...) goes with it.
                self.processes.kill(handle)
                del self.handles[name]
                self._probe_slots[name] = _ProbeSlot()
            healthy = self._probe(name, child)
            deps_ready = self._deps_ready(self.specs[name])
            action = child.tick(self.clock(), exited=exited, healthy=healthy, deps_ready=deps_ready)
            self._act(name, action)

    def _deps_ready(self, spec: ServiceSpec) -> bool:
        ready = (State.STARTING, State.RUNNING) if spec.starts_with_deps else (State.RUNNING,)
        return all(self.children[d].state in ready for d in spec.depends_on)

    def _act(self, name: str, action: Action) -> None:
        if action is Action.NONE:
            return
        if action is Action.SPAWN:
            spec = self.specs[name]
            try:
                spawned = self.processes.spawn(
                    name, spec.argv, {**self.base_env, **spec.env}, PROJECT_ROOT, stdin=spec.stdin
                )
            except OSError as exc:
                self.children[name].spawn_failed(f"{type(exc).__name__}: {exc}", self.clock())
                return
            self.handles[name] = spawned
            self._probe_slots[name] = _ProbeSlot()
            self.children[name].spawned(spawned.pid, self.clock())
            log.info("child=%s spawned pid %d", name, spawned.pid)
            return
        current = self.handles.get(name)
        if current is None:
            return
        if action is Action.TERMINATE:
            self.processes.terminate(current)
        elif action is Action.KILL:
            self.processes.kill(current)

    def _probe(self, name: str, child: Child) -> bool | None:
        slot = self._probe_slots[name]
        handle = self.handles.get(name)
        if handle is None or child.state not in (State.STARTING, State.RUNNING):
            return None
        now = self.clock()
        if slot.future is not None and slot.future.done():
            healthy, detail = slot.future.result()
            slot.future = None
            if slot.pid == handle.pid:
                slot.healthy, slot.detail = healthy, detail
                slot.response_ms = (now - slot.submitted_at) * 1000
        interval = PROBE_INTERVAL_STARTING if child.state is State.STARTING else PROBE_INTERVAL_RUNNING
        if slot.future is None and now - slot.last_at >= interval:
            slot.last_at = now
            slot.pid = handle.pid
            slot.submitted_at = now
            probe = self.probes[name]
            if self._executor is None:
                healthy, detail = probe.check(handle.pid)
                slot.healthy, slot.detail, slot.response_ms = healthy, detail, 0.0
            else:
                slot.future = self._executor.submit(_safe_check, probe, handle.pid)
        return slot.healthy

    # -- views -----------------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name in self.order:
            child = self.children[name]
            slot = self._probe_slots[name]
            reason = child.reason
            if child.state is State.RUNNING and slot.healthy is False:
                reason = f"unhealthy: {slot.detail}"
            out[name] = {
                "status": child.state.value,
                "pid": child.pid,
                "port": self.specs[name].port,
                "restarts": child.restarts,
                "reason": reason,
                "healthy": slot.healthy,
                "response_ms": None if slot.response_ms is None else round(slot.response_ms, 1),
                "probe_detail": slot.detail,
            }
        return out

    def all_running(self) -> bool:
        return all(c.state is State.RUNNING for c in self.children.values())

    def live_pids(self) -> list[int]:
        return [h.pid for h in self.handles.values()]


def _safe_check(probe: Probe, pid: int) -> tuple[bool, str | None]:
    try:
        return probe.check(pid)
    except Exception as exc:  # a probe bug must read as "unhealthy", never kill the loop
        return False, f"probe error: {type(exc).__name__}: {exc}"
