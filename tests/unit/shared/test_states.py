"""shared/states.py: a table of legal moves, refused moves name the owner, the hook hears real changes."""

from __future__ import annotations

import enum

import pytest

from shared.states import IllegalTransition, Machine, Transitions


class Light(enum.Enum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


MOVES = Transitions({Light.OFF: {Light.ON, Light.BROKEN}, Light.ON: {Light.OFF, Light.ON, Light.BROKEN}})


def test_legal_moves_follow_the_table() -> None:
    assert MOVES.allowed(Light.OFF, Light.ON)
    assert not MOVES.allowed(Light.OFF, Light.OFF)  # a stay is legal only when listed
    assert MOVES.allowed(Light.ON, Light.ON)
    assert MOVES.targets(Light.BROKEN) == frozenset()
    assert MOVES.move("lamp", Light.OFF, Light.ON) is Light.ON


def test_an_illegal_move_is_refused_and_named() -> None:
    with pytest.raises(IllegalTransition, match="lamp: broken → on is not allowed") as info:
        MOVES.move("lamp", Light.BROKEN, Light.ON)
    assert (info.value.owner, info.value.old, info.value.new) == ("lamp", Light.BROKEN, Light.ON)


def test_machine_reports_changes_not_stays() -> None:
    heard: list[tuple[str, str]] = []
    lamp = Machine("lamp", MOVES, Light.OFF, on_change=lambda old, new: heard.append((old.value, new.value)))
    assert lamp.move(Light.ON) is Light.OFF
    lamp.move(Light.ON)
    lamp.move(Light.BROKEN)
    with pytest.raises(IllegalTransition):
        lamp.move(Light.OFF)
    assert lamp.state is Light.BROKEN
    assert heard == [("off", "on"), ("on", "broken")]
