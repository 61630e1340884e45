"""ASS, SRT and WebVTT text (pure): scrolling danmaku in ASS, timed lines in all three.

The danmaku ASS plays at 1920×1080 (players scale it to any size): gifts and follows on fixed, highlighted lines at
the top, comments scrolling right to left in the lanes below (``lanes.py``); a comment that finds no free lane is
left out rather than drawn over another. Viewers' text is escaped for each format: it can never become markup
(ASS override blocks, SRT/VTT tags) or end a cue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, TextIO

from services.gateway.subtitles.lanes import FixedLanes, ScrollLanes, text_width

__all__ = [
    "AssLayout",
    "Cue",
    "Danmaku",
    "DanmakuKind",
    "ass_time",
    "srt_time",
    "vtt_time",
    "write_danmaku_ass",
    "write_srt",
    "write_vtt",
]


class DanmakuKind(StrEnum):
    COMMENT = "comment"
    GIFT = "gift"
    FOLLOW = "follow"


class Danmaku(NamedTuple):
    t: float  # seconds on the file's own time (timebase.FileClock.at)
    kind: DanmakuKind
    text: str


@dataclass(slots=True)
class Cue:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class AssLayout:
    width: int = 1920
    height: int = 1080
    font: str = "Noto Sans CJK SC"
    font_size: int = 48
    lane_height: int = 58
    scroll_seconds: float = 8.0
    fixed_seconds: float = 5.0
    fixed_lanes: int = 2
    # Comments scroll in the top part of the picture only, leaving the streamer's face and speech subtitles free.
    scroll_area: float = 0.75


# Control characters (newlines too) become spaces: a line break would end an SRT/VTT cue or an ASS line.
_CONTROL = {c: " " for c in (*range(32), 127)}
_ASS = {**_CONTROL, ord("\\"): "＼", ord("{"): "｛", ord("}"): "｝"}
_SRT = {**_CONTROL, ord("<"): "＜", ord(">"): "＞"}
_VTT = {**_CONTROL, ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}


def _clock(seconds: float, frac_digits: int, sep: str, hour_digits: int) -> str:
    scale = 10**frac_digits
    units = max(0, int(seconds * scale + 1e-6))
    whole, frac = divmod(units, scale)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:0{hour_digits}d}:{minutes:02d}:{secs:02d}{sep}{frac:0{frac_digits}d}"


def ass_time(seconds: float) -> str:
    # The hot path of a long show's danmaku (two per line): written out rather than through _clock.
    cs = int(seconds * 100 + 1e-6) if seconds > 0 else 0
    minutes, cs = divmod(cs, 6000)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{cs // 100:02d}.{cs % 100:02d}"


def srt_time(seconds: float) -> str:
    return _clock(seconds, 3, ",", 2)


def vtt_time(seconds: float) -> str:
    return _clock(seconds, 3, ".", 2)


_STYLE_FORMAT = (
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
    "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
    "MarginR, MarginV, Encoding"
)


def _header(layout: AssLayout, title: str) -> str:
    f, size = layout.font, layout.font_size
    big = round(size * 1.1)
    # Colours are &HAABBGGRR: comments white (slightly see-through), gifts gold, follows pink; dark outlines.
    styles = [
        f"Style: Danmaku,{f},{size},&H20FFFFFF,&H000000FF,&H80000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,7,0,0,0,1",
        f"Style: Gift,{f},{big},&H0000D7FF,&H000000FF,&H00202020,&H80000000,-1,0,0,0,100,100,0,0,1,3,1,8,0,0,0,1",
        f"Style: Follow,{f},{big},&H00B469FF,&H000000FF,&H00202020,&H80000000,-1,0,0,0,100,100,0,0,1,3,1,8,0,0,0,1",
    ]
    return (
        "[Script Info]\n"
        f"Title: {title.translate(_ASS)}\n"
        "ScriptType: v4.00+\n"
        f"PlayResX: {layout.width}\nPlayResY: {layout.height}\n"
        "WrapStyle: 2\nScaledBorderAndShadow: yes\nYCbCr Matrix: None\n\n"
        f"[V4+ Styles]\n{_STYLE_FORMAT}\n" + "\n".join(styles) + "\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )


def write_danmaku_ass(
    items: Iterable[tuple[float, DanmakuKind, str]],
    out: TextIO,
    layout: AssLayout | None = None,
    *,
    title: str = "弹幕",
) -> tuple[int, int]:
    """Write the danmaku of ``items`` (in time order) as ASS; answers (lines written, comments left out)."""
    lay = layout or AssLayout()
    top = lay.fixed_lanes * lay.lane_height + 8
    scroll_count = max(1, int((lay.height * lay.scroll_area - top) // lay.lane_height))
    scroll = ScrollLanes(lay.width, scroll_count, lay.scroll_seconds)
    fixed = FixedLanes(lay.fixed_lanes, lay.fixed_seconds)
    width, size, lane_h, dur = lay.width, lay.font_size, lay.lane_height, lay.scroll_seconds
    centre = width // 2
    lines: list[str] = [_header(lay, title)]
    append = lines.append
    written = dropped = 0
    comment = DanmakuKind.COMMENT
    for t, kind, raw in items:  # Danmaku, or plain tuples of the same shape (cheaper for half a million)
        if t < 0:
            continue
        if kind is comment:
            w = text_width(raw, size)
            lane = scroll.place(t, w)
            if lane is None:
                dropped += 1
                continue
            text = raw.translate(_ASS)
            y = top + lane * lane_h
            append(
                f"Dialogue: 0,{ass_time(t)},{ass_time(t + dur)},Danmaku,,0,0,0,,"
                f"{{\\move({width},{y},{-round(w)},{y})}}{text}\n"
            )
        else:
            text = raw.translate(_ASS)
            lane = fixed.place(t)
            style = "Gift" if kind is DanmakuKind.GIFT else "Follow"
            if lane is None:  # more highlights at once than fixed lines: this one scrolls, still in its colours
                w = text_width(text, size * 1.1)
                lane = scroll.place(t, w)
                if lane is not None:
                    y = top + lane * lane_h
                    append(
                        f"Dialogue: 1,{ass_time(t)},{ass_time(t + dur)},{style},,0,0,0,,"
                        f"{{\\an7\\move({width},{y},{-round(w)},{y})}}{text}\n"
                    )
                    written += 1
                    continue
                lane = 0  # the screen is full: over the first fixed line rather than lost
            append(
                f"Dialogue: 1,{ass_time(t)},{ass_time(t + lay.fixed_seconds)},{style},,0,0,0,,"
                f"{{\\an8\\pos({centre},{4 + lane * lane_h})\\fad(150,300)}}{text}\n"
            )
        written += 1
    out.writelines(lines)
    return written, dropped


def write_srt(cues: Sequence[Cue], out: TextIO) -> int:
    parts: list[str] = []
    n = 0
    for cue in cues:
        if cue.end <= 0:
            continue
        n += 1
        parts.append(f"{n}\n{srt_time(max(0.0, cue.start))} --> {srt_time(cue.end)}\n{cue.text.translate(_SRT)}\n\n")
    out.writelines(parts)
    return n


def write_vtt(cues: Sequence[Cue], out: TextIO) -> int:
    parts = ["WEBVTT\n\n"]
    n = 0
    for cue in cues:
        if cue.end <= 0:
            continue
        n += 1
        parts.append(f"{vtt_time(max(0.0, cue.start))} --> {vtt_time(cue.end)}\n{cue.text.translate(_VTT)}\n\n")
    out.writelines(parts)
    return n
