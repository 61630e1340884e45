"""``timao fake-douyin OPTIONS``: every option reaches the fake server's own parser (argparse's REMAINDER alone
dropped an option in first place, so ``timao fake-douyin --strict`` was refused)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from launcher import cli


@pytest.fixture(autouse=True)
def keep_umask() -> Iterator[None]:
    """cli.main sets the suite's owner-only umask; the test process keeps its own."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def test_options_reach_the_fake_servers_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as shown:
        cli.main(["fake-douyin", "--help"])
    assert shown.value.code == 0
    out = capsys.readouterr().out
    assert "timao fake-douyin" in out and "--verification" in out and "--page-idle-timeout" in out


def test_a_bad_option_is_refused_by_the_fake_servers_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        cli.main(["fake-douyin", "--strict", "--no-such-option"])
    assert refused.value.code == 2
    assert "timao fake-douyin: error: unrecognized arguments: --no-such-option" in capsys.readouterr().err
