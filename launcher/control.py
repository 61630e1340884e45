"""The local control channel between ``timao status|stop|restart`` and the running launcher.

A TCP socket on 127.0.0.1 (portable, unlike Unix sockets on Windows) whose port and pid are written to
``$TIMAO_HOME/run/launcher.json``; every request carries the suite token. Wire format, one JSON line each way:

    → {"token": "...", "cmd": "status" | "stop" | "restart", "service": "gateway"}
    ← {"status": "ok", "result": {...}}  or  {"status": "error", "reason": "..."}

Any local process can connect, so nothing a client sends may stop the channel: a line that is not a JSON object gets
an error reply, a client that sends no full line within ``READ_TIMEOUT_S`` is dropped, and a failing command is
answered with an error while the server goes on.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["ControlServer", "LauncherNotRunning", "read_runfile", "request"]

log = logging.getLogger(__name__)

RUNFILE = "launcher.json"
MAX_LINE = 64 * 1024
# A request is one short line from a local CLI: seconds are plenty, and an idle client cannot hold a thread forever.
READ_TIMEOUT_S = 5.0


class LauncherNotRunning(Exception):
    pass


Handler = Callable[[str, dict[str, Any]], dict[str, Any]]


def _answer(line: bytes, token: str, handler: Handler) -> dict[str, Any]:
    """The reply to one request line; never raises."""
    try:
        req = json.loads(line)
    except ValueError:
        return {"status": "error", "reason": "请求不是 JSON (request is not JSON)"}
    if not isinstance(req, dict):
        return {"status": "error", "reason": "请求必须是 JSON 对象 (request must be a JSON object)"}
    given = req.get("token")
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), token.encode()):
        return {"status": "error", "reason": "bad token"}
    cmd = req.get("cmd")
    if not isinstance(cmd, str):
        return {"status": "error", "reason": "cmd 必须是字符串 (cmd must be a string)"}
    try:
        return {"status": "ok", "result": handler(cmd, req)}
    except (ValueError, KeyError, TypeError) as exc:
        return {"status": "error", "reason": str(exc)}
    except Exception as exc:
        # The boundary of the channel: a failing command is reported to its caller, never kills the channel.
        log.exception("control: command %r failed", cmd)
        return {"status": "error", "reason": f"命令失败 (command failed): {type(exc).__name__}: {exc}"}


def _read_line(sock: socket.socket, deadline: float) -> bytes:
    """Bytes up to and including the first newline (at most MAX_LINE); TimeoutError once ``deadline`` passes, so a
    client that trickles a byte at a time cannot hold the thread either."""
    data = bytearray()
    while b"\n" not in data and len(data) < MAX_LINE:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        chunk = sock.recv(min(65536, MAX_LINE - len(data)))
        if not chunk:
            break
        data += chunk
    return bytes(data[: data.find(b"\n") + 1]) if b"\n" in data else bytes(data)


class ControlServer:
    def __init__(self, run_dir: Path, token: str, handler: Handler, *, read_timeout: float = READ_TIMEOUT_S) -> None:
        self.run_dir = run_dir

        class _RequestHandler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                try:
                    line = _read_line(sock, time.monotonic() + read_timeout)
                except OSError:  # TimeoutError included: no full line in time, or the client vanished
                    log.warning("control: client %s sent no request in %gs; dropped", self.client_address, read_timeout)
                    return
                if not line.endswith(b"\n"):
                    reason = "请求过长或不完整 (request too long or incomplete)"
                    reply: dict[str, Any] = {"status": "error", "reason": reason}
                else:
                    reply = _answer(line, token, handler)
                with contextlib.suppress(OSError):  # the client went away: nothing to tell it
                    sock.settimeout(read_timeout)
                    sock.sendall(json.dumps(reply, ensure_ascii=False, default=str).encode() + b"\n")

        class _Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="control", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.run_dir / f"{RUNFILE}.tmp"
        tmp.write_text(json.dumps({"pid": os.getpid(), "port": self.port}), encoding="utf-8")
        tmp.replace(self.run_dir / RUNFILE)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        runfile = self.run_dir / RUNFILE
        try:
            if json.loads(runfile.read_text(encoding="utf-8")).get("pid") == os.getpid():
                runfile.unlink()
        except (OSError, ValueError):
            pass


def read_runfile(run_dir: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((run_dir / RUNFILE).read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError) as exc:
        raise LauncherNotRunning("TalkingCat 未在运行 (not running)") from exc


def request(run_dir: Path, token: str, cmd: str, timeout: float = 10.0, **params: Any) -> dict[str, Any]:
    info = read_runfile(run_dir)
    try:
        with socket.create_connection(("127.0.0.1", int(info["port"])), timeout=timeout) as sock:
            sock.sendall(json.dumps({"token": token, "cmd": cmd, **params}).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as exc:
        raise LauncherNotRunning(f"TalkingCat 未在运行 (not running; pid {info.get('pid')} does not answer)") from exc
    reply: dict[str, Any] = json.loads(data)
    if reply.get("status") != "ok":
        raise RuntimeError(reply.get("reason", "launcher refused the command"))
    result: dict[str, Any] = reply["result"]
    return result
