"""The local control channel between ``timao status|stop|restart`` and the running launcher.

A TCP socket on 127.0.0.1 (portable, unlike Unix sockets on Windows) whose port and pid are written to
``$TIMAO_HOME/run/launcher.json``; every request carries the suite token. Wire format, one JSON line each way:

    → {"token": "...", "cmd": "status" | "stop" | "restart", "service": "gateway"}
    ← {"status": "ok", "result": {...}}  or  {"status": "error", "reason": "..."}
"""

from __future__ import annotations

import hmac
import json
import os
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["ControlServer", "LauncherNotRunning", "read_runfile", "request"]

RUNFILE = "launcher.json"
MAX_LINE = 64 * 1024


class LauncherNotRunning(Exception):
    pass


Handler = Callable[[str, dict[str, Any]], dict[str, Any]]


class ControlServer:
    def __init__(self, run_dir: Path, token: str, handler: Handler) -> None:
        self.run_dir = run_dir

        class _RequestHandler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline(MAX_LINE)
                try:
                    req = json.loads(line)
                    if not hmac.compare_digest(str(req.get("token", "")).encode(), token.encode()):
                        reply: dict[str, Any] = {"status": "error", "reason": "bad token"}
                    else:
                        result = handler(str(req.get("cmd", "")), req)
                        reply = {"status": "ok", "result": result}
                except (ValueError, KeyError) as exc:
                    reply = {"status": "error", "reason": str(exc)}
                self.wfile.write(json.dumps(reply, ensure_ascii=False, default=str).encode() + b"\n")

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
