"""Text clean-up after any engine: Traditional to Simplified Chinese (OpenCC), and spacing.

Whisper writes Chinese in Traditional characters about as often as in Simplified, and puts spaces between CJK runs;
the UI shows Simplified without those spaces. OpenCC is loaded once per process, on first Chinese text.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Protocol

__all__ = ["is_hallucination", "normalize_text", "to_simplified"]

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


def normalize_text(text: str, language: str) -> str:
    """Trim and collapse spaces; for Chinese (or any text with Han characters) convert to Simplified."""
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return text
    if language == "zh" or _has_cjk(text):
        text = _CJK_GAP.sub("", to_simplified(text))
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
