"""shared/procs.py with real child processes: spawn into a session, stop in stages, signal the whole session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from shared.procs import spawn, stop_in_stages

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

IGNORES_TERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
)
SLEEPS = "import sys, time; print('ready', flush=True); time.sleep(60)"


def _started(args: list[str]) -> subprocess.Popen[bytes]:
    proc = spawn(args, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    return proc


def _close(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdout is not None:
        proc.stdout.close()


def test_a_polite_stage_is_enough_for_a_child_that_listens() -> None:
    proc = _started([sys.executable, "-c", SLEEPS])
    try:
        assert os.getsid(proc.pid) == proc.pid  # its own session
        assert stop_in_stages(proc, ((int(signal.SIGTERM), 5.0),)) == -signal.SIGTERM
    finally:
        _close(proc)


def test_a_child_that_ignores_every_stage_is_killed() -> None:
    proc = _started([sys.executable, "-c", IGNORES_TERM])
    try:
        t0 = time.monotonic()
        rc = stop_in_stages(proc, ((int(signal.SIGTERM), 0.3), (int(signal.SIGTERM), 0.3)))
        assert rc == -signal.SIGKILL
        assert 0.5 < time.monotonic() - t0 < 5.0  # both stages waited
    finally:
        _close(proc)


def test_an_exited_child_is_only_reaped() -> None:
    proc = spawn([sys.executable, "-c", "pass"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=None)
    proc.wait()
    assert stop_in_stages(proc) == 0


def test_group_stops_reach_the_grandchildren() -> None:
    code = (
        "import subprocess, sys, time; "
        f"c = subprocess.Popen([sys.executable, '-c', {IGNORES_TERM!r}], stdout=subprocess.PIPE); "
        "c.stdout.readline(); print(c.pid, flush=True); time.sleep(60)"
    )
    proc = spawn([sys.executable, "-c", code], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        grandchild = psutil.Process(int(proc.stdout.readline()))
        stop_in_stages(proc, ((int(signal.SIGTERM), 0.3),), group=True)
        deadline = time.monotonic() + 5
        while _alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(grandchild)  # killed with the session after the child's stage
    finally:
        _close(proc)


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
