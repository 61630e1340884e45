"""The per-service state machine with a fake clock: every timed move, without a process."""

from __future__ import annotations

import pytest

from launcher.states import Action, Child, RestartPolicy, State
from shared.errors import EXIT_CONFIG
from shared.states import IllegalTransition

POLICY = RestartPolicy(base_delay=1.0, max_delay=8.0, jitter=0.0, stable_after=10.0, max_failures=3, window=60.0,
                       start_timeout=5.0, unhealthy_after=3.0, stop_grace=2.0)  # fmt: skip


def state_of(child: Child) -> State:
    """The state read afresh: after one ``assert child.state is X`` mypy holds it to X across later calls."""
    return child.state


def running_child(now: float = 0.0) -> Child:
    child = Child("svc", policy=POLICY)
    child.start(now)
    assert child.tick(now, exited=None, healthy=None) is Action.SPAWN
    child.spawned(100, now)
    child.tick(now, exited=None, healthy=True)
    assert child.state is State.RUNNING
    return child


def test_start_waits_for_dependencies() -> None:
    child = Child("svc", policy=POLICY)
    child.start(0.0)
    assert child.tick(0.0, exited=None, healthy=None, deps_ready=False) is Action.NONE
    assert child.tick(0.1, exited=None, healthy=None, deps_ready=True) is Action.SPAWN


def test_starting_becomes_running_on_first_healthy_probe() -> None:
    child = Child("svc", policy=POLICY)
    child.start(0.0)
    child.spawned(1, 0.0)
    assert child.tick(0.5, exited=None, healthy=None) is Action.NONE
    assert state_of(child) is State.STARTING
    child.tick(0.6, exited=None, healthy=True)
    assert child.state is State.RUNNING


def test_start_timeout_kills_and_backs_off() -> None:
    child = Child("svc", policy=POLICY)
    child.start(0.0)
    child.spawned(1, 0.0)
    assert child.tick(5.1, exited=None, healthy=False) is Action.KILL
    assert child.state is State.BACKOFF
    assert "not healthy within 5s" in (child.reason or "")


@pytest.mark.parametrize(("failures", "expected_delay"), [(1, 1.0), (2, 2.0)])
def test_backoff_grows_exponentially(failures: int, expected_delay: float) -> None:
    child = running_child()
    now = 0.0
    for _ in range(failures):
        now += 1.0
        child.tick(now, exited=1, healthy=None)
        assert child.state is State.BACKOFF
        if child.attempt < failures:
            child.tick(child.next_start_at, exited=None, healthy=None)
            child.spawned(101, child.next_start_at)
            child.tick(child.next_start_at, exited=None, healthy=True)
            now = child.next_start_at
    assert child.next_start_at - now == pytest.approx(expected_delay)


def test_backoff_spawns_again_only_after_delay() -> None:
    child = running_child()
    child.tick(1.0, exited=-9, healthy=None)
    assert child.state is State.BACKOFF and child.restarts == 1
    assert child.tick(1.5, exited=None, healthy=None) is Action.NONE
    assert child.tick(2.0, exited=None, healthy=None) is Action.SPAWN


def test_too_many_failures_in_window_is_fatal() -> None:
    child = running_child()
    now = 0.0
    for _ in range(POLICY.max_failures):
        now += 1.0
        child.tick(now, exited=1, healthy=None)
        if child.state is State.FATAL:
            break
        now = child.next_start_at
        child.spawned(200, now)
    assert child.state is State.FATAL
    assert "gave up after 3 failures" in (child.reason or "")
    assert child.tick(now + 100, exited=None, healthy=None) is Action.NONE


def test_failures_outside_the_window_are_forgotten() -> None:
    child = running_child()
    now = 0.0
    for _ in range(POLICY.max_failures * 2):
        now += 61.0  # each failure more than a window after the last
        child.tick(now, exited=1, healthy=None)
        assert child.state is State.BACKOFF
        now = child.next_start_at
        child.spawned(300, now)
        child.tick(now, exited=None, healthy=True)
    assert child.state is State.RUNNING


def test_stable_run_resets_backoff() -> None:
    child = running_child()
    child.tick(1.0, exited=1, healthy=None)
    child.spawned(2, child.next_start_at)
    child.tick(child.next_start_at, exited=None, healthy=True)
    assert child.attempt == 1
    child.tick(child.running_since + POLICY.stable_after, exited=None, healthy=True)
    assert child.attempt == 0


def test_unhealthy_running_child_is_killed_after_grace() -> None:
    child = running_child()
    assert child.tick(1.0, exited=None, healthy=False) is Action.NONE
    assert child.tick(3.9, exited=None, healthy=False) is Action.NONE
    assert child.tick(4.1, exited=None, healthy=False) is Action.KILL
    assert child.state is State.BACKOFF


def test_a_healthy_probe_clears_unhealthy_timer() -> None:
    child = running_child()
    child.tick(1.0, exited=None, healthy=False)
    child.tick(2.0, exited=None, healthy=True)
    assert child.tick(4.5, exited=None, healthy=False) is Action.NONE
    assert child.state is State.RUNNING


def test_configuration_error_exit_is_fatal_at_once() -> None:
    child = running_child()
    child.tick(1.0, exited=EXIT_CONFIG, healthy=None)
    assert child.state is State.FATAL
    assert "configuration error" in (child.reason or "")


def test_stop_terminates_then_kills_after_grace() -> None:
    child = running_child()
    assert child.stop(10.0) is Action.TERMINATE
    assert state_of(child) is State.STOPPING
    assert child.tick(11.0, exited=None, healthy=None) is Action.NONE
    assert child.tick(12.1, exited=None, healthy=None) is Action.KILL
    assert child.tick(12.2, exited=None, healthy=None) is Action.NONE  # kill sent once
    child.tick(12.3, exited=-9, healthy=None)
    assert child.state is State.STOPPED
    assert child.tick(20.0, exited=None, healthy=None) is Action.NONE  # not wanted: stays down


def test_stop_during_backoff_goes_straight_to_stopped() -> None:
    child = running_child()
    child.tick(1.0, exited=1, healthy=None)
    assert child.stop(1.1) is Action.NONE
    assert child.state is State.STOPPED


def test_start_revives_a_fatal_child() -> None:
    child = running_child()
    child.tick(1.0, exited=EXIT_CONFIG, healthy=None)
    child.start(5.0)
    assert child.state is State.STOPPED
    assert child.tick(5.0, exited=None, healthy=None) is Action.SPAWN


def test_illegal_transition_is_refused() -> None:
    child = Child("svc", policy=POLICY)
    with pytest.raises(IllegalTransition, match="svc: stopped → running is not allowed"):
        child._move(State.RUNNING)
    assert child.state is State.STOPPED


def test_on_change_reports_every_move() -> None:
    moves: list[tuple[str, str]] = []
    child = Child("svc", policy=POLICY, on_change=lambda c, old, new: moves.append((old.value, new.value)))
    child.start(0.0)
    child.spawned(1, 0.0)
    child.tick(0.1, exited=None, healthy=True)
    child.tick(0.2, exited=1, healthy=None)
    assert moves == [("stopped", "starting"), ("starting", "running"), ("running", "backoff")]


def test_delay_has_bounded_jitter() -> None:
    policy = RestartPolicy(base_delay=1.0, max_delay=100.0, jitter=0.2)
    assert policy.delay(3, rand=lambda: 0.0) == pytest.approx(4.0 * 0.8)
    assert policy.delay(3, rand=lambda: 1.0) == pytest.approx(4.0 * 1.2)
    assert policy.delay(50, rand=lambda: 0.5) == pytest.approx(100.0)
