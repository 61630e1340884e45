"""Retry policies shared by every reconnecting part."""

from __future__ import annotations

import pytest

from shared.retry import constant, exponential, limited, linear


@pytest.mark.parametrize(("attempt", "expected"), [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (20, 30.0)])
def test_exponential_doubles_up_to_the_cap(attempt: int, expected: float) -> None:
    assert exponential(1.0, 30.0, jitter=0.0)(attempt, attempt) == expected


def test_exponential_factor() -> None:
    assert exponential(1.0, 100.0, factor=3.0, jitter=0.0)(3, 3) == 9.0


def test_jitter_stays_within_its_fraction() -> None:
    assert exponential(10.0, 10.0, jitter=0.2, rng=lambda: 0.0)(1, 1) == pytest.approx(8.0)
    assert exponential(10.0, 10.0, jitter=0.2, rng=lambda: 1.0)(1, 1) == pytest.approx(12.0)


def test_linear_and_constant() -> None:
    assert [linear(1.0, 2.0, 6.0)(a, a) for a in (1, 2, 3, 4)] == [1.0, 3.0, 5.0, 6.0]
    assert constant(0.5)(100, 100) == 0.5


def test_limited_gives_up_after_max_attempts() -> None:
    policy = limited(exponential(jitter=0.0), 3)
    assert policy(3, 10) == 4.0
    assert policy(4, 10) is None


def test_jitter_down_only_shortens_the_wait() -> None:
    policy = exponential(2.0, 5.0, jitter=0.5, jitter_down=True, rng=lambda: 0.0)
    assert [policy(a, a) for a in (1, 2, 3)] == [1.0, 2.0, 2.5]
    assert exponential(2.0, 5.0, jitter=0.5, jitter_down=True, rng=lambda: 1.0)(9, 9) == 5.0


def test_bus_waits_keep_their_shape() -> None:
    from shared.bus import BACKLOG_RETRY, RECONNECT_RETRY

    assert [RECONNECT_RETRY(a, a) for a in (1, 2, 3, 4, 10)] == [0.4, 0.8, 1.6, 3.2, 5.0]
    assert all(0.1 <= BACKLOG_RETRY(1, 1) <= 0.2 for _ in range(50))
    assert all(2.5 <= BACKLOG_RETRY(10, 10) <= 5.0 for _ in range(50))
