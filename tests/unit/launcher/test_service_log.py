"""Hardening #12, finding 5: what a child prints is redacted on its way into its log file, rotated files included."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from launcher import procs
from launcher.procs import OsProcesses, _ServiceLog
from shared.config import private_umask
from shared.redact import Redactor

TOKEN = "tok-0123456789abcdef"


@pytest.fixture
def saved_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_child_lines_are_redacted(tmp_path: Path) -> None:
    log = _ServiceLog(tmp_path / "svc.log", "svc", Redactor([TOKEN]))
    # A JSON line of a service, a JSON line with a credential field, a plain traceback line, a bad JSON line.
    log.write(orjson.dumps({"msg": f'"WebSocket /ws?token={TOKEN}" [accepted]', "level": "INFO"}) + b"\n")
    log.write(orjson.dumps({"msg": "call", "token": "abc", "headers": {"Authorization": "Bearer x"}}) + b"\n")
    log.write(f"RuntimeError: connect redis://:{TOKEN}@127.0.0.1/0 failed\n".encode())
    log.write(b'{"not json: Bearer abcdefghijklmnop\n')
    log.close()
    text = (tmp_path / "svc.log").read_text(encoding="utf-8")
    assert TOKEN not in text and "abcdefghijklmnop" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["msg"] == '"WebSocket /ws?token=***" [accepted]'
    assert lines[1]["token"] == "***" and lines[1]["headers"] == {"Authorization": "***"}
    assert lines[2]["msg"] == "RuntimeError: connect redis://:***@127.0.0.1/0 failed"
    assert lines[2]["service"] == "svc" and lines[3]["msg"] == '{"not json: Bearer ***'


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_log_files_and_rotated_ones_are_owner_only(
    tmp_path: Path, saved_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "svc.log"
    old.write_text("{}\n")
    old.chmod(0o644)  # left by an older version
    private_umask()  # as the launcher sets it first thing
    monkeypatch.setattr(procs, "LOG_MAX_BYTES", 200)
    log = _ServiceLog(old, "svc")
    for i in range(20):
        log.write(f"line {i} ".encode() + b"x" * 50 + b"\n")
    log.close()
    files = sorted(tmp_path.glob("svc.log*"))
    assert len(files) > 2
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files), [(f.name, oct(f.stat().st_mode)) for f in files]


def test_spawned_child_output_is_redacted(tmp_path: Path) -> None:
    processes = OsProcesses(tmp_path / "logs", secrets=[TOKEN])
    code = f"import sys; print('token is {TOKEN}'); print('GET /x?access_token=abc', file=sys.stderr)"
    handle = processes.spawn("child", [sys.executable, "-c", code], dict(os.environ), None)
    assert handle.popen is not None and handle.pump is not None
    handle.popen.wait(30)
    handle.pump.join(10)
    text = (tmp_path / "logs" / "child.log").read_text(encoding="utf-8")
    assert TOKEN not in text and "access_token=***" in text
