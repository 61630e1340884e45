"""Room links (docs/protocol/douyin.md §1.6): what a user pastes → which room it names, without any request.

A user may paste a live id, a ``live.douyin.com`` URL, the share text the phone app copies (a ``v.douyin.com`` short
link inside Chinese text), a ``www.douyin.com`` live URL, an app-side reflow link, or a streamer's profile URL.
``parse_room_ref`` finds the link in any surrounding text and says what it names; the resolver (``resolve.py``)
follows the kinds that need a request. Hosts only classify a link: requests always go to the configured base URLs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

from shared.platforms.douyin.errors import BadRoomInput

__all__ = ["LIVE_ID", "RefKind", "RoomRef", "find_links", "parse_room_ref", "ref_from_url"]

LIVE_ID = re.compile(r"\d{6,20}")
# A web_rid (live id) has 11-12 digits; a room id (one broadcast) has 19. Where a link may carry either, the length
# tells them apart.
_ROOM_ID_MIN_DIGITS = 16
_SHARE_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SEC_UID = re.compile(r"[A-Za-z0-9_.-]{6,200}")
# URL characters are ASCII, so a link ends where the Chinese text around it starts.
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
_BARE_URL = re.compile(
    r"(?<![A-Za-z0-9.@/-])(?:[A-Za-z0-9-]+\.)*(?:douyin\.com|iesdouyin\.com|amemv\.com)"
    r"(?:/[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*)?",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\")]}"
_WWW_HOSTS = frozenset({"www.douyin.com", "douyin.com", "m.douyin.com"})
_IES_HOSTS = frozenset({"www.iesdouyin.com", "iesdouyin.com", "m.iesdouyin.com"})
_HINT = (
    "请输入直播间号（如 148108118778）、直播间链接（如 https://live.douyin.com/148108118778）、"
    "抖音 App 复制的分享口令（含 https://v.douyin.com/… 链接）或正在直播的主播主页链接"
    " (expected a room id, a room URL, a v.douyin.com share text or a streamer's profile URL)"
)


class RefKind(StrEnum):
    WEB_RID = "web_rid"  # the streamer's live id: what the rest of the suite watches
    ROOM_ID = "room_id"  # one broadcast's internal id: the app-side room API names its web_rid
    SHARE = "share"  # a short-link code: its redirect says where it leads
    PROFILE = "profile"  # a streamer's sec_uid: the profile page names the room while they are live


@dataclass(frozen=True, slots=True)
class RoomRef:
    kind: RefKind
    value: str
    sec_uid: str = ""  # the owner's, when a reflow link carries it (the room API takes it along)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:80] + "…")


def find_links(text: str) -> list[str]:
    """Every URL in ``text`` (with a scheme first, then bare Douyin hosts), trailing punctuation removed."""
    found = [m.group(0).rstrip(_TRAILING) for m in _URL.finditer(text)]
    found += [m.group(0).rstrip(_TRAILING) for m in _BARE_URL.finditer(text)]
    return [url for url in found if url]


def _by_length(value: str) -> RoomRef:
    kind = RefKind.ROOM_ID if len(value) >= _ROOM_ID_MIN_DIGITS else RefKind.WEB_RID
    return RoomRef(kind, value)


def _from_query(query: dict[str, str], keys: tuple[str, ...]) -> RoomRef | None:
    for key in keys:
        value = query.get(key, "")
        if LIVE_ID.fullmatch(value):
            return RoomRef(RefKind.ROOM_ID, value) if key == "room_id" else _by_length(value)
    return None


def ref_from_url(url: str) -> RoomRef | None:
    """The room a Douyin URL names, or None when it names none (a video, a search page, another site)."""
    candidate = url if "://" in url else f"https://{url}"
    try:
        parts = urlsplit(candidate)
        host = (parts.hostname or "").lower()
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return None
    # user@host is how a link disguises its real host: never a room.
    if parts.scheme.lower() not in ("http", "https") or parts.username is not None:
        return None
    segs = [s for s in parts.path.split("/") if s]
    query = dict(parse_qsl(parts.query))
    if host == "live.douyin.com":
        if segs and LIVE_ID.fullmatch(segs[0]):
            return RoomRef(RefKind.WEB_RID, segs[0])
        return _from_query(query, ("live_web_rid", "web_rid"))
    if host == "v.douyin.com":
        return RoomRef(RefKind.SHARE, segs[0]) if segs and _SHARE_CODE.fullmatch(segs[0]) else None
    if host in _WWW_HOSTS:
        if len(segs) >= 2 and segs[0] == "user" and _SEC_UID.fullmatch(segs[1]):
            return RoomRef(RefKind.PROFILE, segs[1])
        live = ""
        if len(segs) >= 3 and segs[0] in ("root", "follow") and segs[1] == "live":
            live = segs[2]  # /root/live/<id>, /follow/live/<id>
        elif len(segs) >= 2 and segs[0] == "live":
            live = segs[1]
        elif len(segs) == 1:
            live = segs[0]  # www.douyin.com/<id>
        if LIVE_ID.fullmatch(live):
            return _by_length(live)
        return _from_query(query, ("live_id", "web_rid", "live_web_rid", "room_id"))
    if host in _IES_HOSTS:
        if len(segs) >= 3 and segs[:2] == ["share", "user"] and _SEC_UID.fullmatch(segs[2]):
            return RoomRef(RefKind.PROFILE, segs[2])
        return None
    if host == "webcast.amemv.com":
        sec_uid = query.get("sec_user_id", "")
        sec_uid = sec_uid if _SEC_UID.fullmatch(sec_uid) else ""
        if "reflow" in segs:  # /douyin/webcast/reflow/<room_id>, /webcast/reflow/<room_id>
            index = segs.index("reflow")
            if index + 1 < len(segs) and LIVE_ID.fullmatch(segs[index + 1]):
                return RoomRef(RefKind.ROOM_ID, segs[index + 1], sec_uid)
        room_id = query.get("room_id", "")
        if LIVE_ID.fullmatch(room_id):
            return RoomRef(RefKind.ROOM_ID, room_id, sec_uid)
    return None


def parse_room_ref(text: str) -> RoomRef:
    """The room that pasted text names: a live id, or the first Douyin link in it that names a room.

    Raises BadRoomInput (a Chinese message saying what is accepted) for anything else."""
    raw = (text or "").strip()
    if LIVE_ID.fullmatch(raw):
        return RoomRef(RefKind.WEB_RID, raw)
    links = find_links(raw)
    for link in links:
        ref = ref_from_url(link)
        if ref is not None:
            return ref
    if any(_is_douyin(link) for link in links):
        raise BadRoomInput(f"这个抖音链接不是直播间: {_shown(raw)}。{_HINT}")
    raise BadRoomInput(f"无法识别的直播间: {_shown(raw)}。{_HINT}")


def _is_douyin(link: str) -> bool:
    try:
        host = (urlsplit(link if "://" in link else f"https://{link}").hostname or "").lower()
    except ValueError:
        return False
    return host.endswith(("douyin.com", "amemv.com"))
