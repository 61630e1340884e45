"""The one seam through which StreamCap starts and signals child processes (ffmpeg).

Children get their own session, so a Ctrl-C in the terminal reaches the service (which stops them in order) rather
than every ffmpeg at once. On Linux they also get a parent-death signal so a killed service leaves no ffmpeg
behind (``shared/procs.py``). That signal fires when the *thread* that spawned the child exits, so spawn from a
thread that outlives the child (the recorder's own thread does).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Callable, Sequence
from typing import IO, Protocol

from shared.procs import spawn, stop_in_stages  # spawn: SIGTERM on parent death, ffmpeg then closes its output

__all__ = ["ChildProcess", "Spawn", "close_pipes", "spawn", "stop_process"]

log = logging.getLogger(__name__)


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
    return stop_in_stages(proc, ((_interrupt_signal(), second), (_interrupt_signal(), third)))


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
