"""Hardening #12, finding 5: ``$TIMAO_HOME`` and what the suite keeps there are owner-only."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.config import PRIVATE_UMASK, load_settings, private_umask, save_settings
from shared.db.engine import make_engine

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The permissive umask of a typical desktop session, so only the code under test can make things private."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_ensure_dirs_creates_and_fixes_owner_only(tmp_path: Path, open_umask: None) -> None:
    home = tmp_path / "home"
    (home / "logs").mkdir(parents=True, mode=0o755)
    os.chmod(home, 0o755)
    (home / "logs").chmod(0o755)
    for name in ("gateway.log", "gateway.log.1"):  # left readable by an older version
        (home / "logs" / name).write_text("{}\n")
        (home / "logs" / name).chmod(0o644)
    (home / "settings.toml").write_text("")
    (home / "settings.toml").chmod(0o644)
    settings = load_settings(home=home)
    settings.ensure_dirs()
    for folder in (home, home / "logs", home / "run", home / "recordings"):
        assert mode(folder) == 0o700, folder
    for file in (home / "logs" / "gateway.log", home / "logs" / "gateway.log.1", home / "settings.toml"):
        assert mode(file) == 0o600, file


def test_a_recordings_folder_the_user_chose_keeps_its_mode(tmp_path: Path, open_umask: None) -> None:
    chosen = tmp_path / "Videos"
    chosen.mkdir(mode=0o755)
    load_settings(home=tmp_path / "home", recordings_dir=chosen).ensure_dirs()
    assert mode(chosen) == 0o755
    new = tmp_path / "new" / "recordings"
    load_settings(home=tmp_path / "home", recordings_dir=new).ensure_dirs()
    assert mode(new) == 0o700


def test_save_settings_writes_owner_only(tmp_path: Path, open_umask: None) -> None:
    save_settings(tmp_path, {"recording_quality": "HD1"})
    assert mode(tmp_path / "settings.toml") == 0o600


def test_sqlite_database_and_its_wal_are_owner_only(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "data" / "timao.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert (tmp_path / "data" / "timao.db-wal").exists()
        assert mode(db) == 0o600 and mode(tmp_path / "data" / "timao.db-wal") == 0o600
    engine.dispose()
    # A database file an older version left readable.
    db.chmod(0o644)
    make_engine(f"sqlite:///{db}").dispose()
    assert mode(db) == 0o600


def test_private_umask(tmp_path: Path, open_umask: None) -> None:
    private_umask()
    (tmp_path / "f").write_text("x")
    (tmp_path / "d").mkdir()
    assert mode(tmp_path / "f") == 0o600 and mode(tmp_path / "d") == 0o700
    assert os.umask(0o022) == PRIVATE_UMASK
