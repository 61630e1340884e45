"""ASS/SRT/VTT text: times, escaping of viewers' text, danmaku layout."""

from __future__ import annotations

import io
import re

from services.gateway.subtitles.formats import (
    Cue,
    Danmaku,
    DanmakuKind,
    ass_time,
    srt_time,
    vtt_time,
    write_danmaku_ass,
    write_srt,
    write_vtt,
)


def test_times() -> None:
    assert ass_time(0) == "0:00:00.00"
    assert ass_time(3725.456) == "1:02:05.45"
    assert srt_time(3725.456) == "01:02:05,456"
    assert vtt_time(59.9999) == "00:00:59.999"
    assert srt_time(-3) == "00:00:00,000"


def test_danmaku_ass_places_each_line_at_its_moment() -> None:
    out = io.StringIO()
    items = [
        Danmaku(1.0, DanmakuKind.COMMENT, "小明：你好"),
        Danmaku(1.0, DanmakuKind.GIFT, "小红 送出 小心心 ×66"),
        Danmaku(2.5, DanmakuKind.FOLLOW, "小刚 关注了主播"),
        Danmaku(-1.0, DanmakuKind.COMMENT, "before the file"),
    ]
    written, dropped = write_danmaku_ass(items, out)
    text = out.getvalue()
    assert (written, dropped) == (3, 0)
    assert "PlayResX: 1920" in text and "PlayResY: 1080" in text
    dialogues = [line for line in text.splitlines() if line.startswith("Dialogue:")]
    assert len(dialogues) == 3
    assert dialogues[0].startswith("Dialogue: 0,0:00:01.00,0:00:09.00,Danmaku,")
    assert re.search(r"\\move\(1920,\d+,-\d+,\d+\)\}小明：你好$", dialogues[0])
    assert ",Gift,," in dialogues[1] and dialogues[1].endswith("小红 送出 小心心 ×66")
    assert dialogues[2].startswith("Dialogue: 1,0:00:02.50,0:00:07.50,Follow,")


def test_viewer_text_cannot_become_markup() -> None:
    out = io.StringIO()
    write_danmaku_ass([Danmaku(0.5, DanmakuKind.COMMENT, "a{\\pos(0,0)}b\nDialogue: x")], out)
    line = [x for x in out.getvalue().splitlines() if x.startswith("Dialogue:")]
    assert len(line) == 1
    assert line[0].endswith("a｛＼pos(0,0)｝b Dialogue: x")
    srt, vtt = io.StringIO(), io.StringIO()
    cues = [Cue(1, 2, "<b>x</b> & y\n\n2\n00:00:00,000 --> 00:00:01,000")]
    write_srt(cues, srt)
    write_vtt(cues, vtt)
    assert srt.getvalue() == "1\n00:00:01,000 --> 00:00:02,000\n＜b＞x＜/b＞ & y  2 00:00:00,000 --＞ 00:00:01,000\n\n"
    assert vtt.getvalue().startswith("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n&lt;b&gt;x&lt;/b&gt; &amp; y")
    assert vtt.getvalue().count("-->") == 1


def test_a_full_screen_drops_comments_but_keeps_gifts() -> None:
    out = io.StringIO()
    items = [Danmaku(0.0, DanmakuKind.COMMENT, "刷屏" * 5) for _ in range(100)]
    items += [Danmaku(0.0, DanmakuKind.GIFT, f"g{i}") for i in range(4)]
    written, dropped = write_danmaku_ass(items, out)
    assert dropped > 50
    assert sum(1 for x in out.getvalue().splitlines() if x.startswith("Dialogue: 1,")) == 4
    assert written == 104 - dropped
