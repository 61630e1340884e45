"""Small state machines: a table of legal moves, checked on every move, and one hook that hears each change.

A part with states (the launcher's services, an AST job, a recording, a room) declares its table once::

    MOVES = Transitions({State.STOPPED: {State.STARTING}, State.STARTING: {State.RUNNING, State.STOPPED}, ...})

and moves through ``MOVES.move(owner_name, old, new)``, which answers the new state or raises ``IllegalTransition``
naming the owner and both states; an illegal move is a bug, never silently ignored. A move to the same state is
legal only when the table lists it (e.g. a retry that stays in backoff). ``Machine`` bundles a table, the current
state and an ``on_change(old, new)`` hook (called on every real change) for parts that keep no other bookkeeping.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping
from typing import Generic, TypeVar

__all__ = ["IllegalTransition", "Machine", "Transitions"]

S = TypeVar("S", bound=enum.Enum)


class IllegalTransition(RuntimeError):
    def __init__(self, owner: str, old: enum.Enum, new: enum.Enum) -> None:
        super().__init__(f"{owner}: {old.value} → {new.value} is not allowed")
        self.owner, self.old, self.new = owner, old, new


class Transitions(Generic[S]):
    """The legal moves of one kind of machine: for each state, the states it may go to."""

    def __init__(self, moves: Mapping[S, Collection[S]]) -> None:
        self._moves: dict[S, frozenset[S]] = {state: frozenset(targets) for state, targets in moves.items()}

    def allowed(self, old: S, new: S) -> bool:
        return new in self._moves.get(old, frozenset())

    def targets(self, old: S) -> frozenset[S]:
        return self._moves.get(old, frozenset())

    def move(self, owner: str, old: S, new: S) -> S:
        if not self.allowed(old, new):
            raise IllegalTransition(owner, old, new)
        return new


class Machine(Generic[S]):
    """A current state under a ``Transitions`` table; ``on_change(old, new)`` hears every change (not a stay)."""

    def __init__(
        self,
        owner: str,
        transitions: Transitions[S],
        initial: S,
        on_change: Callable[[S, S], None] | None = None,
    ) -> None:
        self.owner = owner
        self.transitions = transitions
        self.state = initial
        self.on_change = on_change

    def move(self, new: S) -> S:
        old = self.state
        self.state = self.transitions.move(self.owner, old, new)
        if self.on_change is not None and old is not new:
            self.on_change(old, new)
        return old
