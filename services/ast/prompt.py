"""What the decoder is told before each utterance: Whisper's "previous text" slot, built per job.

Decoding one VAD utterance at a time loses what the bare model has when it reads a whole window: the sentence before.
The prompt gives it back, and says in which script and with which words to write (issue 16):
- Chinese: a Simplified-Chinese sentence first, so Whisper writes Simplified with punctuation rather than Traditional
  without it; then the room's own words (the room title, the streamer's hot words, products from recent comments);
- the text of the previous transcripts (the end of it), forgotten after a long pause or a source drop, where the
  topic has likely changed and an old sentence would only be something to copy.
Engines without a prompt (SenseVoice, FunASR) ignore it.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable

__all__ = ["MAX_HOTWORDS", "MAX_WORD_CHARS", "PromptBuilder", "clean_words", "product_mentions"]

ZH_LEAD = "以下是普通话直播的简体中文字幕，带标点。"
MAX_HOTWORDS = 50
MAX_WORD_CHARS = 30
# Enough previous text to carry the topic and the script; more only gives a looping decoder more to copy.
PREVIOUS_CHARS = 80
FORGET_AFTER_S = 20.0


def clean_words(words: Iterable[str], limit: int = MAX_HOTWORDS) -> list[str]:
    """Trimmed, de-duplicated (first spelling wins), non-empty, at most ``limit`` words of bounded length."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in words:
        word = " ".join(str(raw).split())[:MAX_WORD_CHARS]
        if word and word.lower() not in seen:
            seen.add(word.lower())
            out.append(word)
        if len(out) >= limit:
            break
    return out


# What viewers write after a product's name when they ask about it, and the fillers they write before it.
_ASKS = (
    "还有吗|还有没有|有货吗|有没有货|多少钱|怎么卖|什么价|啥价|几号链接|链接|上架|补货|买了|拍了|到了|好用吗|好吃吗|"
    "什么味道|有优惠吗|包邮吗"
)
_NAME = r"[\u4e00-\u9fffA-Za-z0-9]{2,10}?"
_ASKED = re.compile(rf"({_NAME})(?:{_ASKS})")
_BRACKETED = re.compile(r"[【《「『]([^】》」』]{2,15})[】》」』]")
_NOT_NAMES = re.compile(r"^(?:几号|[0-9一二三四五六七八九十]+号|多少|怎么|什么|还有|哪个|这个|那个|今天|刚刚|已经)$")
_FILLERS = re.compile(r"^(?:请问|主播|老板|宝宝|姐姐|哥哥|我想要|想要|我要|求|这个|那个|那款|这款|的)+")


def product_mentions(comment: str) -> list[str]:
    """Product names a viewer's comment asks about ("蓝鲸泡泡杯多少钱", "【云朵酥】") — a heuristic, so only fed to the
    prompt as words the room may use, never shown."""
    names = [m.group(1) for m in _BRACKETED.finditer(comment)]
    for match in _ASKED.finditer(comment):
        name = _FILLERS.sub("", match.group(1))
        if len(name) >= 2 and not _NOT_NAMES.match(name):
            names.append(name)
    return clean_words(names, limit=5)


class PromptBuilder:
    """One job's prompt. ``language`` is the job's ("zh", "en" or None for auto-detection)."""

    def __init__(self, language: str | None, *, hotwords: Iterable[str] = (), title: str = "") -> None:
        self.language = language
        self._hotwords = clean_words(hotwords)
        self._title = " ".join(title.split())[:60]
        self._recent_products: deque[str] = deque(maxlen=10)
        self._previous = ""
        self._last_end_s: float | None = None
        # The engine thread builds prompts while the event loop adds products from comments.
        self._lock = threading.Lock()

    @property
    def hotwords(self) -> list[str]:
        return list(self._hotwords)

    def set_room(self, *, title: str | None = None, hotwords: Iterable[str] | None = None) -> None:
        if title is not None:
            self._title = " ".join(title.split())[:60]
        if hotwords is not None:
            self._hotwords = clean_words(hotwords)

    def add_products(self, names: Iterable[str]) -> None:
        """Product names seen in recent comments; the newest ten are kept."""
        with self._lock:
            for name in clean_words(names):
                if name in self._recent_products:
                    self._recent_products.remove(name)
                self._recent_products.append(name)

    def vocabulary(self) -> list[str]:
        with self._lock:
            products = list(reversed(self._recent_products))
        return clean_words([*self._hotwords, *products])

    def prompt(self, start_s: float, *, previous: bool = True) -> str | None:
        """The prompt for an utterance starting at ``start_s`` (stream seconds); ``previous=False`` leaves the
        previous text out (a lone short word: the decoder copies from it, "对" after "…好书。" became "好书。")."""
        if self._last_end_s is not None and start_s - self._last_end_s > FORGET_AFTER_S:
            self._previous = ""
        parts: list[str] = []
        words = self.vocabulary()
        if self.language == "zh":
            parts.append(ZH_LEAD)
            if self._title:
                parts.append(f"直播间：{self._title}。")
            if words:
                parts.append(f"本场热词：{'、'.join(words)}。")
        elif words or self._title:
            # English (or not yet known): the words alone, as a glossary line.
            parts.append(", ".join([self._title, *words] if self._title else words) + ".")
        if self._previous and previous:
            parts.append(self._previous)
        return "".join(parts) if self.language == "zh" else " ".join(parts) or None

    def remember(self, text: str, end_s: float) -> None:
        if self.language == "zh":
            self._previous = (self._previous + text)[-PREVIOUS_CHARS:]
        else:
            joined = f"{self._previous} {text}".strip()
            cut = joined[-PREVIOUS_CHARS:]
            # Never start on half a word.
            self._previous = cut if len(cut) == len(joined) else cut.partition(" ")[2]
        self._last_end_s = end_s

    def forget(self) -> None:
        """A source drop: the next utterance starts a new context."""
        self._previous = ""
        self._last_end_s = None
