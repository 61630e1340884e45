"""The room resolver as the fetcher uses it: the account's cookies go with every request to the site, and with page
signing its ``/webcast/`` calls (``web/enter``) run through the live site's own page (``site_page.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from services.douyin_fetcher.site_page import PageFetchTransport, SitePage
from shared.platforms.douyin.errors import UpstreamError
from shared.platforms.douyin.resolve import EnterAnswer, RoomResolver

__all__ = ["AccountResolver", "VerificationRequired"]

VERIFY_CODE = 10011  # web/enter's answer while the platform wants its verification (captcha) page done


class VerificationRequired(UpstreamError):
    code = "verification"


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

    async def enter(self, live_id: str, room_id: str = "") -> EnterAnswer:
        try:
            return await super().enter(live_id, room_id)
        except UpstreamError as exc:
            if f"status_code {VERIFY_CODE}" in str(exc):
                raise VerificationRequired(
                    "抖音要求验证（验证码中间页）：请在浏览器中打开直播间完成验证，稍后自动重试 (verification required)"
                ) from exc
            raise

    def _cookie(self) -> str:
        cookies = {"ttwid": self._ttwid, "__ac_nonce": self._nonce, **self._account_cookies}
        return "; ".join(f"{name}={value}" for name, value in cookies.items() if value)
