"""Login sessions of the fake Douyin server (docs/protocol/douyin.md §7.5): QR tokens a test "scans", and the
``sessionid`` cookies they turn into. A request is logged in when its Cookie header carries a session issued here
that has not been expired."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

__all__ = ["DEFAULT_NICKNAME", "QR_LIFETIME_S", "Account", "Sessions", "cookie_value"]

DEFAULT_NICKNAME = "测试主播小助手"
SESSION_MAX_AGE_S = 60 * 24 * 3600
QR_LIFETIME_S = 180.0  # the real QR code expires after a few minutes; the page then offers a new one


def cookie_value(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


@dataclass(frozen=True, slots=True)
class Account:
    user_id: str
    nickname: str
    sessionid: str
    uid_tt: str

    def set_cookies(self) -> list[str]:
        # No Domain and no Secure: a browser on http://127.0.0.1 keeps them (the real ones carry .douyin.com).
        # Persistent, as the real login's are (about 60 days): a browser profile keeps the login across restarts.
        return [
            f"sessionid={self.sessionid}; Path=/; Max-Age={SESSION_MAX_AGE_S}; HttpOnly",
            f"sessionid_ss={self.sessionid}; Path=/; Max-Age={SESSION_MAX_AGE_S}; HttpOnly",
            f"uid_tt={self.uid_tt}; Path=/; Max-Age={SESSION_MAX_AGE_S}; HttpOnly",
        ]

    def cookie_header(self) -> str:
        return f"sessionid={self.sessionid}; sessionid_ss={self.sessionid}; uid_tt={self.uid_tt}"


@dataclass(slots=True)
class _Qr:
    token: str
    created: float = field(default_factory=time.monotonic)
    account: Account | None = None  # set by a scan; the next poll hands out its cookies


class Sessions:
    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}  # sessionid → account
        self._qrs: dict[str, _Qr] = {}

    def issue(self, nickname: str | None = None) -> Account:
        account = Account(
            user_id=str(3_000_000_000 + secrets.randbelow(10**9)),
            nickname=nickname or DEFAULT_NICKNAME,
            sessionid=secrets.token_hex(16),
            uid_tt=secrets.token_hex(16),
        )
        self._accounts[account.sessionid] = account
        return account

    def account(self, cookie_header: str) -> Account | None:
        return self._accounts.get(cookie_value(cookie_header, "sessionid"))

    def expire_all(self) -> None:
        self._accounts.clear()

    # ------------------------------------------------------------ QR login

    def new_qr(self) -> str:
        now = time.monotonic()
        for token in [t for t, qr in self._qrs.items() if now - qr.created > QR_LIFETIME_S * 2]:
            del self._qrs[token]  # forgotten long after they expired: the table stays small
        token = secrets.token_hex(12)
        self._qrs[token] = _Qr(token)
        return token

    def scan(self, token: str | None, nickname: str | None) -> bool:
        """Confirm a QR (the newest one still pending when no token is named). False when there is none."""
        now = time.monotonic()
        pending = [qr for qr in self._qrs.values() if qr.account is None and now - qr.created <= QR_LIFETIME_S]
        if token:
            pending = [qr for qr in pending if qr.token == token]
        if not pending:
            return False
        max(pending, key=lambda qr: qr.created).account = self.issue(nickname)
        return True

    def poll(self, token: str) -> tuple[str, Account | None]:
        """The QR's state in the platform's codes: "1" waiting, "3" confirmed (with its account), "5" expired."""
        qr = self._qrs.get(token)
        if qr is None or (qr.account is None and time.monotonic() - qr.created > QR_LIFETIME_S):
            return "5", None
        if qr.account is None:
            return "1", None
        del self._qrs[token]  # a confirmed QR logs in once
        return "3", qr.account
