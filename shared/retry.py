"""Retry policies: a callable ``(attempt, total) -> seconds`` passed to whatever reconnects or restarts.

``attempt`` counts consecutive failures since the last sign of health (the caller resets it: a message handled,
a recording growing); ``total`` never resets. Jitter keeps many rooms or recordings that failed together from
retrying in lockstep. ``limited`` turns a policy into one that gives up (answers None) after N attempts.

Every reconnect, restart and backoff in the suite computes its wait here (the launcher's restarts, the bus's
Redis reconnects, the recorder, the room client, the AST source, the persister); a loop that needs a new shape
extends this module rather than writing its own formula.
"""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["GivingUpPolicy", "RetryPolicy", "constant", "exponential", "limited", "linear"]

RetryPolicy = Callable[[int, int], float]
GivingUpPolicy = Callable[[int, int], "float | None"]


def constant(seconds: float) -> RetryPolicy:
    def policy(attempt: int, total: int) -> float:
        return seconds

    return policy


def linear(start: float, step: float, cap: float) -> RetryPolicy:
    def policy(attempt: int, total: int) -> float:
        return min(cap, start + step * max(0, attempt - 1))

    return policy


def exponential(
    base: float = 1.0,
    cap: float = 60.0,
    *,
    factor: float = 2.0,
    jitter: float = 0.1,
    jitter_down: bool = False,
    rng: Callable[[], float] = random.random,
) -> RetryPolicy:
    """``base × factor^(attempt-1)`` capped at ``cap``, then ± ``jitter`` (a fraction of the delay).

    With ``jitter_down`` the jitter only shortens the wait: it lies in ``[delay × (1 − jitter), delay]``, so the cap
    is never exceeded (``jitter=0.5`` is the classic "equal jitter": half fixed, half random)."""

    def policy(attempt: int, total: int) -> float:
        delay = min(cap, base * factor ** max(0, attempt - 1))
        if jitter_down:
            return max(0.0, float(delay * (1 - jitter + jitter * rng())))
        return max(0.0, float(delay * (1 + jitter * (2 * rng() - 1))))

    return policy


def limited(policy: RetryPolicy, max_attempts: int) -> GivingUpPolicy:
    def giving_up(attempt: int, total: int) -> float | None:
        return None if attempt > max_attempts else policy(attempt, total)

    return giving_up
