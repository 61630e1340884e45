"""Hot words: jieba segmentation with filters fit for live comments, over a bounded sliding window per session.

Segmentation is the costly part (tens of µs per comment), so it never runs in the persister's transaction: the
window only keeps the raw comments and segments them when someone asks, once per comment (tokens are kept).
Each session's window holds at most ``MAX_WINDOW_MS`` of comments and ``max_entries`` of them, and at most
``max_sessions`` sessions are kept (least recently used go); a session not in memory (a restarted gateway, an
old show) is rebuilt from ``comment_data`` by the caller through ``backfill``. Entries are keyed by msg_id, so a
backfill that overlaps what the hook already added counts nothing twice.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from services.gateway.analytics.stopwords import STOP_WORDS

__all__ = ["MAX_WINDOW_MS", "HotWords", "Segmenter", "count_words"]

MAX_WINDOW_MS = 3_600_000

_EMOJI_CODE = re.compile(r"\[[^\[\]]{1,8}\]")
_URL = re.compile(r"https?://\S+", re.ASCII)
# A token is kept only if it has a CJK ideograph or a latin letter (drops punctuation, emoji, bare numbers).
_WORDY = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbfA-Za-z]")
_NUMBER = re.compile(r"^[0-9０-９]+$")
_LAUGH = re.compile(r"^(哈|呵|嘿|嘻|啊|哦|噢|嗯|哇|呜|额|emm+|h{2,})+$", re.IGNORECASE)


class Segmenter:
    """jieba behind a lock (its tokenizer is not thread-safe to initialise), loaded on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizer: object | None = None

    def _load(self) -> object:
        with self._lock:
            if self._tokenizer is None:
                import jieba  # type: ignore[import-untyped]

                jieba.setLogLevel(60)  # its start-up chatter is not ours to log
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in ("上车", "链接", "优惠券", "福袋", "秒杀", "包邮", "下单", "拍下", "主播"):
                    tokenizer.add_word(word)
                self._tokenizer = tokenizer
            return self._tokenizer

    def words(self, text: str) -> list[str]:
        """The countable words of one comment, in order (a word may repeat)."""
        tokenizer = self._tokenizer or self._load()
        text = _URL.sub(" ", _EMOJI_CODE.sub(" ", text))
        tokens: list[str] = tokenizer.lcut(text)  # type: ignore[attr-defined]
        out: list[str] = []
        for i, token in enumerate(tokens):
            token = token.strip().lower()
            if not token:
                continue
            if _NUMBER.match(token):
                # "1号链接": a number is kept only as the item number it names ("1号"); 666, prices, counts go.
                if i + 1 < len(tokens) and tokens[i + 1] == "号":
                    out.append(token + "号")
                continue
            if len(token) < 2 or len(token) > 16 or not _WORDY.search(token):
                continue
            if token in STOP_WORDS or _LAUGH.match(token):
                continue
            out.append(token)
        return out


def count_words(segmenter: Segmenter, texts: Iterable[str], *, per_comment_once: bool = True) -> Counter[str]:
    """Word counts over comments; by default a word counts once per comment (spam "好好好好" is one vote)."""
    counts: Counter[str] = Counter()
    for text in texts:
        words = segmenter.words(text)
        counts.update(set(words) if per_comment_once else words)
    return counts


@dataclass
class _Window:
    entries: deque[tuple[int, str, str | list[str]]] = field(default_factory=deque)  # (ts, msg_id, text|words)
    ids: set[str] = field(default_factory=set)
    backfilled: bool = False
    latest_ts: int = 0


class HotWords:
    def __init__(self, segmenter: Segmenter, *, max_entries: int = 100_000, max_sessions: int = 16) -> None:
        self.segmenter = segmenter
        self.max_entries = max_entries
        self.max_sessions = max_sessions
        self._lock = threading.Lock()
        self._windows: OrderedDict[str, _Window] = OrderedDict()

    def add(self, session_id: str, ts: int, msg_id: str, text: str) -> None:
        with self._lock:
            self._add(self._window(session_id), ts, msg_id, text)

    def needs_backfill(self, session_id: str) -> bool:
        with self._lock:
            window = self._windows.get(session_id)
            return window is None or not window.backfilled

    def backfill(self, session_id: str, rows: Iterable[tuple[int, str, str]]) -> None:
        """Comments read from the database (ts, msg_id, text), oldest first; duplicates of known ids are skipped."""
        with self._lock:
            window = self._window(session_id)
            merged = sorted([*window.entries, *((ts, m, t) for ts, m, t in rows if m not in window.ids)])
            window.entries = deque()
            window.ids = set()
            for ts, msg_id, text in merged:
                self._add(window, ts, msg_id, text)
            window.backfilled = True

    def top(self, session_id: str, window_s: int, limit: int = 30) -> list[tuple[str, int]]:
        """The top words of the comments in the last ``window_s`` seconds before the session's latest comment."""
        with self._lock:
            window = self._windows.get(session_id)
            if window is None or not window.entries:
                return []
            cutoff = window.latest_ts - min(window_s * 1000, MAX_WINDOW_MS)
            recent = [(i, e) for i, e in enumerate(reversed(window.entries)) if e[0] >= cutoff]
            size = len(window.entries)
        counts: Counter[str] = Counter()
        for offset, (ts, msg_id, item) in recent:
            if isinstance(item, str):
                # Segment once, outside the lock; the result replaces the text when the entry is still there.
                words = sorted(set(self.segmenter.words(item)))
                with self._lock:
                    idx = size - 1 - offset
                    if 0 <= idx < len(window.entries) and window.entries[idx][1] == msg_id:
                        window.entries[idx] = (ts, msg_id, words)
                item = words
            counts.update(item)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    def _window(self, session_id: str) -> _Window:
        window = self._windows.get(session_id)
        if window is None:
            window = self._windows[session_id] = _Window()
            while len(self._windows) > self.max_sessions:
                self._windows.popitem(last=False)
        self._windows.move_to_end(session_id)
        return window

    def _add(self, window: _Window, ts: int, msg_id: str, text: str | list[str]) -> None:
        if msg_id in window.ids:
            return
        window.entries.append((ts, msg_id, text))
        window.ids.add(msg_id)
        # Batches arrive in order, give or take reconnect replays; the window is trimmed by the newest ts seen.
        window.latest_ts = max(window.latest_ts, ts)
        entries = window.entries
        while entries and (len(entries) > self.max_entries or entries[0][0] <= window.latest_ts - MAX_WINDOW_MS):
            window.ids.discard(entries.popleft()[1])
