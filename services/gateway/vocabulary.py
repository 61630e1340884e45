"""Per-room hot words for transcription ("热词", issue 16): ``$TIMAO_HOME/ast_vocabulary.json``, ``{room: [words]}``.

A room is a Douyin live id; ``default`` holds the words for every other source (and for rooms without their own).
``POST /api/ast/start`` gives a job its room's words unless the request names its own. The AST worker applies the
same bounds (services/ast/config.py); this module refuses earlier, with the UI's language.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path

__all__ = [
    "DEFAULT_ROOM",
    "MAX_WORDS",
    "MAX_WORD_CHARS",
    "check_room",
    "clean_words",
    "load_words",
    "room_words",
    "save_words",
]

log = logging.getLogger(__name__)

FILE_NAME = "ast_vocabulary.json"
DEFAULT_ROOM = "default"
MAX_WORDS = 50
MAX_WORD_CHARS = 30
MAX_ROOMS = 1000
_lock = threading.Lock()


def clean_words(words: list[str]) -> list[str]:
    """Trimmed and de-duplicated; ValueError (a message for the user) when there are too many or one is too long."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in words:
        word = " ".join(str(raw).split())
        if not _writable(word):
            raise ValueError(f"热词含有无法保存的字符 (a hot word holds characters that cannot be saved): {word!r}")
        if len(word) > MAX_WORD_CHARS:
            raise ValueError(
                f"热词最长 {MAX_WORD_CHARS} 个字 (hot words are at most {MAX_WORD_CHARS} characters): {word}"
            )
        if word and word.lower() not in seen:
            seen.add(word.lower())
            out.append(word)
    if len(out) > MAX_WORDS:
        raise ValueError(f"热词最多 {MAX_WORDS} 个 (at most {MAX_WORDS} hot words), 现有 {len(out)} 个")
    return out


def _writable(text: str) -> bool:
    """Text that UTF-8 can hold (no lone surrogates) and without control characters."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(ord(ch) < 32 for ch in text)


def check_room(room: str) -> str:
    if not _writable(room) or not room.strip():
        raise ValueError(f"直播间标识无效 (invalid room): {room!r}")
    return room


def _read(home: Path) -> dict[str, list[str]]:
    try:
        data = json.loads((home / FILE_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("hot words file unreadable, treated as empty: %s", exc)
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): [str(w) for w in v] for k, v in data.items() if isinstance(v, list)}


def load_words(home: Path, room: str) -> list[str]:
    return _read(home).get(room, [])


def room_words(home: Path, room: str) -> list[str]:
    """What a job in ``room`` gets: the room's own words, else the default list."""
    data = _read(home)
    return data.get(room) or data.get(DEFAULT_ROOM, [])


def save_words(home: Path, room: str, words: list[str]) -> list[str]:
    """Replace ``room``'s words (an empty list removes the room); atomic, owner-only. Answers what was saved."""
    check_room(room)
    cleaned = clean_words(words)
    with _lock:
        data = _read(home)
        if cleaned:
            data[room] = cleaned
        else:
            data.pop(room, None)
        if len(data) > MAX_ROOMS:
            raise ValueError(f"热词最多保存 {MAX_ROOMS} 个直播间 (hot words are kept for at most {MAX_ROOMS} rooms)")
        path = home / FILE_NAME
        tmp = path.with_suffix(".json.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
        tmp.replace(path)
    return cleaned
