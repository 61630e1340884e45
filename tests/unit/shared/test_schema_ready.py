"""A service started by the launcher waits for the schema before it opens the database."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from shared.db.engine import make_engine
from shared.db.schema_ready import SCHEMA_READY_ENV, wait_for_schema
from shared.errors import ConfigError


def test_without_the_launcher_nothing_waits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEMA_READY_ENV, raising=False)
    make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}").dispose()


def test_make_engine_waits_until_the_launcher_says_the_schema_is_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ready = tmp_path / "run" / "schema.ready"
    ready.parent.mkdir()
    monkeypatch.setenv(SCHEMA_READY_ENV, str(ready))
    opened = threading.Event()

    def open_db() -> None:
        make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}").dispose()
        opened.set()

    thread = threading.Thread(target=open_db, daemon=True)
    thread.start()
    time.sleep(0.3)
    assert not opened.is_set() and not (tmp_path / "db.sqlite").exists()  # not even the file is created yet
    ready.touch()
    assert opened.wait(10)
    thread.join(5)


def test_a_schema_that_never_comes_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SCHEMA_READY_ENV, str(tmp_path / "never"))
    with pytest.raises(ConfigError, match="database schema not ready"):
        wait_for_schema(timeout=0.1)
