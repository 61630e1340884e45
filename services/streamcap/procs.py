"""The one seam through which StreamCap starts and signals child processes (ffmpeg).

Children get their own session, so a Ctrl-C in the terminal reaches the service (which stops them in order) rather
than every ffmpeg at once. On Linux they also get a parent-death signal so a killed service leaves no ffmpeg
behind. That signal fires when the *thread* that spawned the child exits, so spawn from a thread that outlives the
child (the recorder's own thread does).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any, Protocol

__all__ = ["ChildProcess", "Spawn", "close_pipes", "spawn", "stop_process"]

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_prctl: Callable[..., int] | None = None
if sys.platform.startswith("linux"):
    # Loaded before any fork: the child may only call what is already in memory.
    _libc_name = ctypes.util.find_library("c")
    if _libc_name:
        _prctl = ctypes.CDLL(_libc_name, use_errno=True).prctl


class ChildProcess(Protocol):
    pid: int
    stdin: IO[bytes] | None
    stdout: IO[bytes] | None
    stderr: IO[bytes] | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...


Spawn = Callable[[Sequence[str]], ChildProcess]


def _set_parent_death_signal() -> None:
    if _prctl is not None:
        # SIGTERM, not SIGKILL: ffmpeg then closes its output cleanly.
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def spawn(args: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start ``args`` with pipes for stdin/stdout/stderr unless overridden."""
    options: dict[str, Any] = {
        "stdin": subprocess.PIPE,
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
    }
    if os.name == "posix":
        options["start_new_session"] = True
        if _prctl is not None:
            options["preexec_fn"] = _set_parent_death_signal
    else:  # pragma: no cover - Windows
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    options.update(kwargs)
    log.debug("spawn %s", subprocess.list2cmdline(list(args)))
    return subprocess.Popen(list(args), **options)


def _interrupt_signal() -> int:
    # Windows has no SIGINT delivery to another process group; CTRL_BREAK reaches a child started in its own group.
    return int(getattr(signal, "CTRL_BREAK_EVENT", signal.SIGINT)) if os.name == "nt" else int(signal.SIGINT)


def stop_process(proc: ChildProcess, waits: Sequence[float] = (5.0, 3.0, 2.0), *, polite: bool = True) -> int:
    """Stop ffmpeg so its output is finalised if at all possible.

    ``q`` on stdin (ffmpeg's own quit key, handled between packets), then SIGINT (also interrupts a blocked network
    read), SIGINT again, then SIGKILL. ``polite=False`` skips ``q`` for a process known to be stuck in a read.
    """
    first, second, third = ([*list(waits), 2.0, 2.0, 2.0])[:3]
    if proc.poll() is not None:
        return int(proc.poll() or 0)
    if polite and proc.stdin is not None:
        try:
            proc.stdin.write(b"q")
            proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass
        else:
            if _wait(proc, first) is not None:
                return int(proc.poll() or 0)
    if not polite:
        # ffmpeg's first SIGINT only asks it to finish after the current packet; the second breaks a blocked read.
        second = min(second, 0.3)
    for wait in (second, third):
        try:
            proc.send_signal(_interrupt_signal())
        except ProcessLookupError:
            break
        if _wait(proc, wait) is not None:
            return int(proc.poll() or 0)
    if proc.poll() is None:
        log.warning("recording= ffmpeg pid=%s ignored q and SIGINT, killing it", proc.pid)
        proc.kill()
    return int(proc.wait())


def _wait(proc: ChildProcess, timeout: float) -> int | None:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def close_pipes(proc: ChildProcess) -> None:
    """Close our ends of the child's pipes once it has exited and its readers are done."""
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError, ValueError):
                pipe.close()
