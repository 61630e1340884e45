"""Text clean-up after any engine: Traditional to Simplified Chinese (OpenCC), spacing, punctuation, numbers.

Whisper writes Chinese in Traditional characters about as often as in Simplified (the prompt asks for Simplified;
OpenCC, Apache-2.0, converts what still comes out Traditional), puts spaces between CJK runs, and mostly writes
ASCII punctuation in Chinese text. For Chinese the transcript is:
- Simplified, without spaces between Han characters;
- punctuated the Chinese way: ``, . ? ! : ;`` next to a Han character become ``，。？！：；`` (``3.5`` and ``1,000``
  keep theirs);
- one rule for numbers (issue 16): an amount with a unit a streamer would write in digits -- money (元 块 毛 角),
  a discount (折), a weight or size (斤 公斤 千克 克 毫升 升 厘米 毫米 米) or a link number (号) -- is written in
  Arabic digits: 九十九元 → 99元, 三点五折 → 3.5折, 二号链接 → 2号链接. Every other number stays as said
  (一起, 扣个一, 三种口味), and digits the model wrote stay digits. Full-width digits become ASCII.
OpenCC is loaded once per process, on first Chinese text.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Protocol

__all__ = ["chinese_number", "is_hallucination", "normalize_text", "to_simplified"]

_SPACES = re.compile(r"\s+")
# A space between two CJK characters (or CJK and CJK punctuation) carries no meaning in Chinese.
_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


_lock = threading.Lock()


@functools.cache
def _t2s() -> _Converter:
    import opencc

    return opencc.OpenCC("t2s.json")


def to_simplified(text: str) -> str:
    converter = _t2s()
    with _lock:  # the C++ converter is not documented as thread-safe; it costs microseconds
        return converter.convert(text)


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


_HAN = r"\u3400-\u9fff\uf900-\ufaff"
_FULLWIDTH = {",": "，", ".": "。", "?": "？", "!": "！", ":": "：", ";": "；"}
# ASCII punctuation touching a Han character on either side (so "3.5" and "iPhone 15." are left alone).
_ASCII_PUNCT = re.compile(rf"(?<=[{_HAN}])[,.?!:;](?!\d)|[,.?!:;](?=[{_HAN}])")
_AFTER_WIDE_PUNCT = re.compile(r"(?<=[，。？！：；])\s+")
_WIDE_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS_OF_TEN = {"十": 10, "百": 100, "千": 1000}
_AMOUNT = re.compile(
    r"([零〇一二两三四五六七八九十百千万]+(?:点[零〇一二三四五六七八九]+)?)"
    r"(元|块钱|块(?!儿)|毛|角|折|公斤|千克|斤|毫升|升|厘米|毫米|米|克|号)"
)


def chinese_number(numeral: str) -> str | None:
    """ "九十九" → "99", "三点五" → "3.5", "一二三" → "123"; None when it is not a well-formed numeral."""
    whole, _, fraction = numeral.partition("点")
    if (fraction and not all(ch in _DIGITS for ch in fraction)) or not whole or whole[0] in "百千万":
        return None  # "千元机", "万元户": a class of thing, not an amount
    if whole and all(ch in _DIGITS for ch in whole):
        value = "".join(str(_DIGITS[ch]) for ch in whole)  # read digit by digit (or a single digit)
    else:
        total = section = digit = 0
        for ch in whole:
            if ch in _DIGITS:
                digit = _DIGITS[ch]
            elif ch in _UNITS_OF_TEN:
                section += (digit or (1 if ch == "十" else 0)) * _UNITS_OF_TEN[ch]
                digit = 0
            elif ch == "万":
                total += (section + digit) * 10_000
                section = digit = 0
        value = str(total + section + digit)
    return value + ("." + "".join(str(_DIGITS[ch]) for ch in fraction) if fraction else "")


def _amount(match: re.Match[str]) -> str:
    number = chinese_number(match.group(1))
    return match.group(0) if number is None else number + match.group(2)


def normalize_text(text: str, language: str) -> str:
    """Trim and collapse spaces; for Chinese (or any text with Han characters): Simplified, Chinese punctuation,
    amounts in digits (the module's rule)."""
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return text
    if language == "zh" or _has_cjk(text):
        text = _CJK_GAP.sub("", to_simplified(text))
        text = _ASCII_PUNCT.sub(lambda m: _FULLWIDTH[m.group(0)], text.translate(_WIDE_DIGITS))
        text = _AFTER_WIDE_PUNCT.sub("", text)
        text = _AMOUNT.sub(_amount, text)
    return text


# Credits and sign-offs Whisper learned from subtitle files; it "hears" them in music or noise, never in speech.
_HALLUCINATIONS = (
    "amara.org",
    "明镜与点点",
    "字幕志愿者",
    "中文字幕提供",
    "索兰娅",
    "优优独播剧场",
    "yoyotelevisionseries",
)
# Whole lines it says over music (a video's sign-off); in a Douyin room nobody says only this.
_WHOLE_LINES = frozenset({"请订阅", "请订阅我的频道", "订阅我的频道", "谢谢观看", "感谢观看"})
_EDGE_PUNCTUATION = " ,.!?;:，。！？；：、…~"


def is_hallucination(text: str) -> bool:
    folded = text.lower().replace(" ", "")
    if folded.strip(_EDGE_PUNCTUATION) in _WHOLE_LINES:
        return True
    return any(h.replace(" ", "") in folded for h in _HALLUCINATIONS)
