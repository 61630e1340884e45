"""The one seam through which the launcher touches processes: spawn, poll, signal. Tests pass a fake.

Children run in their own process group (so a stop reaches their own children too, e.g. ffmpeg), die with the
launcher (parent-death signal on Linux), and have their output pumped into a rotating log file per service; the
starting and signalling are ``shared/procs.py``'s, as for every other child in the suite.
Every line a child prints is redacted on its way into that file (``shared/redact.py``): the services redact their
own log lines, and this catches what they print otherwise (a traceback, a library's own output, ffmpeg, redis).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

import orjson

from shared.procs import signal_group, spawn
from shared.redact import Redactor

__all__ = ["OsProcesses", "ProcessHandle", "Processes"]

log = logging.getLogger(__name__)

LOG_MAX_BYTES = 10 * 1024 * 1024
LOG_BACKUPS = 5


@dataclass
class ProcessHandle:
    name: str
    pid: int
    popen: subprocess.Popen[bytes] | None = None
    pump: threading.Thread | None = None
    extra: dict[str, object] = field(default_factory=dict)


class Processes(Protocol):
    def spawn(
        self, name: str, argv: Sequence[str], env: dict[str, str], cwd: Path | None, stdin: bytes | None = None
    ) -> ProcessHandle: ...

    def poll(self, handle: ProcessHandle) -> int | None: ...

    def terminate(self, handle: ProcessHandle) -> None: ...

    def kill(self, handle: ProcessHandle) -> None: ...


class _ServiceLog:
    """A rotating file per service. Lines that are not JSON (a traceback on crash) are wrapped so every line of the
    file is structured and names its service."""

    def __init__(self, path: Path, service: str, redactor: Redactor | None = None) -> None:
        self.service = service
        self.redact = redactor or Redactor()
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
        # New files, rotated ones included, are owner-only through the launcher's umask; an older file is made so.
        os.chmod(path, 0o600)
        handler.setFormatter(logging.Formatter("%(message)s"))
        self._handler = handler

    def write(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            return
        entry: object = None
        if line.startswith("{"):
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                entry = None
        if isinstance(entry, dict):
            # Redacted as values, not as JSON text: a mask never cuts an escape sequence in two.
            line = orjson.dumps(self.redact.value(entry)).decode()
        else:
            line = orjson.dumps(
                {
                    "ts": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "level": "INFO",
                    "service": self.service,
                    "stream": "output",
                    "msg": self.redact(line),
                }
            ).decode()
        record = logging.LogRecord(self.service, logging.INFO, "", 0, line, None, None)
        self._handler.emit(record)

    def close(self) -> None:
        self._handler.close()


def _pump(stream: IO[bytes], sink: _ServiceLog) -> None:
    try:
        for raw in iter(stream.readline, b""):
            sink.write(raw)
    except (OSError, ValueError):
        pass
    finally:
        stream.close()  # our end of the child's pipe: left to the garbage collector, a restarted service leaks one
        sink.close()


class OsProcesses:
    """The real thing. Must be called from a thread that lives as long as the children (the launcher's main
    thread): Linux sends the parent-death signal when the *thread* that forked a child exits."""

    def __init__(self, logs_dir: Path, secrets: Iterable[str] = ()) -> None:
        self.logs_dir = logs_dir
        self.logs_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._redactor = Redactor(secrets)

    def spawn(
        self, name: str, argv: Sequence[str], env: dict[str, str], cwd: Path | None, stdin: bytes | None = None
    ) -> ProcessHandle:
        sink = _ServiceLog(self.logs_dir / f"{name}.log", name, self._redactor)
        try:
            # Its own session, SIGKILL when the launcher's main thread (the caller) dies.
            popen = spawn(
                argv,
                death_signal=int(signal.SIGKILL),
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        except OSError:
            sink.close()
            raise
        if stdin is not None:
            assert popen.stdin is not None
            try:
                popen.stdin.write(stdin)
                popen.stdin.close()
            except OSError:
                pass  # the child died at once; poll() reports it
        assert popen.stdout is not None
        pump = threading.Thread(target=_pump, args=(popen.stdout, sink), name=f"log-{name}", daemon=True)
        pump.start()
        return ProcessHandle(name=name, pid=popen.pid, popen=popen, pump=pump)

    def poll(self, handle: ProcessHandle) -> int | None:
        assert handle.popen is not None
        return handle.popen.poll()

    def terminate(self, handle: ProcessHandle) -> None:
        signal_group(handle.pid, int(signal.SIGTERM))

    def kill(self, handle: ProcessHandle) -> None:
        # Windows has no SIGKILL; any other signal makes signal_group end the whole tree (taskkill /F /T).
        signal_group(handle.pid, int(getattr(signal, "SIGKILL", signal.SIGABRT)))
