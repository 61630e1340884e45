"""The streamer's own Douyin login (issue #11): the account's cookies, kept owner-only under ``$TIMAO_HOME``.

Since 2026 Douyin sends gift messages only to logged-in viewers; the login session is the site's ``sessionid`` cookie
(docs/protocol/douyin.md). The account comes from a login in a browser window (``login.py``) or from a cookie string the
user imports; either way it is stored in ``$TIMAO_HOME/douyin/account.json`` (folder 0700, file 0600) and every room
reads it when it (re)connects. The browser profile of that login lives in ``$TIMAO_HOME/browser/douyin``; logging out
wipes both. The cookies are a credential: they are never logged and never leave the machine except to Douyin.

On the bus (commands to the fetcher, typed in ``shared/commands/douyin.py``): ``douyin.login`` starts a login in the
fetcher's browser (the fetcher owns the browser while the suite runs) and answers at once; ``douyin.logout`` empties
that browser's cookies before the account and the profile are removed; ``douyin.account_changed``
(sent after every login, logout and cookie import, no params) tells the fetcher to reconnect its running rooms, which
re-read the account with ``load_account`` as they connect.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from shared.platforms.douyin.constants import AID, USER_AGENT
from shared.platforms.douyin.errors import UpstreamError

__all__ = [
    "ACCOUNT_ENDPOINT",
    "ACCOUNT_PATH",
    "LOGIN_STATE_KEY",
    "PROFILE_PATH",
    "SESSION_COOKIE",
    "AccountSource",
    "DouyinAccount",
    "account_profile_dir",
    "account_view",
    "clear_account",
    "fetch_account_nickname",
    "import_cookie",
    "load_account",
    "parse_cookie_string",
    "read_account_answer",
    "save_account",
]

log = logging.getLogger(__name__)

SESSION_COOKIE = "sessionid"
# Redis key where the fetcher says how a login it runs goes: {"pending": bool, "error": str | None}.
LOGIN_STATE_KEY = "timao:douyin:login"
ACCOUNT_PATH = Path("douyin") / "account.json"  # under $TIMAO_HOME
PROFILE_PATH = Path("browser") / "douyin"  # under $TIMAO_HOME
ACCOUNT_ENDPOINT = "/webcast/user/me/"
NOT_LOGGED_IN_CODE = 20003
# A cookie string longer than this is not a cookie string (a browser's whole Cookie header, or a site's cookies.txt,
# stays far below). Small enough that even JSON-escaped (12 bytes a character) it fits the gateway's 1 MiB body limit,
# so a longer one is a validation error (422) rather than a refused body (413).
MAX_COOKIE_TEXT = 64 * 1024

AccountSource = Literal["browser", "cookie"]


@dataclass(frozen=True)
class DouyinAccount:
    """A Douyin login. ``cookies`` is kept out of ``repr`` so that a logged object never carries the session."""

    cookies: dict[str, str] = field(repr=False)
    nickname: str | None
    source: AccountSource
    user_id: str | None = None
    saved_at_ms: int = 0

    def cookie_header(self) -> str:
        """The ``Cookie`` header value for requests to the site (``a=b; c=d``)."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    @property
    def logged_in(self) -> bool:
        return bool(self.cookies.get(SESSION_COOKIE))


def _clean_pair(name: str, value: str) -> tuple[str, str] | None:
    name, value = name.strip(), value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not name or any(c in name for c in "=;, \t") or not name.isprintable():
        return None
    if any(c in value for c in ";\r\n") or not value.isprintable():
        return None  # would break (or inject into) the Cookie header
    return name, value


def _from_json(data: Any) -> dict[str, str]:
    if isinstance(data, dict) and isinstance(data.get("cookies"), list):
        data = data["cookies"]  # some extensions wrap the list
    if isinstance(data, dict):
        items = [(k, v) for k, v in data.items() if isinstance(v, str)]
        if len(items) != len(data):
            raise ValueError("JSON 格式的 Cookie 需要是 {名称: 值} 或 [{name, value}] 列表")
        pairs = items
    elif isinstance(data, list):
        pairs = []
        for item in data:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or "value" not in item:
                raise ValueError("JSON 格式的 Cookie 列表中每一项都需要 name 和 value（浏览器扩展导出的格式）")
            pairs.append((item["name"], str(item["value"])))
    else:
        raise ValueError("JSON 格式的 Cookie 需要是 {名称: 值} 或 [{name, value}] 列表")
    return _collect(pairs)


def _from_netscape(lines: list[str]) -> dict[str, str]:
    rows: list[tuple[str, str, str]] = []
    for line in lines:
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_") :]
        elif not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\r\n").split("\t")
        if len(parts) != 7:
            raise ValueError("Netscape cookies.txt 的每一行应有 7 个用 Tab 分隔的字段")
        rows.append((parts[0].lstrip(".").lower(), parts[5], parts[6]))
    # An export of a whole browser holds other sites' cookies too: those never go to Douyin.
    if any(domain.endswith("douyin.com") for domain, _, _ in rows):
        rows = [row for row in rows if row[0].endswith("douyin.com")]
    return _collect((name, value) for _, name, value in rows)


def _from_header(text: str) -> dict[str, str]:
    if text[:7].lower() == "cookie:":
        text = text[7:]
    pairs = []
    for part in text.replace("\r", ";").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError(f"无法识别的 Cookie 片段（缺少“=”）：{part.strip()[:20]}")
        name, value = part.split("=", 1)
        pairs.append((name, value))
    return _collect(pairs)


def _collect(pairs: Any) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for name, value in pairs:
        cleaned = _clean_pair(name, value)
        if cleaned is None:
            raise ValueError(f"Cookie 中有无效的名称或值：{str(name).strip()[:20]}")
        cookies[cleaned[0]] = cleaned[1]
    return cookies


def parse_cookie_string(text: str) -> dict[str, str]:
    """Cookies from what a user pastes or exports: ``a=b; c=d`` (a ``Cookie`` header, with or without its name),
    a Netscape ``cookies.txt``, or a JSON list of ``{name, value}`` as browser extensions export.

    Raises ``ValueError`` with a Chinese message for anything else (or for an empty result).
    """
    if len(text) > MAX_COOKIE_TEXT:
        raise ValueError("Cookie 内容过长，请只粘贴抖音网站的 Cookie")
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        raise ValueError("Cookie 为空，请粘贴抖音网站的 Cookie（例如 sessionid=...; ttwid=...）")
    if stripped[0] in "[{":
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Cookie 看起来是 JSON，但无法解析：第 {exc.lineno} 行") from None
        cookies = _from_json(data)
    else:
        lines = stripped.splitlines()
        netscape = any("\t" in line and not line.startswith("#") for line in lines) or lines[0].startswith("# Netscape")
        cookies = _from_netscape(lines) if netscape else _from_header(stripped)
    if not cookies:
        raise ValueError("没有找到任何 Cookie，请确认粘贴的是抖音网站的 Cookie")
    return cookies


def account_profile_dir(home: Path) -> Path:
    """The login's own browser profile, ``$TIMAO_HOME/browser/douyin`` (created owner-only)."""
    path = home / PROFILE_PATH
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.mkdir(mode=0o700, exist_ok=True)
    with contextlib.suppress(OSError):  # not ours to fix on a file system without modes
        os.chmod(path.parent, 0o700)
        os.chmod(path, 0o700)
    return path


def load_account(home: Path) -> DouyinAccount | None:
    """The saved account, or None when there is none. A damaged file counts as no account (and says so in the log,
    without its content): the user logs in again; nothing else depends on it."""
    path = home / ACCOUNT_PATH
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("douyin account file unreadable: %s", type(exc).__name__)
        return None
    try:
        data = json.loads(raw)
        cookies = data["cookies"]
        if not isinstance(cookies, dict) or not all(isinstance(v, str) for v in cookies.values()):
            raise TypeError("cookies")
        source = data.get("source")
        return DouyinAccount(
            cookies={str(k): v for k, v in cookies.items()},
            nickname=data.get("nickname") if isinstance(data.get("nickname"), str) else None,
            source=source if source in ("browser", "cookie") else "cookie",
            user_id=data.get("user_id") if isinstance(data.get("user_id"), str) else None,
            saved_at_ms=int(data.get("saved_at_ms") or 0),
        )
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("douyin account file damaged, treated as logged out: %s", type(exc).__name__)
        return None


def save_account(home: Path, account: DouyinAccount) -> DouyinAccount:
    """Write the account owner-only and atomically (a reader never sees half a file). Answers what was saved
    (``saved_at_ms`` set when it was 0)."""
    if not account.saved_at_ms:
        account = DouyinAccount(
            cookies=dict(account.cookies),
            nickname=account.nickname,
            source=account.source,
            user_id=account.user_id,
            saved_at_ms=int(time.time() * 1000),
        )
    path = home / ACCOUNT_PATH
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(".json.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(account), fh, ensure_ascii=False)
    tmp.replace(path)
    return account


def clear_account(home: Path, *, wipe_profile: bool = True) -> None:
    """Log out: remove the account file and wipe the login's browser profile. Idempotent.

    ``wipe_profile=False`` is for a browser still running on the profile: its cookies are emptied through the
    browser instead (removing the files under it would not log it out, and it would write them back).
    """
    with contextlib.suppress(FileNotFoundError):
        (home / ACCOUNT_PATH).unlink()
    if not wipe_profile:
        return
    profile = home / PROFILE_PATH
    if profile.exists():
        shutil.rmtree(profile, ignore_errors=True)
        if profile.exists():  # a file held open by a browser still running on it (Windows): say so, don't hide it
            raise OSError(f"无法删除浏览器资料目录 {profile}，请先关闭使用它的浏览器后重试")


async def fetch_account_nickname(
    live_url: str, cookies: dict[str, str], *, user_agent: str = USER_AGENT, timeout_s: float = 10.0
) -> tuple[bool, str | None, str | None]:
    """Ask the site who ``cookies`` belong to: ``(logged_in, nickname, user_id)``.

    ``(False, None, None)`` when the site says the session is not logged in (status 20003) or the cookies hold no
    session at all. Raises ``UpstreamError`` when the site cannot be asked (network, HTTP error, not JSON).
    """
    if not cookies.get(SESSION_COOKIE):
        return False, None, None
    url = f"{live_url.rstrip('/')}{ACCOUNT_ENDPOINT}"
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    headers = {"User-Agent": user_agent, "Cookie": header, "Referer": live_url.rstrip("/") + "/"}
    try:
        async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as client:
            resp = await client.get(url, params={"aid": AID}, headers=headers)
    except httpx.HTTPError as exc:
        raise UpstreamError(f"无法连接抖音账号接口：{type(exc).__name__}") from None
    if resp.status_code != 200:
        raise UpstreamError(f"抖音账号接口返回 HTTP {resp.status_code}")
    try:
        body = resp.json()
    except ValueError:
        raise UpstreamError("抖音账号接口的应答不是 JSON（可能需要验证或接口已变化）") from None
    answer = read_account_answer(body)
    if answer is None:
        raise UpstreamError("抖音账号接口的应答格式无法识别")
    return answer


def read_account_answer(body: Any) -> tuple[bool, str | None, str | None] | None:
    """``(logged_in, nickname, user_id)`` from the account endpoint's JSON; None when it is not that answer."""
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    data = data if isinstance(data, dict) else {}
    if body.get("status_code") != 0:
        return False, None, None
    nickname = data.get("nickname") if isinstance(data.get("nickname"), str) else None
    user_id = data.get("id_str") if isinstance(data.get("id_str"), str) else None
    return True, nickname or None, user_id or None


def account_view(account: DouyinAccount | None) -> dict[str, Any]:
    """What the API, the CLI and the UI show of an account: never its cookies."""
    if account is None or not account.logged_in:
        return {"logged_in": False, "nickname": None, "source": None, "user_id": None, "saved_at_ms": None}
    return {
        "logged_in": True,
        "nickname": account.nickname,
        "source": account.source,
        "user_id": account.user_id,
        "saved_at_ms": account.saved_at_ms,
    }


async def import_cookie(home: Path, live_url: str, text: str, *, user_agent: str = USER_AGENT) -> DouyinAccount:
    """Parse a pasted cookie string, check with the site that it holds a live login session, and save it.

    Raises ``ValueError`` (Chinese message) for text that is no cookie or a cookie without a live session, and
    ``UpstreamError`` when the site cannot be asked. Nothing is saved unless the site confirmed the login.
    """
    cookies = parse_cookie_string(text)
    if not cookies.get(SESSION_COOKIE):
        raise ValueError("Cookie 中没有 sessionid：这是未登录（游客）的 Cookie，请在登录抖音后再复制")
    logged_in, nickname, user_id = await fetch_account_nickname(live_url, cookies, user_agent=user_agent)
    if not logged_in:
        raise ValueError("抖音表示该 Cookie 未登录或登录已过期，请重新登录抖音后再复制 Cookie")
    account = DouyinAccount(cookies=cookies, nickname=nickname, source="cookie", user_id=user_id)
    return save_account(home, account)
