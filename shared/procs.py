"""Child processes that never outlive the process that started them.

A child gets its own session (a stop reaches its own children too, e.g. a browser's renderers) and, on Linux, a
parent-death signal. That signal fires when the *thread* that forked the child exits, not the process, so a child
started from a short-lived thread (``asyncio.to_thread``, an executor) would be killed early, and one started from a
thread that lives forever dies only with the process. ``spawn`` forks from the calling thread (for callers whose
thread outlives the child, e.g. a recorder's own thread); ``spawn_lasting`` forks from one keeper thread that never
exits, for callers on an event loop or any thread that may end first.

``stop_in_stages`` stops such a child politely first: each stage sends a signal and waits, and whatever still runs
at the end is killed (with ``group``, everything in the child's session). ``signal_group`` signals the whole session.
Every part that starts a child goes through here (the launcher's services, the AST's and StreamCap's ffmpeg, the
browser); what differs between them is only the death signal and the stages.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import ctypes.util
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

__all__ = ["Stoppable", "signal_group", "spawn", "spawn_lasting", "stop_in_stages"]

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_prctl: Callable[..., int] | None = None
if sys.platform.startswith("linux"):
    # Loaded before any fork: the child may only call what is already in memory.
    _libc_name = ctypes.util.find_library("c")
    if _libc_name:
        _prctl = ctypes.CDLL(_libc_name, use_errno=True).prctl


def _death_signal(sig: int) -> Callable[[], None]:
    def preexec() -> None:  # runs in the child between fork and exec
        if _prctl is not None:
            _prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)

    return preexec


def spawn(args: Sequence[str], *, death_signal: int = int(signal.SIGTERM), **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start ``args`` (pipes for stdin/stdout/stderr unless overridden) in its own session, dying with this thread."""
    options: dict[str, Any] = {
        "stdin": subprocess.PIPE,
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
    }
    if os.name == "posix":
        options["start_new_session"] = True
        if _prctl is not None:
            options["preexec_fn"] = _death_signal(int(death_signal))
    else:  # pragma: no cover - Windows
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    options.update(kwargs)
    log.debug("spawn %s", subprocess.list2cmdline(list(args)))
    return subprocess.Popen(list(args), **options)


_jobs: queue.SimpleQueue[tuple[Callable[[], Any], concurrent.futures.Future[Any]]] = queue.SimpleQueue()
_keeper: threading.Thread | None = None
_keeper_lock = threading.Lock()


def _keep() -> None:
    while True:  # never returns: the parent-death signal of every child it forked is tied to this thread
        job, future = _jobs.get()
        if not future.set_running_or_notify_cancel():
            continue
        try:
            future.set_result(job())
        except BaseException as exc:  # handed to the caller
            future.set_exception(exc)


def spawn_lasting(
    args: Sequence[str], *, death_signal: int = int(signal.SIGKILL), **kwargs: Any
) -> concurrent.futures.Future[subprocess.Popen[bytes]]:
    """``spawn`` from the keeper thread; the child dies only with this process. Await with ``asyncio.wrap_future``."""
    global _keeper
    with _keeper_lock:
        if _keeper is None:
            _keeper = threading.Thread(target=_keep, name="child-keeper", daemon=True)
            _keeper.start()
    future: concurrent.futures.Future[subprocess.Popen[bytes]] = concurrent.futures.Future()
    _jobs.put((lambda: spawn(args, death_signal=death_signal, **kwargs), future))
    return future


def signal_group(pid: int, sig: int) -> None:
    """Signal a child started by ``spawn`` and everything it started (its session's group)."""
    if os.name != "posix":  # pragma: no cover - Windows
        if sig == signal.SIGTERM:
            os.kill(pid, sig)
        else:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(pid)], capture_output=True, check=False)
        return
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


class Stoppable(Protocol):
    """What ``stop_in_stages`` needs of a child: a ``subprocess.Popen``, or a test's stand-in."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...


def stop_in_stages(
    proc: Stoppable,
    stages: Sequence[tuple[int, float]] = ((int(signal.SIGTERM), 5.0),),
    *,
    group: bool = False,
) -> int:
    """Stop ``proc`` step by step and answer its exit code: each stage sends its signal (to the child's session with
    ``group``) and waits up to its seconds for the exit; a child still running after the last stage is killed.
    With ``group`` the whole session goes: what the child leaves behind is killed once it has exited (e.g. a
    browser's helpers). A child that has already exited is only reaped."""
    for sig, wait in stages:
        if proc.poll() is not None:
            break
        _send(proc, sig, group=group)
        try:
            proc.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue
    if proc.poll() is None:
        log.warning("pid=%s outlived its stop stages; killing it", proc.pid)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    rc = proc.wait()
    if group and os.name == "posix":
        signal_group(proc.pid, int(signal.SIGKILL))
    return rc


def _send(proc: Stoppable, sig: int, *, group: bool) -> None:
    if group:
        signal_group(proc.pid, sig)
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
