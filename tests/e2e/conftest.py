"""Fixtures shared by the end-to-end tests that need the fake Douyin server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import FakeDouyinThread, Suite


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDouyinThread]:
    """The fake Douyin server (strict signatures) on a thread of its own."""
    f = FakeDouyinThread()
    f.start()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def douyin_suite(fake: FakeDouyinThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    """The real suite, pointed at the fake Douyin server, logged in to it (gifts reach logged-in rooms only)."""
    home = tmp_path_factory.mktemp("suite") / "home"
    fake.login(home)
    s = Suite(home, extra_env=fake.suite_env()).start()
    s.wait_running()
    yield s
    s.stop()
