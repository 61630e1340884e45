"""The room resolver as the fetcher uses it: the account's cookies go with every request to the site, and with page
signing its ``/webcast/`` calls (``web/enter``) run through the live site's own page (``site_page.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from services.douyin_fetcher.site_page import PageFetchTransport, SitePage
from shared.platforms.douyin.resolve import RoomResolver

__all__ = ["AccountResolver"]


class AccountResolver(RoomResolver):
    def __init__(self, *args: Any, site: SitePage | None = None, timeout: float = 10.0, **kwargs: Any) -> None:
        client = None
        if site is not None:
            client = httpx.AsyncClient(transport=PageFetchTransport(site), timeout=timeout, follow_redirects=True)
        super().__init__(*args, client=client, timeout=timeout, **kwargs)
        self._own_client = True  # ours either way: it is closed with the room
        self._account_cookies: dict[str, str] = {}

    def set_account_cookies(self, cookies: Mapping[str, str]) -> None:
        """The login's cookies for the next requests (empty: a guest)."""
        self._account_cookies = dict(cookies)

    def _cookie(self) -> str:
        cookies = {"ttwid": self._ttwid, "__ac_nonce": self._nonce, **self._account_cookies}
        return "; ".join(f"{name}={value}" for name, value in cookies.items() if value)
