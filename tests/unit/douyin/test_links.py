"""Any link a user has (docs/protocol/douyin.md §1.6): share texts, short links, www live and profile URLs, room ids.

Parsing is pure; the HTTP steps run against an in-process transport that serves the captured app-side room API
answers (tests/fixtures/douyin/S05-reflow-*) and records every request, so redirects are provably read, not followed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.douyin_fetcher.fake_server.pages import RoomInfo, anchor_sec_uid, profile_page
from shared.platforms.douyin.errors import BadRoomInput, RoomNotFound, StreamerOffline
from shared.platforms.douyin.links import RefKind, RoomRef, parse_room_ref
from shared.platforms.douyin.resolve import LiveStatus, RoomResolver, parse_live_id, parse_profile_page, parse_reflow

from .conftest import FIXTURES

LIVE_ROOM, LIVE_WEB_RID = "7687741736843512602", "547977714661"
ENDED_ROOM, ENDED_WEB_RID = "7376083140344859455", "745964462470"
REFLOW_BASE = "https://webcast.amemv.com"
REFLOW = f"{REFLOW_BASE}/douyin/webcast/reflow/{LIVE_ROOM}?u_code=x&did=y&sec_user_id=MS4wLjABAAAAx"


def body(case: str) -> bytes:
    return (FIXTURES / case / "body.json").read_bytes()


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        # The phone app's share texts: the link sits among Chinese text and trailing tokens.
        (
            "7- 长按复制此条消息，打开抖音搜索，查看TA的更多作品。 https://v.douyin.com/iAbCdEf/ 1@2.com :9pm",
            RoomRef(RefKind.SHARE, "iAbCdEf"),
        ),
        (
            "#在抖音，记录美好生活#【央视新闻频道正在直播】直播中 。复制下方链接，打开【抖音】，直接观看节目！"
            "https://v.douyin.com/iRnBho6u/",
            RoomRef(RefKind.SHARE, "iRnBho6u"),
        ),
        ("看直播：v.douyin.com/Xy_9-z/，快来", RoomRef(RefKind.SHARE, "Xy_9-z")),
        ("【小央视频】正在直播 https://live.douyin.com/547977714661，快来", RoomRef(RefKind.WEB_RID, LIVE_WEB_RID)),
        ("复制打开 live.douyin.com/547977714661 看直播", RoomRef(RefKind.WEB_RID, LIVE_WEB_RID)),
        # www.douyin.com live URLs: the id is a web_rid (11-12 digits) or a room id (19).
        (
            "https://www.douyin.com/root/live/795838110856?anchor_id=1&is_aweme_tied=1",
            RoomRef(RefKind.WEB_RID, "795838110856"),
        ),
        ("https://www.douyin.com/follow/live/547977714661?from_tab_name=main", RoomRef(RefKind.WEB_RID, LIVE_WEB_RID)),
        (f"https://www.douyin.com/follow/live/{LIVE_ROOM}?anchor_id=1", RoomRef(RefKind.ROOM_ID, LIVE_ROOM)),
        ("https://www.douyin.com/547977714661", RoomRef(RefKind.WEB_RID, LIVE_WEB_RID)),
        ("https://www.douyin.com/?recommend=1&live_id=547977714661", RoomRef(RefKind.WEB_RID, LIVE_WEB_RID)),
        ("https://live.douyin.com/?live_web_rid=41421297272", RoomRef(RefKind.WEB_RID, "41421297272")),
        # Profiles and app-side links.
        (
            "https://www.douyin.com/user/MS4wLjABAAAA-x_y?from_tab_name=main",
            RoomRef(RefKind.PROFILE, "MS4wLjABAAAA-x_y"),
        ),
        ("https://www.iesdouyin.com/share/user/MS4wLjABAAAAxyz?u_code=1", RoomRef(RefKind.PROFILE, "MS4wLjABAAAAxyz")),
        (REFLOW, RoomRef(RefKind.ROOM_ID, LIVE_ROOM, "MS4wLjABAAAAx")),
        (
            f"https://webcast.amemv.com/webcast/room/reflow/info/?room_id={LIVE_ROOM}",
            RoomRef(RefKind.ROOM_ID, LIVE_ROOM),
        ),
    ],
)
def test_pasted_text_names_its_room(text: str, ref: RoomRef) -> None:
    assert parse_room_ref(text) == ref


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://www.douyin.com/video/7300000000000000000", "不是直播间"),
        ("https://www.douyin.com/search/%E5%92%8C", "不是直播间"),
        ("https://www.douyin.com/root/live/", "不是直播间"),
        ("https://user@live.douyin.com/547977714661", "不是直播间"),
        ("https://webcast.amemv.com/douyin/webcast/share", "不是直播间"),
        ("https://live.bilibili.com/6", "无法识别"),
        ("复制这段话打开抖音", "无法识别"),
        ("", "无法识别"),
    ],
)
def test_text_naming_no_room_gets_a_chinese_error(text: str, message: str) -> None:
    with pytest.raises(BadRoomInput, match=message) as caught:
        parse_room_ref(text)
    assert "分享口令" in str(caught.value)  # the error says what is accepted


def test_parse_live_id_takes_only_what_needs_no_request() -> None:
    assert parse_live_id("https://www.douyin.com/root/live/547977714661") == LIVE_WEB_RID
    with pytest.raises(BadRoomInput, match="联网解析"):
        parse_live_id("https://v.douyin.com/iAbCdEf/")


def test_reflow_fixtures_give_web_rid_and_state() -> None:
    live = parse_reflow(body("S05-reflow-live"), LIVE_ROOM)
    assert (live.room_id, live.web_rid, live.status) == (LIVE_ROOM, LIVE_WEB_RID, LiveStatus.LIVE)
    assert live.title == "央视新闻频道正在直播" and live.anchor and live.anchor.nickname == "小央视频"
    ended = parse_reflow(body("S05-reflow-ended"), ENDED_ROOM)
    assert (ended.web_rid, ended.status) == (ENDED_WEB_RID, LiveStatus.ENDED)
    with pytest.raises(RoomNotFound):
        parse_reflow(b'{"status_code": 0, "data": {"room": {"id_str": "0"}}}', "1")


def test_profile_page_shapes() -> None:
    escaped = r'self.__pace_f.push([1,"{\"roomData\":{\"status\":2,\"owner\":{\"web_rid\":\"547977714661\"}}}"])'
    assert parse_profile_page(escaped) == RoomRef(RefKind.WEB_RID, LIVE_WEB_RID)
    assert parse_profile_page('<a href="https://live.douyin.com/547977714661?from=profile">直播中</a>') == RoomRef(
        RefKind.WEB_RID, LIVE_WEB_RID
    )
    assert parse_profile_page(f'{{"roomIdStr":"{LIVE_ROOM}","liveStatus":1}}') == RoomRef(RefKind.ROOM_ID, LIVE_ROOM)
    assert parse_profile_page("<html><title>主页</title>没有直播</html>") is None
    # The page's own "not live" wins over any id it still carries.
    assert parse_profile_page(f'{{"roomIdStr":"{LIVE_ROOM}","liveStatus":0,"web_rid":"547977714661"}}') is None


def test_profile_pages_of_the_fake_server() -> None:
    # The fake's pages follow the real page's shape (docs/protocol/douyin.md §7.7): roomData is a JSON string inside
    # the escaped state, so its web_rid is escaped twice.
    live = RoomInfo(web_rid=LIVE_WEB_RID, room_id=LIVE_ROOM, anchor_id="42")
    assert parse_profile_page(profile_page(live, anchor_sec_uid(live))) == RoomRef(RefKind.WEB_RID, LIVE_WEB_RID)
    offline = RoomInfo(web_rid=LIVE_WEB_RID, room_id=LIVE_ROOM, anchor_id="42", live=False)
    assert parse_profile_page(profile_page(offline, anchor_sec_uid(offline))) is None


def test_reflow_not_found_code() -> None:
    with pytest.raises(RoomNotFound, match="不存在"):
        parse_reflow(b'{"status_code": 4001038, "data": {"prompts": "room not found"}}', "1")


Handler = Callable[[httpx.Request], httpx.Response]


def run(text: str, routes: dict[str, Handler]) -> tuple[str | BaseException, list[httpx.Request]]:
    """Resolve ``text`` against handlers keyed by "host path"; unknown paths are 599 so a stray request shows."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        handler = routes.get(f"{request.url.host} {request.url.path}")
        return handler(request) if handler else httpx.Response(599)

    async def go() -> str | BaseException:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handle), follow_redirects=True)
        resolver = RoomResolver(
            "https://live.test", "https://www.test", share_url="https://short.test/v", reflow_url="https://app.test",
            client=client,
        )  # fmt: skip
        try:
            return await resolver.live_id_of(text)
        except Exception as exc:
            return exc
        finally:
            await client.aclose()

    return asyncio.run(go()), seen


def home(_: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"set-cookie": "ttwid=T1; Path=/"})


def redirect(location: str) -> Handler:
    return lambda _: httpx.Response(302, headers={"location": location})


def reflow_answer(request: httpx.Request) -> httpx.Response:
    room = request.url.params["room_id"]
    case = {LIVE_ROOM: "S05-reflow-live", ENDED_ROOM: "S05-reflow-ended"}.get(room)
    return httpx.Response(200, content=body(case)) if case else httpx.Response(200, json={"status_code": 0, "data": {}})


def test_share_text_resolves_through_the_redirect_and_the_room_api() -> None:
    share = "7- 长按复制此条消息，打开抖音搜索，查看TA的更多作品。 https://v.douyin.com/iAbCdEf/ 1@2.com :9pm"
    result, seen = run(
        share,
        {
            "short.test /v/iAbCdEf/": redirect(REFLOW),
            "live.test /": home,
            "app.test /webcast/room/reflow/info/": reflow_answer,
        },
    )
    assert result == LIVE_WEB_RID
    assert [f"{r.url.host} {r.url.path}" for r in seen] == [
        "short.test /v/iAbCdEf/",
        "live.test /",
        "app.test /webcast/room/reflow/info/",
    ]  # the Location's host (webcast.amemv.com) was never contacted
    query = seen[2].url.params
    assert (query["room_id"], query["sec_user_id"], query["type_id"], query["live_id"]) == (
        LIVE_ROOM,
        "MS4wLjABAAAAx",
        "0",
        "1",
    )
    assert seen[2].headers["cookie"] == "ttwid=T1"


def test_an_ended_broadcast_still_names_its_live_id() -> None:
    result, _ = run(
        f"https://www.douyin.com/follow/live/{ENDED_ROOM}",
        {"live.test /": home, "app.test /webcast/room/reflow/info/": reflow_answer},
    )
    assert result == ENDED_WEB_RID


def test_relative_and_chained_redirects_reach_a_live_url_without_the_room_api() -> None:
    result, seen = run(
        "https://v.douyin.com/a/",
        {"short.test /v/a/": redirect("/b/"), "short.test /v/b/": redirect("https://live.douyin.com/547977714661?x=1")},
    )
    assert result == LIVE_WEB_RID and len(seen) == 2


@pytest.mark.parametrize(
    ("text", "routes", "error", "message"),
    [
        ("v.douyin.com/gone/", {"short.test /v/gone/": lambda _: httpx.Response(404)}, RoomNotFound, "已过期"),
        ("https://v.douyin.com/x/", {"short.test /v/x/": redirect("https://www.douyin.com/video/7300000000000000000")},
         BadRoomInput, "不是直播间"),
        ("https://v.douyin.com/x/", {"short.test /v/x/": redirect("https://example.org/reflow/123")}, BadRoomInput,
         "不是直播间"),
        ("https://v.douyin.com/x/", {"short.test /v/x/": lambda _: httpx.Response(200, text="<html></html>")},
         BadRoomInput, "没有指向直播间"),
        ("https://v.douyin.com/x/", {"short.test /v/x/": redirect("https://v.douyin.com/x/#again")}, BadRoomInput,
         "反复跳转"),
        ("https://v.douyin.com/x/", {"short.test /v/x/": redirect(f"{REFLOW_BASE}/webcast/reflow/{'9' * 19}"),
         "live.test /": home, "app.test /webcast/room/reflow/info/": reflow_answer}, RoomNotFound, "不存在"),
        ("https://www.douyin.com/user/MS4wLjABAAAAnone",
         {"www.test /user/MS4wLjABAAAAnone": lambda _: httpx.Response(404), "www.test /": home},
         RoomNotFound, "主页不存在"),
    ],
)  # fmt: skip
def test_links_that_lead_nowhere(text: str, routes: dict[str, Handler], error: type[Exception], message: str) -> None:
    result, _ = run(text, routes)
    assert isinstance(result, error) and message in str(result), result


def test_profile_of_a_live_streamer_names_the_room_and_an_offline_one_a_clear_error() -> None:
    page = '<script>self.__pace_f.push([1,"{\\"owner\\":{\\"web_rid\\":\\"547977714661\\"}}"])</script>'
    result, _ = run(
        "https://www.douyin.com/user/MS4wLjABAAAAlive",
        {"www.test /user/MS4wLjABAAAAlive": lambda _: httpx.Response(200, text=page), "www.test /": home},
    )
    assert result == LIVE_WEB_RID
    offline, _ = run(
        "https://www.douyin.com/user/MS4wLjABAAAAoff",
        {"www.test /user/MS4wLjABAAAAoff": lambda _: httpx.Response(200, text="<html>主页</html>"), "www.test /": home},
    )
    assert isinstance(offline, StreamerOffline) and "主播当前未开播" in str(offline)
    # A profile whose room id the room API calls ended: not live either.
    ended_page = f'{{"roomIdStr":"{ENDED_ROOM}"}}'
    ended, _ = run(
        "https://www.douyin.com/user/MS4wLjABAAAAend",
        {
            "www.test /user/MS4wLjABAAAAend": lambda _: httpx.Response(200, text=ended_page),
            "www.test /": home,
            "live.test /": home,
            "app.test /webcast/room/reflow/info/": reflow_answer,
        },
    )
    assert isinstance(ended, StreamerOffline)
    # A profile shared from the app (short link → iesdouyin profile) is held to the same rule.
    shared_profile, _ = run(
        "https://v.douyin.com/prof/",
        {
            "short.test /v/prof/": redirect("https://www.iesdouyin.com/share/user/MS4wLjABAAAAend?u_code=1"),
            "www.test /user/MS4wLjABAAAAend": lambda _: httpx.Response(200, text=ended_page),
            "live.test /": home,
            "app.test /webcast/room/reflow/info/": reflow_answer,
        },
    )
    assert isinstance(shared_profile, StreamerOffline)
    # The site's anti-bot page sets a nonce: asked once more with it, the real page answers.
    calls: list[str] = []

    def challenge_then_page(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["cookie"])
        if len(calls) == 1:
            return httpx.Response(200, text="<html><script>/* challenge */</script></html>",
                                  headers={"set-cookie": "__ac_nonce=0abcdef0123456789abcd; Path=/"})  # fmt: skip
        return httpx.Response(200, text=page)

    retried, _ = run(
        "https://www.douyin.com/user/MS4wLjABAAAAch", {"www.test /user/MS4wLjABAAAAch": challenge_then_page}
    )
    assert retried == LIVE_WEB_RID and "__ac_nonce=0abcdef0123456789abcd" in calls[1]
    # A real page of a streamer who is not live that also sets a nonce is not mistaken for the anti-bot page.
    offline_page = '<script>self.__pace_f.push([1,"{\\"secUid\\":\\"x\\",\\"liveStatus\\":0}"])</script>'

    def offline_with_nonce(_: httpx.Request) -> httpx.Response:
        calls.append("offline")  # a fresh nonce on every answer, as the www site hands them out
        return httpx.Response(200, text=offline_page, headers={"set-cookie": f"__ac_nonce=0fedcba{len(calls)}; Path=/"})

    still_offline, _ = run(
        "https://www.douyin.com/user/MS4wLjABAAAAof", {"www.test /user/MS4wLjABAAAAof": offline_with_nonce}
    )
    assert isinstance(still_offline, StreamerOffline)


_PIECES = st.sampled_from(
    [
        "https://", "http://", "v.douyin.com/", "live.douyin.com/", "www.douyin.com/", "webcast.amemv.com/",
        "user/", "root/live/", "follow/live/", "reflow/", "share/user/", "?live_id=", "&room_id=", "@", "..", "/",
        "%2F", "547977714661", LIVE_ROOM, "MS4wLjABAAAAx", "长按复制此条消息", "，", " ", "\n", "#", "?", "'", ")",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=12).map("".join))
def test_any_text_names_a_safe_room_or_is_refused(text: str) -> None:
    # Whatever is pasted: a room reference whose value can only be put into a request path as an id, or a clear
    # refusal; never another exception.
    try:
        ref = parse_room_ref(text)
    except BadRoomInput as exc:
        assert "直播间" in str(exc)
        return
    if ref.kind in (RefKind.WEB_RID, RefKind.ROOM_ID):
        assert ref.value.isascii() and ref.value.isdigit()
    else:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", ref.value) and ref.value not in (".", "..")
    assert re.fullmatch(r"[A-Za-z0-9_.-]*", ref.sec_uid)
