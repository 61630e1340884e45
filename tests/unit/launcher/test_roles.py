"""``timao up --role worker`` and ``--role gateway`` (docs/contracts.md, Workers on several machines): only the
workers, or only the gateway, and only against the shared stores."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from launcher.runner import _check_ports, build_specs, check_role
from launcher.specs import PROJECT_ROOT
from shared.config import Settings
from shared.errors import ConfigError


def test_a_worker_runs_the_fetcher_recorder_and_ast_and_no_gateway(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, redis_url="redis://127.0.0.1:6379/5", database_url="sqlite:///x.db")
    worker = {s.name for s in build_specs(settings, None, None, role="worker")}
    assert worker == {"douyin_fetcher", "streamcap", "ast"}
    assert {s.name for s in build_specs(settings, None, None)} == worker | {"gateway"}
    check_role(settings, "worker")  # both stores set: fine


def test_a_gateway_machine_runs_the_gateway_alone(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, redis_url="redis://127.0.0.1:6379/5", database_url="sqlite:///x.db")
    specs = build_specs(settings, None, None, role="gateway")
    assert [(s.name, s.port) for s in specs] == [("gateway", settings.gateway_port)]
    check_role(settings, "gateway")


def test_each_role_checks_only_the_ports_it_binds(tmp_path: Path) -> None:
    """A gateway machine binds no recorder port, a worker machine no gateway port."""
    import socket

    from launcher.redis_embedded import free_port

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        gateway_busy = Settings(home=tmp_path, gateway_port=busy, streamcap_port=free_port())
        _check_ports(gateway_busy, "worker")
        for role in ("gateway", "all"):
            with pytest.raises(ConfigError, match=f"port {busy} in use\\), needed by gateway"):
                _check_ports(gateway_busy, role)
        recorder_busy = Settings(home=tmp_path, gateway_port=free_port(), streamcap_port=busy)
        _check_ports(recorder_busy, "gateway")
        for role in ("worker", "all"):
            with pytest.raises(ConfigError, match=f"port {busy} in use\\), needed by streamcap"):
                _check_ports(recorder_busy, role)


@pytest.mark.parametrize("role", ["worker", "gateway"])
@pytest.mark.parametrize(
    ("redis_url", "database_url", "missing"),
    [("", "", "TIMAO_REDIS_URL and TIMAO_DATABASE_URL"), ("redis://h/0", "", "TIMAO_DATABASE_URL"),
     ("", "postgresql+psycopg://h/db", "TIMAO_REDIS_URL")],
)  # fmt: skip
def test_a_worker_or_gateway_refuses_to_start_without_the_shared_stores(
    tmp_path: Path, role: str, redis_url: str, database_url: str, missing: str
) -> None:
    settings = Settings(home=tmp_path, redis_url=redis_url, database_url=database_url)
    with pytest.raises(ConfigError, match=f"--role {role}`: .*needs the shared stores\\): set {missing} to"):
        check_role(settings, role)
    check_role(settings, "all")  # the whole suite embeds its own Redis and SQLite


@pytest.mark.parametrize("role", ["worker", "gateway"])
def test_a_part_of_a_suite_is_no_demo(tmp_path: Path, role: str) -> None:
    settings = Settings(home=tmp_path, redis_url="redis://h/0", database_url="postgresql+psycopg://h/db")
    with pytest.raises(ConfigError, match=f"not with --role {role}"):
        check_role(settings, role, demo=True)


def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown role 'office': all, worker, gateway"):
        check_role(Settings(home=tmp_path), "office")


@pytest.mark.parametrize(
    ("role", "why"),
    [("worker", "工作节点需要共享的 Redis 和数据库 (a worker needs the shared stores)"),
     ("gateway", "网关节点需要共享的 Redis 和数据库 (a gateway-only machine needs the shared stores)")],
)  # fmt: skip
def test_the_cli_says_why_a_worker_or_gateway_does_not_start(tmp_path: Path, role: str, why: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMAO_")}
    env.update(TIMAO_HOME=str(tmp_path / "home"), PYTHONPATH=str(PROJECT_ROOT), TIMAO_REDIS_URL="redis://h/0")
    done = subprocess.run(
        [sys.executable, "-m", "launcher", "up", "--role", role],
        env=env, capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert done.returncode == 2
    assert why in done.stderr and "set TIMAO_DATABASE_URL to" in done.stderr
    assert not (tmp_path / "home" / "run" / "launcher.lock").exists()  # refused before anything was prepared


def test_status_lists_the_workers_on_the_shared_redis(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`timao status` asks the running launcher (a control server here) and reads the registry on its Redis."""
    import asyncio
    import json

    import redis.asyncio as aioredis

    from launcher.cli import main
    from launcher.control import ControlServer
    from shared.workers import register

    async def two_workers() -> None:
        client = aioredis.from_url(redis_url)
        await register(client, "w-a", "douyin_fetcher", capacity=50, work=["s1", "s2"], pid=1, host="host-a")
        await register(client, "w-b", "douyin_fetcher", capacity=10, work=[], pid=2, host="host-b")
        await client.aclose()

    asyncio.run(two_workers())
    home = tmp_path / "home"
    token = "status-token"

    def handler(cmd: str, _req: dict[str, object]) -> dict[str, object]:
        assert cmd == "status"
        return {"pid": 1, "home": str(home), "redis_url": redis_url, "services": {}}

    server = ControlServer(home / "run", token, handler)
    server.start()
    try:
        monkeypatch.setenv("TIMAO_HOME", str(home))
        monkeypatch.setenv("TIMAO_TOKEN", token)
        assert main(["status"]) == 0
        text = capsys.readouterr().out
        assert "工作节点 workers: 2" in text and "w-a" in text and "rooms 2/50" in text and "host-b" in text
        assert main(["status", "--json"]) == 0
        workers = json.loads(capsys.readouterr().out)["workers"]
        assert [(w["worker_id"], w["rooms"]) for w in workers] == [("w-a", ["s1", "s2"]), ("w-b", [])]
    finally:
        server.close()
