"""The live site's own page as signer and HTTP client (docs/protocol/douyin.md: signing by the page).

One hidden page of the live site per worker. The push URL's ``signature`` comes from the page's own
``window.byted_acrawler.frontierSign({"X-MS-STUB": md5})``, and the live API's requests (``web/enter``) run through the
page's own ``fetch``, so the platform's SDK adds ``a_bogus`` and the browser sends its own cookies (the login). The
product ships none of that code: it asks the page. ``PageFetchTransport`` plugs the page into the resolver's httpx
client for ``/webcast/`` URLs only; everything else goes out as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from shared.browser import BrowserNotFound, BrowserOwner, BrowserStartError
from shared.cdp import CDPError, Page
from shared.platforms.douyin.errors import SignatureError

__all__ = ["PageFetchTransport", "SitePage"]

log = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 20.0
CALL_TIMEOUT_S = 15.0

_SIGN = """stub => {
  const sdk = window.byted_acrawler;
  if (!sdk || typeof sdk.frontierSign !== "function") return null;
  const out = sdk.frontierSign({"X-MS-STUB": stub});
  return out && (out["X-Bogus"] || out["x-bogus"] || null);
}"""
_FETCH = """async url => {
  const r = await fetch(url, {credentials: "include"});
  return [r.status, await r.text()];
}"""
_READY = "!!(window.byted_acrawler && typeof window.byted_acrawler.frontierSign === 'function')"

Prepare = Callable[[BrowserOwner], Awaitable[None]]


class SitePage:
    """Signs with and fetches through one hidden page of the live site (reopened when it or the browser dies)."""

    name = "page"

    def __init__(self, owner: BrowserOwner, live_url: str, *, prepare: Prepare | None = None) -> None:
        self.owner = owner
        self.live_url = live_url.rstrip("/")
        self._prepare = prepare
        self._page: Page | None = None
        self._lock = asyncio.Lock()
        self.signatures = 0
        self.fetches = 0

    async def _ready_page(self) -> Page:
        async with self._lock:
            if self._page is not None and not self._page.is_closed() and self.owner.running:
                return self._page
            if self._page is not None and not self._page.is_closed():
                await self._page.close()
            page = await self.owner.new_page()
            try:
                if self._prepare is not None:
                    await self._prepare(self.owner)
                await page.goto(f"{self.live_url}/", wait_until="domcontentloaded", timeout=OPEN_TIMEOUT_S)
                await page.wait_for_function(_READY, timeout=OPEN_TIMEOUT_S)
            except BaseException:
                await page.close()
                raise
            self._page = page
            log.info("signing page open on %s", self.live_url)
            return page

    async def _call(self, script: str, arg: Any) -> Any:
        try:
            page = await self._ready_page()
            return await asyncio.wait_for(page.evaluate(script, arg, timeout=CALL_TIMEOUT_S), CALL_TIMEOUT_S)
        except BrowserNotFound:
            raise
        except (CDPError, BrowserStartError, TimeoutError, RuntimeError) as exc:
            broken, self._page = self._page, None  # opened afresh next time
            if broken is not None:
                await broken.close()
            raise SignatureError(f"直播页面不可用 (the site's page failed): {str(exc).splitlines()[0][:200]}") from exc

    async def sign(self, stub: str) -> str | None:
        """The push URL's signature from the page's own signing function. Raises SignatureError."""
        try:
            value = await self._call(_SIGN, stub)
        except BrowserNotFound as exc:
            raise SignatureError(str(exc)) from exc
        if not isinstance(value, str) or not value:
            raise SignatureError("直播页面没有提供签名函数 (the page has no frontierSign)")
        self.signatures += 1
        return value

    async def fetch(self, url: str) -> tuple[int, bytes]:
        """GET ``url`` with the page's own fetch (same origin as the live site): its SDK signs, its cookies go."""
        result = await self._call(_FETCH, url)
        self.fetches += 1
        status, text = result
        return int(status), str(text).encode("utf-8")

    async def close(self) -> None:
        page, self._page = self._page, None
        if page is not None and not page.is_closed():
            try:
                await page.close()
            except Exception as exc:  # the browser may be gone already
                log.debug("signing page close: %s", exc)


class PageFetchTransport(httpx.AsyncBaseTransport):
    """httpx transport: GETs of the live site's ``/webcast/`` API through the page; the rest over the network."""

    def __init__(self, site: SitePage, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.site = site
        self._origin = urlsplit(site.live_url)[:2]
        self._inner = inner or httpx.AsyncHTTPTransport()

    def _through_page(self, request: httpx.Request) -> bool:
        url = urlsplit(str(request.url))
        return request.method == "GET" and url[:2] == self._origin and url.path.startswith("/webcast/")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self._through_page(request):
            return await self._inner.handle_async_request(request)
        try:
            status, body = await self.site.fetch(str(request.url))
        except (SignatureError, BrowserNotFound) as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        return httpx.Response(status, content=body, request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()
