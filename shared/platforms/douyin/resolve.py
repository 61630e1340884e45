"""Room resolution (docs/protocol/douyin.md §1): live id → room id, live status, title, anchor and visitor id.

Any link a user has is first brought to a live id (§1.6, ``live_id_of``): a share link's redirect is read (never
followed into the app's hosts), a room id goes through the app-side room API, a profile page names the room of a
streamer who is live.

Steps: the ``ttwid`` cookie from the live site's front page, an ``__ac_nonce`` from the www site, then the room page
(its Next.js state is embedded as escaped JSON) and the ``web/enter`` API. Either source alone is enough to learn
the room id; ``web/enter`` is the authority on live / ended / not found. Base URLs come from settings so tests point
at the fake server. Every failure is a typed error from ``errors.py``.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import re
import secrets
import ssl
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from shared.platforms.douyin.constants import AID, APP_NAME, USER_AGENT
from shared.platforms.douyin.errors import (
    BadRoomInput,
    ChallengePage,
    DouyinError,
    EmptyAnswer,
    RiskControlPage,
    RoomNotFound,
    StreamerOffline,
    UpstreamError,
)
from shared.platforms.douyin.links import LIVE_ID, RefKind, RoomRef, parse_room_ref, ref_from_url
from shared.platforms.douyin.streams import RoomStreams, parse_streams

__all__ = [
    "Anchor",
    "EnterAnswer",
    "LiveStatus",
    "PageState",
    "ReflowAnswer",
    "Room",
    "RoomResolver",
    "parse_enter",
    "parse_live_id",
    "parse_profile_page",
    "parse_reflow",
    "parse_room_page",
]

log = logging.getLogger(__name__)

NOT_FOUND_CODE = 4001038
# A share link may redirect to another short link before the room; more hops than this is a loop or not a room.
MAX_LINK_HOPS = 4
_REDIRECTS = (301, 302, 303, 307, 308)


class LiveStatus(StrEnum):
    LIVE = "live"
    PREPARING = "preparing"
    PAUSED = "paused"
    ENDED = "ended"
    UNKNOWN = "unknown"


_ROOM_STATUS = {1: LiveStatus.PREPARING, 2: LiveStatus.LIVE, 3: LiveStatus.PAUSED, 4: LiveStatus.ENDED}


@dataclass(slots=True, frozen=True)
class Anchor:
    id: str = ""
    nickname: str = ""
    sec_uid: str = ""


@dataclass(slots=True, frozen=True)
class PageState:
    """What the room page tells. ``status`` is the room's numeric status (2 live, 4 ended) or None if absent."""

    room_id: str
    status: int | None = None
    title: str = ""
    anchor: Anchor | None = None
    user_unique_id: str = ""
    web_rid: str = ""

    @property
    def live_status(self) -> LiveStatus:
        return _ROOM_STATUS.get(self.status or 0, LiveStatus.UNKNOWN)


@dataclass(slots=True, frozen=True)
class EnterAnswer:
    """The ``web/enter`` answer for a room that exists."""

    live_id: str
    room_id: str
    status: LiveStatus
    room_status: int
    title: str = ""
    anchor: Anchor | None = None
    user_count: str = ""
    body: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def streams(self) -> RoomStreams:
        return parse_streams(self.body)


@dataclass(slots=True, frozen=True)
class ReflowAnswer:
    """The app-side room API's answer (``/webcast/room/reflow/info/``): a room id's live id and state."""

    room_id: str
    web_rid: str
    status: LiveStatus
    title: str = ""
    anchor: Anchor | None = None


@dataclass(slots=True, frozen=True)
class Room:
    live_id: str
    room_id: str
    status: LiveStatus
    user_unique_id: str
    title: str = ""
    anchor: Anchor | None = None
    ttwid: str = ""
    enter: EnterAnswer | None = None


# ---------------------------------------------------------------- pure parsing


def parse_live_id(text: str) -> str:
    """A live id (web_rid) from text that names it without a request: a number, a ``live.douyin.com`` or
    ``www.douyin.com`` live URL, possibly inside other text. Raises BadRoomInput, also for a link that needs a
    request first (share text, profile URL, room id): ``RoomResolver.live_id_of`` takes those."""
    ref = parse_room_ref(text)
    if ref.kind is not RefKind.WEB_RID:
        raise BadRoomInput(
            f"这个链接需要先联网解析才能得到直播间号 ({ref.kind.value} link: resolve it with RoomResolver.live_id_of)"
        )
    return ref.value


_PACE_CHUNK = re.compile(r'self\.__pace_f\.push\(\[1,"((?:[^"\\]|\\.)*)"\]\)')
_FALLBACK_ROOM_ID = (
    re.compile(r'\\"roomId\\":\\"(\d+)\\"'),
    re.compile(r"&quot;roomId&quot;:&quot;(\d+)&quot;"),
    re.compile(r'"roomId":"(\d+)"'),
    re.compile(r'\\"room\\":\{\\"id_str\\":\\"(\d+)\\"'),
)
_FALLBACK_STATUS = re.compile(r'\\"room\\":\{\\"id_str\\":\\"\d+\\",\\"status\\":(\d+)')
_USER_UNIQUE_ID = re.compile(r'user_unique_id\\?"?:\\?"(\d+)')
_ENDED_ROOM = re.compile(r"gift_effect_bg_(\d+)")


def _anchor(obj: Any) -> Anchor | None:
    if not isinstance(obj, Mapping):
        return None
    return Anchor(str(obj.get("id_str", "")), str(obj.get("nickname", "")), str(obj.get("sec_uid", "")))


def _room_store(html: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    for chunk in _PACE_CHUNK.findall(html):
        if '\\"roomStore\\":{\\"roomInfo\\":{\\"room\\"' not in chunk:
            continue
        try:
            text = json.loads(f'"{chunk}"')
            start = text.index('"roomStore":') + len('"roomStore":')
            store, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(store, dict):
            return store
    return None


def parse_room_page(html: str) -> PageState:
    """Room id, status, title, anchor and visitor id from a room page. Raises RiskControlPage when it has no state."""
    uuid_match = _USER_UNIQUE_ID.search(html)
    user_unique_id = uuid_match.group(1) if uuid_match else ""
    store = _room_store(html)
    if store is not None:
        info = store.get("roomInfo") or {}
        room = info.get("room") or {}
        room_id = str(info.get("roomId") or room.get("id_str") or "")
        if room_id.isdigit():
            status = room.get("status")
            return PageState(
                room_id=room_id,
                status=int(status) if isinstance(status, int) else None,
                title=str(room.get("title", "")),
                anchor=_anchor(info.get("anchor") or room.get("owner")),
                user_unique_id=user_unique_id,
                web_rid=str(info.get("web_rid", "")),
            )
    for pattern in _FALLBACK_ROOM_ID:
        match = pattern.search(html)
        if match:
            status_match = _FALLBACK_STATUS.search(html)
            status = int(status_match.group(1)) if status_match else None
            if status is None and "直播已结束" in html:
                status = 4
            return PageState(room_id=match.group(1), status=status, user_unique_id=user_unique_id)
    ended = _ENDED_ROOM.search(html)
    if ended:
        return PageState(room_id=ended.group(1), status=4, user_unique_id=user_unique_id)
    raise RiskControlPage(f"直播间页面没有房间信息（可能触发了风控）(room page without state, {len(html)} bytes)")


def _load_json(body: bytes | str | Mapping[str, Any], what: str = "web/enter") -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    if not body or not body.strip():
        raise EmptyAnswer(f"{what} 返回空内容（缺少 ttwid 或签名失败）(empty answer)")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise UpstreamError(f"{what} 返回的不是 JSON (not JSON): {str(body)[:120]!r}") from exc
    if not isinstance(data, Mapping):
        raise UpstreamError(f"{what} 返回了意外的结构 (unexpected shape)")
    return data


def parse_enter(body: bytes | str | Mapping[str, Any], live_id: str) -> EnterAnswer:
    """Parse a ``web/enter`` answer. Raises EmptyAnswer, RoomNotFound or UpstreamError; every field is optional."""
    data = _load_json(body)
    code = data.get("status_code")
    if code == NOT_FOUND_CODE:
        raise RoomNotFound(f"直播间 {live_id} 不存在 (room not found, status_code {code})")
    if code not in (0, None):
        raise UpstreamError(f"web/enter status_code {code}: {str(data.get('data'))[:120]}")
    inner = data.get("data")
    if not isinstance(inner, Mapping):
        raise UpstreamError("web/enter 缺少 data (no data)")
    rooms = inner.get("data")
    room = rooms[0] if isinstance(rooms, list) and rooms and isinstance(rooms[0], Mapping) else {}
    room_status = inner.get("room_status")
    room_status = room_status if isinstance(room_status, int) else -1
    status_value = room.get("status")
    status = _ROOM_STATUS.get(status_value if isinstance(status_value, int) else 0, LiveStatus.UNKNOWN)
    if status is LiveStatus.UNKNOWN:
        status = {0: LiveStatus.LIVE, 2: LiveStatus.ENDED}.get(room_status, LiveStatus.UNKNOWN)
    room_id = str(room.get("id_str") or inner.get("enter_room_id") or "")
    if not room_id and status is LiveStatus.UNKNOWN:
        raise RoomNotFound(f"直播间 {live_id} 不存在 (answer names no room)")
    return EnterAnswer(
        live_id=live_id,
        room_id=room_id,
        status=status,
        room_status=room_status,
        title=str(room.get("title", "")),
        anchor=_anchor(inner.get("user") or room.get("owner")),
        user_count=str(room.get("user_count_str", "")),
        body=data,
    )


def parse_reflow(body: bytes | str | Mapping[str, Any], room_id: str) -> ReflowAnswer:
    """Parse the app-side room API's answer: the room's owner carries the web_rid (§1.6).

    Raises RoomNotFound when the answer names no room or the room has no web live id, UpstreamError otherwise."""
    data = _load_json(body, "reflow/info")
    code = data.get("status_code")
    inner = data.get("data")
    if code not in (0, None):
        prompt = inner.get("prompts", "") if isinstance(inner, Mapping) else ""
        if code == NOT_FOUND_CODE:
            raise RoomNotFound(f"直播间 {room_id} 不存在或分享已失效 ({str(prompt)[:80]}, status_code {code})")
        raise UpstreamError(f"reflow/info status_code {code}: {str(prompt)[:120]}")
    room = inner.get("room") if isinstance(inner, Mapping) else None
    if not isinstance(room, Mapping) or not str(room.get("id_str") or room.get("id") or "").strip("0"):
        raise RoomNotFound(f"直播间 {room_id} 不存在或分享已失效 (the room API knows no room {room_id})")
    owner = room.get("owner")
    owner = owner if isinstance(owner, Mapping) else {}
    web_rid = str(owner.get("web_rid") or room.get("web_rid") or "")
    if not LIVE_ID.fullmatch(web_rid):
        raise RoomNotFound(f"直播间 {room_id} 没有网页直播间号 (no web_rid in the room API's answer)")
    status = room.get("status")
    return ReflowAnswer(
        room_id=str(room.get("id_str") or room.get("id")),
        web_rid=web_rid,
        status=_ROOM_STATUS.get(status if isinstance(status, int) else 0, LiveStatus.UNKNOWN),
        title=str(room.get("title", "")),
        anchor=_anchor(owner),
    )


# A profile page names its owner's room only while they are live, in its embedded state (escaped JSON) and as a
# link to the live site (§1.6). A live id wins over a room id: it needs no further request.
_PROFILE_WEB_RID = (
    re.compile(r'\\*"(?:web_rid|webRid)\\*"\s*:\s*\\*"(\d{6,20})\\*"'),
    re.compile(r"live\.douyin\.com/(\d{6,20})"),
)
_PROFILE_ROOM_ID = re.compile(r'\\*"(?:room_id_str|roomIdStr|roomId|room_id)\\*"\s*:\s*\\*"?(\d{16,20})')
# The page's own word that its owner is not live (``liveStatus`` 0) wins over any id it may still carry.
_PROFILE_NOT_LIVE = re.compile(r'\\*"(?:liveStatus|live_status)\\*"\s*:\s*0\s*[,}]')


def parse_profile_page(html: str) -> RoomRef | None:
    """The live room a streamer's profile page names, or None when it names none (the streamer is not live)."""
    if _PROFILE_NOT_LIVE.search(html):
        return None
    for pattern in _PROFILE_WEB_RID:
        match = pattern.search(html)
        if match:
            return RoomRef(RefKind.WEB_RID, match.group(1))
    match = _PROFILE_ROOM_ID.search(html)
    return RoomRef(RefKind.ROOM_ID, match.group(1)) if match else None


def _has_profile_state(html: str) -> bool:
    return "__pace_f" in html or "secUid" in html or "sec_uid" in html


def _without_query(url: str) -> str:
    # Share redirects carry device ids in their query: logs and errors show the host and path only.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else url[:80]


# ---------------------------------------------------------------- HTTP


def _cookies_from(response: httpx.Response) -> dict[str, str]:
    # Parsed by hand: the real cookies carry Domain=.douyin.com, which a jar would refuse for a test host.
    found: dict[str, str] = {}
    for line in response.headers.get_list("set-cookie"):
        name, _, value = line.split(";", 1)[0].partition("=")
        if name.strip() and value.strip():
            found[name.strip()] = value.strip()
    return found


def _random_token(length: int) -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def random_user_unique_id() -> str:
    return str(random.randint(7_300_000_000_000_000_000, 7_999_999_999_999_999_999))


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every room's HTTP client: building one loads the CA bundle (~10 ms of CPU), which a
    worker starting or adopting hundreds of rooms would otherwise pay twice per room (bench/rooms_per_worker_bench.py
    found it the top cost of a start). A context is safe to share between clients."""
    return httpx.create_ssl_context()


class RoomResolver:
    """Resolves rooms over HTTP. Owns its httpx client unless one is passed in (then the caller closes it)."""

    def __init__(
        self,
        live_url: str = "https://live.douyin.com",
        www_url: str = "https://www.douyin.com",
        *,
        share_url: str = "https://v.douyin.com",
        reflow_url: str = "https://webcast.amemv.com",
        client: httpx.AsyncClient | None = None,
        user_agent: str = USER_AGENT,
        timeout: float = 10.0,
    ) -> None:
        self.live_url = live_url.rstrip("/")
        self.www_url = www_url.rstrip("/")
        self.share_url = share_url.rstrip("/")
        self.reflow_url = reflow_url.rstrip("/")
        self.user_agent = user_agent
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout, follow_redirects=True, verify=tls_context())
        self._ttwid = ""
        self._nonce = ""

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> RoomResolver:
        kwargs.setdefault("share_url", getattr(settings, "douyin_share_url", "https://v.douyin.com"))
        kwargs.setdefault("reflow_url", getattr(settings, "douyin_reflow_url", "https://webcast.amemv.com"))
        return cls(settings.douyin_live_url, settings.douyin_www_url, **kwargs)

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def __aenter__(self) -> RoomResolver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def invalidate(self) -> None:
        """Forget cookies (after an empty answer or a block) so the next call fetches fresh ones."""
        self._ttwid = ""
        self._nonce = ""

    async def _get(self, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"User-Agent": self.user_agent, **kwargs.pop("headers", {})}
        try:
            return await self._client.get(url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise UpstreamError(f"GET {url} failed: {exc!r}") from exc

    async def ttwid(self) -> str:
        if not self._ttwid:
            response = await self._get(f"{self.live_url}/")
            self._ttwid = _cookies_from(response).get("ttwid", "")
            if not self._ttwid:
                raise EmptyAnswer(
                    f"{self.live_url}/ 没有下发 ttwid cookie (no ttwid cookie, HTTP {response.status_code})"
                )
        return self._ttwid

    async def ac_nonce(self) -> str:
        if not self._nonce:
            try:
                response = await self._get(f"{self.www_url}/")
                self._nonce = _cookies_from(response).get("__ac_nonce", "")
            except UpstreamError as exc:
                log.info("no __ac_nonce from %s (%s); a random one is used", self.www_url, exc)
            # Any plausible nonce is accepted by the room page; a random one keeps us going.
            self._nonce = self._nonce or secrets.token_hex(11)[:21]
        return self._nonce

    def _cookie(self) -> str:
        return f"ttwid={self._ttwid}; __ac_nonce={self._nonce}"

    async def room_page(self, live_id: str) -> PageState:
        """The room page's state. Raises ChallengePage, RiskControlPage or UpstreamError."""
        await self.ttwid()
        await self.ac_nonce()
        url = f"{self.live_url}/{live_id}"
        for attempt in range(2):
            response = await self._get(url, headers={"Cookie": self._cookie(), "Referer": f"{self.live_url}/"})
            if response.status_code == 404:
                raise RoomNotFound(f"直播间 {live_id} 不存在 (HTTP 404)")
            if response.status_code != 200:
                raise UpstreamError(f"GET {url}: HTTP {response.status_code}")
            try:
                return parse_room_page(response.text)
            except RiskControlPage:
                nonce = _cookies_from(response).get("__ac_nonce")
                if not nonce:
                    raise
                if attempt:
                    raise ChallengePage(
                        f"room={live_id} 反爬验证页反复出现 (challenge page again after the nonce)"
                    ) from None
                log.info("room=%s challenge page, retrying with its __ac_nonce", live_id)
                self._nonce = nonce
        raise ChallengePage(f"room={live_id} challenge page")  # pragma: no cover - loop always returns or raises

    async def enter(self, live_id: str, room_id: str = "") -> EnterAnswer:
        """The ``web/enter`` answer. Raises EmptyAnswer, RoomNotFound or UpstreamError."""
        await self.ttwid()
        await self.ac_nonce()
        params = {
            "aid": AID,
            "app_name": APP_NAME,
            "live_id": "1",
            "device_platform": "web",
            "language": "zh-CN",
            "enter_from": "web_live",
            "cookie_enabled": "true",
            "screen_width": "1920",
            "screen_height": "1080",
            "browser_language": "zh-CN",
            "browser_platform": "Win32",
            "browser_name": "Chrome",
            "browser_version": "134.0.0.0",
            "web_rid": live_id,
            "room_id_str": room_id,
            "enter_source": "",
            "is_need_double_stream": "false",
            "msToken": _random_token(107),
        }
        response = await self._get(
            f"{self.live_url}/webcast/room/web/enter/",
            params=params,
            headers={"Cookie": self._cookie(), "Referer": f"{self.live_url}/{live_id}"},
        )
        if response.status_code != 200:
            raise UpstreamError(f"web/enter HTTP {response.status_code}")
        try:
            return parse_enter(response.content, live_id)
        except EmptyAnswer:
            self.invalidate()
            raise

    # -------------------------------------------------------------- links (§1.6)

    async def live_id_of(self, text: str) -> str:
        """The live id (web_rid) that pasted text names: a live id or room URL at once; a share link through its
        redirect, a room id through the app-side room API, a profile URL through the profile page.

        Raises BadRoomInput, RoomNotFound, StreamerOffline (a profile of a streamer who is not live) or the
        transport's errors (UpstreamError, EmptyAnswer)."""
        ref = parse_room_ref(text)
        from_profile = False  # a room a profile names must be live now: the streamer is who the user wants
        seen: set[RoomRef] = set()
        for _ in range(MAX_LINK_HOPS):
            if ref.kind is RefKind.WEB_RID:
                return ref.value
            if ref.kind is RefKind.ROOM_ID:
                answer = await self.reflow(ref.value, ref.sec_uid)
                if from_profile and answer.status is not LiveStatus.LIVE:
                    raise StreamerOffline("主播当前未开播 (the streamer is not live)")
                log.info("room id %s → live id %s (%s)", ref.value, answer.web_rid, answer.status.value)
                return answer.web_rid
            if ref in seen:
                break
            seen.add(ref)
            from_profile = from_profile or ref.kind is RefKind.PROFILE
            ref = await (self.profile_room(ref.value) if ref.kind is RefKind.PROFILE else self.share_target(ref.value))
        raise BadRoomInput("分享链接反复跳转，没有到达直播间 (the share link loops or never reaches a room)")

    async def share_target(self, code: str) -> RoomRef:
        """Where a short link leads: its redirect's ``Location``, read but never followed (the app's hosts may
        not answer a desktop client). Raises RoomNotFound (unknown or expired code) or BadRoomInput (not a room)."""
        url = f"{self.share_url}/{code}/"
        response = await self._get(url, follow_redirects=False)
        if response.status_code == 404:
            raise RoomNotFound(f"分享链接无效或已过期: v.douyin.com/{code}/ (share link not found)")
        if response.status_code not in _REDIRECTS:
            if response.status_code == 200:
                raise BadRoomInput(f"分享链接没有指向直播间: v.douyin.com/{code}/ (no redirect)")
            raise UpstreamError(f"GET {url}: HTTP {response.status_code}")
        location = response.headers.get("location", "").strip()
        target = urljoin(f"https://v.douyin.com/{code}/", location) if location else ""
        ref = ref_from_url(target) if target else None
        if ref is None:
            raise BadRoomInput(f"分享链接指向的不是直播间: {_without_query(target)!r} (the share link leads elsewhere)")
        log.info("share link %s → %s (%s)", code, _without_query(target), ref.kind.value)
        return ref

    async def reflow(self, room_id: str, sec_uid: str = "") -> ReflowAnswer:
        """The app-side room API for a room id (§1.6). Raises RoomNotFound or UpstreamError."""
        try:
            await self.ttwid()  # sent as the page sends it; the API answers without it too
        except DouyinError as exc:
            log.info("no ttwid for the room API (%s); asking without it", exc)
        params = {
            "type_id": "0",
            "live_id": "1",
            "room_id": room_id,
            "sec_user_id": sec_uid,
            "version_code": "99.99.99",
            "app_id": AID,
        }
        headers = {"Referer": self.live_url}
        if self._ttwid:
            headers["Cookie"] = f"ttwid={self._ttwid}"
        response = await self._get(f"{self.reflow_url}/webcast/room/reflow/info/", params=params, headers=headers)
        if response.status_code == 404:
            raise RoomNotFound(f"直播间 {room_id} 不存在 (room API: HTTP 404)")
        if response.status_code != 200:
            raise UpstreamError(f"reflow/info HTTP {response.status_code}")
        return parse_reflow(response.content, room_id)

    async def profile_room(self, sec_uid: str) -> RoomRef:
        """The room a streamer's profile page names. Raises StreamerOffline when it names none, RoomNotFound for
        an unknown profile, ChallengePage when the site keeps answering with its anti-bot page."""
        await self.ac_nonce()
        url = f"{self.www_url}/user/{sec_uid}"
        for attempt in range(2):
            cookie = f"__ac_nonce={self._nonce}" + (f"; ttwid={self._ttwid}" if self._ttwid else "")
            response = await self._get(url, headers={"Cookie": cookie, "Referer": f"{self.www_url}/"})
            if response.status_code == 404:
                raise RoomNotFound(f"主播主页不存在 (profile not found): {sec_uid[:40]}")
            if response.status_code != 200:
                raise UpstreamError(f"GET {self.www_url}/user/…: HTTP {response.status_code}")
            ref = parse_profile_page(response.text)
            if ref is not None:
                log.info("profile %s… → %s %s", sec_uid[:12], ref.kind.value, ref.value)
                return ref
            nonce = _cookies_from(response).get("__ac_nonce")
            # A page with the profile's state is the answer (not live); only a page without it may be the anti-bot
            # page, which sets a nonce to ask again with.
            if not nonce or nonce == self._nonce or _has_profile_state(response.text):
                break
            if attempt:
                raise ChallengePage("主播主页反复出现验证页 (challenge page again after the nonce)")
            self._nonce = nonce  # the anti-bot page set a nonce: ask once more with it
        raise StreamerOffline("主播当前未开播 (the streamer is not live: the profile page names no room)")

    async def resolve(self, live_id: str) -> Room:
        """Everything a room client needs. The room may be live or not: check ``Room.status``.

        Raises RoomNotFound, or the page's / API's error when neither source could name the room.
        """
        live_id = await self.live_id_of(live_id)
        page: PageState | None = None
        page_error: Exception | None = None
        try:
            page = await self.room_page(live_id)
        except (RiskControlPage, ChallengePage, UpstreamError) as exc:
            page_error = exc
            log.warning("room=%s room page unusable (%s); relying on web/enter", live_id, exc)
        enter: EnterAnswer | None = None
        try:
            enter = await self.enter(live_id, page.room_id if page else "")
        except (EmptyAnswer, UpstreamError) as exc:
            if page is None:
                raise exc from page_error
            log.warning("room=%s web/enter unusable (%s); relying on the room page", live_id, exc)
        room_id = (enter.room_id if enter else "") or (page.room_id if page else "")
        status = enter.status if enter else (page.live_status if page else LiveStatus.UNKNOWN)
        anchor = (enter.anchor if enter else None) or (page.anchor if page else None)
        title = (enter.title if enter else "") or (page.title if page else "")
        uuid = (page.user_unique_id if page else "") or random_user_unique_id()
        return Room(live_id, room_id, status, uuid, title, anchor, self._ttwid, enter)

    async def check_status(self, live_id: str) -> LiveStatus:
        """Live status from ``web/enter`` only (cheap; used before each reconnect)."""
        return (await self.enter(live_id)).status
