"""A small Chrome DevTools Protocol driver for headless Chromium (Debian's ``/usr/bin/chromium``).

Enough for the UI tests: open a page, record every request it makes, read console messages, evaluate
JavaScript, read the accessibility tree and take a screenshot.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import websockets

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--mute-audio",
    "--hide-scrollbars",
    "--force-renderer-accessibility",
]


def have_chromium() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


@contextmanager
def chromium(width: int = 1280, height: int = 800) -> Iterator[str]:
    """Start headless Chromium with a DevTools port; yields the DevTools HTTP base URL."""
    profile = Path(tempfile.mkdtemp(prefix="streamcap-ui-chromium-"))
    proc = subprocess.Popen(
        [
            CHROMIUM,
            *FLAGS,
            f"--window-size={width},{height}",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        shutil.rmtree(profile, ignore_errors=True)


class Tab:
    """One page target, driven over its DevTools WebSocket."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.requests: list[str] = []
        self.blocked: dict[str, str] = {}  # URL -> why the browser refused to send it (e.g. "csp")
        self._urls: dict[str, str] = {}
        self.status: dict[str, int] = {}  # URL -> HTTP status of its response
        self.console: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, devtools: str) -> Tab:
        async with httpx.AsyncClient() as client:
            target = (await client.put(f"{devtools}/json/new?about:blank")).json()
        ws = await websockets.connect(target["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024)
        tab = cls(ws)
        for domain in ("Page", "Network", "Runtime", "Log"):
            await tab.send(f"{domain}.enable")
        return tab

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message:
                future = self._pending.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message)
                continue
            method, params = message.get("method"), message.get("params", {})
            if method == "Network.requestWillBeSent":
                self.requests.append(params["request"]["url"])
                self._urls[params["requestId"]] = params["request"]["url"]
            elif method == "Network.responseReceived":
                self.status[params["response"]["url"]] = int(params["response"]["status"])
            elif method == "Network.loadingFailed" and params.get("blockedReason"):
                self.blocked[self._urls.get(params["requestId"], "?")] = params["blockedReason"]
            elif method == "Network.webSocketCreated":
                self.requests.append(params["url"])
            elif method == "Runtime.consoleAPICalled":
                self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
            elif method == "Log.entryAdded":
                self.console.append(f"{params['entry']['level']}: {params['entry']['text']}")

    async def send(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        await self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        answer = await asyncio.wait_for(future, timeout)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def sent_off_machine(self) -> list[str]:
        """Requests to anywhere but this machine that the browser actually sent (not refused before sending)."""
        local = ("http://127.0.0.1:", "ws://127.0.0.1:", "http://localhost:", "ws://localhost:", "data:", "blob:")
        return [u for u in self.requests if not u.startswith(local) and u not in self.blocked]

    async def viewport(self, width: int, height: int) -> None:
        await self.send(
            "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False
        )

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    async def ax_names(self) -> list[str]:
        """Every name in the accessibility tree (Flutter's semantics tree once it is enabled)."""
        tree = await self.send("Accessibility.getFullAXTree")
        names = []
        for node in tree.get("nodes", []):
            value = (node.get("name") or {}).get("value")
            if value:
                names.append(str(value))
        return names

    async def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode((await self.send("Page.captureScreenshot", format="png"))["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return data


# Flutter draws on a canvas; its semantics tree (hidden DOM nodes with the labels) is built once a user asks for
# accessibility, which the placeholder button does. Then the texts can be read and the nodes clicked.
ENABLE_SEMANTICS = """(() => {
  const p = document.querySelector('flt-semantics-placeholder');
  if (p) { p.click(); return true; }
  return document.querySelector('flt-semantics') !== null;
})()"""

CLICK_LABEL = """((label) => {
  const named = (n) => (n.getAttribute('aria-label') || n.textContent || '').trim();
  const hit = [...document.querySelectorAll('[flt-tappable]')].find((n) => named(n).startsWith(label));
  if (!hit) return false;
  hit.click();
  return true;
})"""


async def wait_for_names(tab: Tab, wanted: list[str], timeout: float = 60) -> list[str]:
    """Poll the accessibility tree until every wanted text is part of some name; answers the names."""
    deadline = time.monotonic() + timeout
    names: list[str] = []
    while time.monotonic() < deadline:
        await tab.evaluate(ENABLE_SEMANTICS)
        names = await tab.ax_names()
        if all(any(w in n for n in names) for w in wanted):
            return names
        await asyncio.sleep(0.5)
    raise AssertionError(f"texts {wanted} not rendered within {timeout}s; seen: {names[:80]}")


async def click_label(tab: Tab, label: str) -> None:
    assert await tab.evaluate(f"{CLICK_LABEL}({json.dumps(label)})"), f"nothing labelled {label!r} to click"


IMAGE_STATS = """(async (src) => {
  const img = new Image();
  img.src = src;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  const counts = new Map();
  let dark = 0;
  for (let i = 0; i < d.length; i += 4) {
    const key = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    counts.set(key, (counts.get(key) || 0) + 1);
    if (d[i] + d[i + 1] + d[i + 2] < 200) dark++;
  }
  const top = Math.max(...counts.values());
  const total = d.length / 4;
  return {width: c.width, height: c.height, colors: counts.size, background: top / total, dark: dark / total};
})"""


async def image_stats(devtools: str, png: bytes) -> dict[str, float]:
    """Decode a screenshot in a blank tab: size, distinct colours, share of the main colour and of dark pixels."""
    tab = await Tab.open(devtools)
    try:
        src = "data:image/png;base64," + base64.b64encode(png).decode()
        stats: dict[str, float] = await tab.evaluate(f"{IMAGE_STATS}({json.dumps(src)})")
        return stats
    finally:
        await tab.close()
