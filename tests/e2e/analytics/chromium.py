"""Open a file in headless Chromium over the DevTools protocol and record every request the page makes."""

from __future__ import annotations

import itertools
import json
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from launcher.redis_embedded import free_port

CHROMIUM = "/usr/bin/chromium"


@dataclass
class PageVisit:
    requests: list[str] = field(default_factory=list)
    evaluated: Any = None


def visit(path: Path, expression: str, timeout: float = 60.0) -> PageVisit:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="timao-chromium-") as profile:
        proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
             f"--remote-debugging-port={port}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            return _drive(port, path, expression, timeout)
        finally:
            proc.terminate()
            proc.wait(10)


def _drive(port: int, path: Path, expression: str, timeout: float) -> PageVisit:
    deadline = time.monotonic() + timeout
    targets: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not targets:
        try:
            targets = [t for t in httpx.get(f"http://127.0.0.1:{port}/json/list").json() if t["type"] == "page"]
        except httpx.TransportError:
            time.sleep(0.2)
    assert targets, "chromium did not start"
    ids = itertools.count(1)
    result = PageVisit()
    with connect(targets[0]["webSocketDebuggerUrl"], max_size=None) as ws:

        def call(method: str, **params: Any) -> dict[str, Any]:
            call_id = next(ids)
            ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
            while True:
                msg = _recv(ws, deadline, result)
                if msg.get("id") == call_id:
                    return msg

        call("Network.enable")
        call("Page.enable")
        call("Page.navigate", url=path.as_uri())
        while _recv(ws, deadline, result).get("method") != "Page.loadEventFired":
            pass
        time.sleep(0.5)  # anything the page would fetch late
        answer = call("Runtime.evaluate", expression=expression, returnByValue=True)
        result.evaluated = answer["result"]["result"].get("value")
    return result


def _recv(ws: Any, deadline: float, result: PageVisit) -> dict[str, Any]:
    msg: dict[str, Any] = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.1)))
    if msg.get("method") == "Network.requestWillBeSent":
        result.requests.append(msg["params"]["request"]["url"])
    return msg
