from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from services.streamcap.monitor import Action, ActionKind, Monitor, MonitorCore, TimeWindow

NOON = datetime(2026, 1, 1, 12, 0)


def kinds(actions: list[Action]) -> list[tuple[str, str]]:
    return [(a.kind.value, a.room_id) for a in actions]


def core(**kwargs: object) -> MonitorCore:
    return MonitorCore(rng=lambda: 0.5, **kwargs)  # type: ignore[arg-type]


def test_checks_each_room_every_interval() -> None:
    m = core()
    m.add("a", interval=10, now=0)
    assert kinds(m.tick(0, NOON)) == [("check", "a")]
    assert m.tick(1, NOON) == []  # a check is in flight
    assert m.check_done("a", False, 1, NOON) == []
    assert m.tick(10.9, NOON) == []
    assert kinds(m.tick(11, NOON)) == [("check", "a")]


def test_jitter_spreads_checks() -> None:
    m = MonitorCore(jitter=0.2, rng=lambda: 1.0)
    m.add("a", interval=10)
    m.tick(0, NOON)
    m.check_done("a", False, 0, NOON)
    assert m.rooms["a"].next_check == pytest.approx(12.0)


def test_concurrent_check_cap() -> None:
    m = core(max_concurrent_checks=2)
    for room in "abc":
        m.add(room, interval=10)
    assert len(m.tick(0, NOON)) == 2
    m.check_done("a", False, 0.5, NOON)
    assert kinds(m.tick(0.5, NOON)) == [("check", "c")]


def test_start_on_live_stop_on_ended() -> None:
    m = core()
    m.add("a", interval=10)
    m.tick(0, NOON)
    assert kinds(m.check_done("a", True, 0, NOON)) == [("start", "a")]
    m.tick(10, NOON)
    assert m.check_done("a", True, 10, NOON) == []  # already recording
    m.tick(20, NOON)
    actions = m.check_done("a", False, 20, NOON)
    assert kinds(actions) == [("stop", "a")] and actions[0].reason == "offline"


def test_global_recording_cap_and_waiting_room() -> None:
    m = core(max_recordings=1)
    m.add("a", interval=60)
    m.add("b", interval=60)
    m.tick(0, NOON)
    assert kinds(m.check_done("a", True, 0, NOON)) == [("start", "a")]
    assert m.check_done("b", True, 0, NOON) == []  # over the cap: waits
    assert m.rooms["b"].waiting_since == 0
    m.recording_ended("a", 5)
    assert kinds(m.tick(5, NOON)) == [("check", "b")]  # a freed slot re-checks the waiting room at once
    assert kinds(m.check_done("b", True, 5, NOON)) == [("start", "b")]


def test_time_windows() -> None:
    m = core()
    m.add("a", interval=10, windows=[TimeWindow.parse("22:00-02:00")])
    assert m.tick(0, NOON) == []  # outside: not even checked
    night = datetime(2026, 1, 1, 23, 30)
    m.tick(1, night)
    assert kinds(m.check_done("a", True, 1, night)) == [("start", "a")]
    morning = datetime(2026, 1, 2, 2, 0)
    actions = m.tick(20, morning)
    assert kinds(actions) == [("stop", "a")] and actions[0].reason == "window_closed"


@pytest.mark.parametrize("text", ["25:00-01:00", "8-9", "10:00", "10:61-11:00"])
def test_time_window_refuses_bad_text(text: str) -> None:
    with pytest.raises(ValueError):
        TimeWindow.parse(text)


def test_failed_check_changes_nothing() -> None:
    m = core()
    m.add("a", interval=10)
    m.tick(0, NOON)
    m.check_done("a", True, 0, NOON)
    m.tick(10, NOON)
    assert m.check_done("a", None, 10, NOON) == []
    assert m.rooms["a"].recording


def test_disable_and_remove_stop_recording() -> None:
    m = core()
    m.add("a", interval=10)
    m.add("b", interval=10)
    m.tick(0, NOON)
    m.check_done("a", True, 0, NOON)
    m.check_done("b", True, 0, NOON)
    m.update("a", enabled=False)
    assert [(a.kind, a.reason) for a in m.tick(1, NOON)] == [(ActionKind.STOP, "disabled")]
    assert kinds(m.remove("b")) == [("stop", "b")]


def test_driver_performs_actions_with_fake_io() -> None:
    clock = {"now": 0.0}
    live = {"a": True, "b": False}
    started: list[str] = []
    stopped: list[tuple[str, str]] = []

    async def check(room: str) -> bool:
        if room == "boom":
            raise OSError("network down")
        return live[room]

    async def scenario() -> None:
        m = core()
        monitor = Monitor(m, check_live=check, start_recording=started.append,
                          stop_recording=lambda r, why: stopped.append((r, why)), clock=lambda: clock["now"],
                          wall=lambda: NOON)  # fmt: skip
        for room in ("a", "b", "boom"):
            m.add(room, interval=10)
        await monitor.step()
        await asyncio.sleep(0.01)
        assert started == ["a"]
        live["a"] = False
        clock["now"] = 11
        await monitor.step()
        await asyncio.sleep(0.01)
        assert stopped == [("a", "offline")]
        assert not m.rooms["boom"].checking  # a failing check is rescheduled, not stuck

    asyncio.run(scenario())
