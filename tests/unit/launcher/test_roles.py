"""``timao up --role worker`` (docs/contracts.md, Workers on several machines): only the workers, and only against
the shared stores."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from launcher.runner import build_specs, check_role
from launcher.specs import PROJECT_ROOT
from shared.config import Settings
from shared.errors import ConfigError


def test_a_worker_runs_the_fetcher_recorder_and_ast_and_no_gateway(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, redis_url="redis://127.0.0.1:6379/5", database_url="sqlite:///x.db")
    worker = {s.name for s in build_specs(settings, None, None, role="worker")}
    assert worker == {"douyin_fetcher", "streamcap", "ast"}
    assert {s.name for s in build_specs(settings, None, None)} == worker | {"gateway"}
    check_role(settings, "worker")  # both stores set: fine


@pytest.mark.parametrize(
    ("redis_url", "database_url", "missing"),
    [("", "", "TIMAO_REDIS_URL and TIMAO_DATABASE_URL"), ("redis://h/0", "", "TIMAO_DATABASE_URL"),
     ("", "postgresql+psycopg://h/db", "TIMAO_REDIS_URL")],
)  # fmt: skip
def test_a_worker_refuses_to_start_without_the_shared_stores(
    tmp_path: Path, redis_url: str, database_url: str, missing: str
) -> None:
    settings = Settings(home=tmp_path, redis_url=redis_url, database_url=database_url)
    with pytest.raises(ConfigError, match=f"set {missing} to"):
        check_role(settings, "worker")
    check_role(settings, "all")  # the whole suite embeds its own Redis and SQLite


def test_the_cli_says_why_a_worker_does_not_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMAO_")}
    env.update(TIMAO_HOME=str(tmp_path / "home"), PYTHONPATH=str(PROJECT_ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "launcher", "up", "--role", "worker"],
        env=env, capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert done.returncode == 2
    assert "a worker needs the shared stores" in done.stderr and "TIMAO_REDIS_URL" in done.stderr
    assert not (tmp_path / "home" / "run" / "launcher.lock").exists()  # refused before anything was prepared
