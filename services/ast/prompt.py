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

from collections import deque
from collections.abc import Iterable

__all__ = ["MAX_HOTWORDS", "PromptBuilder", "clean_words"]

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


class PromptBuilder:
    """One job's prompt. ``language`` is the job's ("zh", "en" or None for auto-detection)."""

    def __init__(self, language: str | None, *, hotwords: Iterable[str] = (), title: str = "") -> None:
        self.language = language
        self._hotwords = clean_words(hotwords)
        self._title = " ".join(title.split())[:60]
        self._recent_products: deque[str] = deque(maxlen=10)
        self._previous = ""
        self._last_end_s: float | None = None

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
        for name in clean_words(names):
            if name in self._recent_products:
                self._recent_products.remove(name)
            self._recent_products.append(name)

    def vocabulary(self) -> list[str]:
        return clean_words([*self._hotwords, *reversed(self._recent_products)])

    def prompt(self, start_s: float) -> str | None:
        """The prompt for an utterance starting at ``start_s`` (stream seconds)."""
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
        if self._previous:
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
