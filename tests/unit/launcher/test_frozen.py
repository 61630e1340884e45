"""The frozen entry's pure parts, from source: argument dispatch, child commands, stale unpacked folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from launcher import frozen
from launcher.specs import service_argv
from services.ast.probe import default_probe_command


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param([], ["up"], id="nothing-is-up"),
        pytest.param(["--demo"], ["up", "--demo"], id="up-flags"),
        pytest.param(["up", "--demo"], ["up", "--demo"], id="up"),
        pytest.param(["status", "--json"], ["status", "--json"], id="status"),
        pytest.param(["service", "gateway"], ["service", "gateway"], id="service"),
        pytest.param(
            ["-m", "services.ast.probe", "whisper", "/m"],
            ["service", "services.ast.probe", "whisper", "/m"],
            id="python-dash-m",
        ),
        pytest.param(["--help"], ["--help"], id="help"),
    ],
)
def test_resolve_argv(argv: list[str], expected: list[str]) -> None:
    assert frozen.resolve_argv(argv) == expected


def test_children_rerun_the_executable_when_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    assert service_argv("services.gateway") == [sys.executable, "-m", "services.gateway"]
    assert default_probe_command("whisper", Path("/m"))[1:3] == ["-m", "services.ast.probe"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert service_argv("services.streamcap.synthetic", "--mode", "end") == [
        sys.executable, "service", "services.streamcap.synthetic", "--mode", "end",
    ]  # fmt: skip
    assert default_probe_command("whisper", Path("/m")) == [
        sys.executable, "service", "services.ast.probe", "whisper", str(Path("/m")),
    ]  # fmt: skip


def test_not_frozen_has_no_unpacked_dir() -> None:
    assert frozen.is_frozen() is False
    assert frozen.unpacked_dir() is None


def _folder(root: Path, name: str, *, ours: bool = True, owner: dict[str, object] | None = None) -> Path:
    folder = root / name
    (folder / "lib").mkdir(parents=True)
    (folder / "lib" / "x.so").write_bytes(b"\0" * 16)
    if ours:
        (folder / frozen.MARKER).write_text("{}")
    if owner is not None:
        (folder / frozen.OWNER_FILE).write_text(json.dumps(owner))
    return folder


def test_clean_stale_unpacked_removes_only_our_dead_runs(tmp_path: Path) -> None:
    me = psutil.Process(os.getpid())
    dead = psutil.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = {"pid": me.pid, "create_time": me.create_time()}
    reused = {"pid": me.pid, "create_time": me.create_time() - 1000}  # same pid, another process
    gone = _folder(tmp_path, "_MEI100", owner={"pid": dead.pid, "create_time": 1.0})
    pid_reused = _folder(tmp_path, "_MEI101", owner=reused)
    running = _folder(tmp_path, "_MEI102", owner=live)
    other_app = _folder(tmp_path, "_MEI103", ours=False, owner={"pid": dead.pid, "create_time": 1.0})
    unpacking = _folder(tmp_path, "_MEI104")  # no owner yet: too young to judge
    abandoned = _folder(tmp_path, "_MEI105")
    old = time.time() - frozen.UNOWNED_GRACE_S - 60
    os.utime(abandoned, (old, old))
    mine = _folder(tmp_path, "_MEI106", owner={"pid": dead.pid, "create_time": 1.0})
    unrelated = tmp_path / "other"
    unrelated.mkdir()

    removed = frozen.clean_stale_unpacked(tmp_path, keep=mine)

    assert sorted(removed) == sorted([gone, pid_reused, abandoned])
    assert not gone.exists() and not pid_reused.exists() and not abandoned.exists()
    assert running.is_dir() and other_app.is_dir() and unpacking.is_dir() and mine.is_dir() and unrelated.is_dir()


def test_clean_stale_unpacked_tolerates_a_missing_root(tmp_path: Path) -> None:
    assert frozen.clean_stale_unpacked(tmp_path / "nope") == []


GRANDCHILD = """
import os, signal, sys, time
from launcher.frozen import watch_parent
signal.signal(signal.SIGTERM, lambda *_: (open(sys.argv[1], "w").write("stopped"), os._exit(0)))
watch_parent(os.getppid(), poll_s=0.05)
print("ready", flush=True)
time.sleep(60)
"""
APP = "import subprocess, sys, time; subprocess.Popen(sys.argv[1:]); time.sleep(60)"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_watch_parent_stops_politely_when_the_parent_dies(tmp_path: Path) -> None:
    marker = tmp_path / "stopped"
    root = str(Path(__file__).resolve().parents[3])
    env = {**os.environ, "PYTHONPATH": root}
    app = psutil.Popen([sys.executable, "-c", APP, sys.executable, "-c", GRANDCHILD, str(marker)], env=env,
                       stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert app.stdout is not None
        assert app.stdout.readline().strip() == "ready"  # the grandchild's: the watch is armed
        [child] = app.children()
        app.kill()
        app.wait(5)
        deadline = time.monotonic() + 10
        while child.is_running() and child.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.read_text() == "stopped"
    finally:
        for proc in [app, *app.children()] if app.is_running() else []:
            proc.kill()
        if app.stdout is not None:
            app.stdout.close()
