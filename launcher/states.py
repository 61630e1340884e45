"""The per-service state machine, free of I/O: the supervisor feeds it observations and it says what to do.

    STOPPED ──start──▶ STARTING ──healthy──▶ RUNNING
       ▲                  │ exit/timeout        │ exit/unhealthy
       │                  ▼                     ▼
       │               BACKOFF ◀────────────────┘   (delay grows; resets after a stable run)
       │                  │ too many failures in the window, or a configuration error
       │                  ▼
       │                FATAL  (stays down; the rest of the suite keeps running)
       └── STOPPING ◀── stop requested from any live state (SIGTERM to the group, SIGKILL after the grace period)

Time comes from the caller (a monotonic clock), so the whole machine is tested with a fake clock. The legal moves
are one table (``MOVES``, a ``shared.states.Transitions``); any other move is a bug and raises IllegalTransition.
"""

from __future__ import annotations

import enum
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.errors import EXIT_CONFIG
from shared.retry import exponential
from shared.states import Transitions

__all__ = ["Action", "Child", "RestartPolicy", "State"]


class State(enum.Enum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    BACKOFF = "backoff"
    STOPPING = "stopping"
    FATAL = "fatal"


class Action(enum.Enum):
    """What the supervisor must do to the real process after a tick."""

    NONE = "none"
    SPAWN = "spawn"
    TERMINATE = "terminate"  # polite: SIGTERM to the process group
    KILL = "kill"  # SIGKILL to the process group


LIVE_STATES = frozenset({State.STARTING, State.RUNNING, State.STOPPING})

MOVES: Transitions[State] = Transitions(
    {
        # spawned; a spawn that failed, or too many failures (backoff or fatal)
        State.STOPPED: {State.STARTING, State.BACKOFF, State.FATAL},
        State.STARTING: {State.RUNNING, State.STOPPING, State.BACKOFF, State.FATAL},
        State.RUNNING: {State.STOPPING, State.BACKOFF, State.FATAL},
        State.STOPPING: {State.STOPPED},
        # a spawn that failed again stays in backoff
        State.BACKOFF: {State.STARTING, State.STOPPED, State.BACKOFF, State.FATAL},
        # start() gives a fatal service another chance (to stopped); a spawn from fatal; a spawn that failed there
        State.FATAL: {State.STOPPED, State.STARTING, State.BACKOFF, State.FATAL},
    }
)


@dataclass(frozen=True)
class RestartPolicy:
    base_delay: float = 0.2
    max_delay: float = 30.0
    jitter: float = 0.2  # ± fraction of the delay
    stable_after: float = 10.0  # a run this long resets the backoff
    max_failures: int = 6  # this many failures ...
    window: float = 60.0  # ... within this many seconds → FATAL
    start_timeout: float = 30.0
    unhealthy_after: float = 6.0  # running but failing probes this long → restart
    stop_grace: float = 5.0

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        backoff = exponential(self.base_delay, self.max_delay, jitter=self.jitter, rng=rand)
        return backoff(attempt, attempt)


@dataclass
class Child:
    name: str
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    rand: Callable[[], float] = random.random
    state: State = State.STOPPED
    attempt: int = 0
    restarts: int = 0
    reason: str | None = None
    pid: int | None = None
    started_at: float = 0.0
    running_since: float = 0.0
    unhealthy_since: float | None = None
    next_start_at: float = 0.0
    stop_deadline: float = 0.0
    killed: bool = False
    failures: deque[float] = field(default_factory=deque)
    # Set by the supervisor: where the child should be (up or down).
    wanted: bool = False
    on_change: Callable[[Child, State, State], None] | None = None

    # -- transitions ----------------------------------------------------------------------------------

    def _move(self, new: State) -> None:
        old, self.state = self.state, MOVES.move(self.name, self.state, new)
        if self.on_change and old is not new:
            self.on_change(self, old, new)

    def spawned(self, pid: int, now: float) -> None:
        self.pid = pid
        self.started_at = now
        self.unhealthy_since = None
        self.killed = False
        self._move(State.STARTING)

    def spawn_failed(self, error: str, now: float) -> None:
        """The process could not even be created (bad command, no permission)."""
        self.pid = None
        self._fail(now, f"spawn failed: {error}")

    def start(self, now: float) -> None:
        """Ask for the service to run (also how a FATAL service is given another chance)."""
        self.wanted = True
        if self.state is State.FATAL:
            self.failures.clear()
            self.attempt = 0
            self._move(State.STOPPED)
        if self.state is State.STOPPED:
            self.next_start_at = now

    def stop(self, now: float) -> Action:
        self.wanted = False
        if self.state in (State.STARTING, State.RUNNING):
            self.stop_deadline = now + self.policy.stop_grace
            self._move(State.STOPPING)
            return Action.TERMINATE
        if self.state is State.BACKOFF:
            self._move(State.STOPPED)
        return Action.NONE

    def tick(self, now: float, *, exited: int | None, healthy: bool | None, deps_ready: bool = True) -> Action:
        """Advance with what was observed: ``exited`` is the exit code if the process is gone, ``healthy`` the last
        probe result (None when no probe has answered yet)."""
        state = self.state
        if state is State.STOPPED:
            if self.wanted and deps_ready and now >= self.next_start_at:
                return Action.SPAWN
            return Action.NONE
        if state is State.BACKOFF:
            if self.wanted and deps_ready and now >= self.next_start_at:
                return Action.SPAWN
            return Action.NONE
        if state is State.FATAL:
            return Action.NONE
        if state is State.STOPPING:
            if exited is not None:
                self.pid = None
                self._move(State.STOPPED)
                return Action.NONE
            if now >= self.stop_deadline and not self.killed:
                self.killed = True
                return Action.KILL
            return Action.NONE
        # STARTING or RUNNING
        if exited is not None:
            self.pid = None
            if exited == EXIT_CONFIG:
                self._fatal(f"configuration error (exit {exited}); see its log")
            else:
                self._fail(now, f"exited with code {exited}")
            return Action.NONE
        if state is State.STARTING:
            if healthy:
                self.running_since = now
                self.reason = None
                self._move(State.RUNNING)
            elif now - self.started_at > self.policy.start_timeout:
                self._fail(now, f"not healthy within {self.policy.start_timeout:g}s")
                return Action.KILL
            return Action.NONE
        # RUNNING
        if healthy is False:
            if self.unhealthy_since is None:
                self.unhealthy_since = now
            elif now - self.unhealthy_since > self.policy.unhealthy_after:
                self._fail(now, f"unhealthy for {self.policy.unhealthy_after:g}s")
                return Action.KILL
        else:
            self.unhealthy_since = None
        if self.attempt and now - self.running_since >= self.policy.stable_after:
            self.attempt = 0  # a stable run earns a fresh backoff
        return Action.NONE

    # -- failure bookkeeping --------------------------------------------------------------------------

    def _fail(self, now: float, reason: str) -> None:
        self.reason = reason
        self.failures.append(now)
        while self.failures and now - self.failures[0] > self.policy.window:
            self.failures.popleft()
        if len(self.failures) >= self.policy.max_failures:
            self._fatal(f"{reason}; gave up after {len(self.failures)} failures in {self.policy.window:g}s")
            return
        self.attempt += 1
        self.restarts += 1
        self.next_start_at = now + self.policy.delay(self.attempt, self.rand)
        self._move(State.BACKOFF)

    def _fatal(self, reason: str) -> None:
        self.reason = reason
        self._move(State.FATAL)
