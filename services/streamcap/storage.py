"""Where recordings may be written: name sanitizing, a strict path check, and the free-space guard.

Two kinds of outside text reach file names. Display names (a streamer's nickname, a room title) are *sanitized*:
anything unsafe is replaced, so the name always works. Names a client picks as paths (a room's sub-folder) are
*checked*: anything unsafe is refused with ``UnsafePath``, so a crafted value never silently lands elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.streamcap.errors import StorageFull, UnsafePath

__all__ = ["DiskGuard", "check_component", "default_free_bytes", "safe_join", "sanitize_name"]

# Windows refuses these as file names whatever the extension ("CON.txt" too); we refuse them on every OS so a
# recordings folder can be copied between machines.
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in range(10)}
    | {f"LPT{i}" for i in range(10)}
    | {f"COM{c}" for c in "¹²³"}
    | {f"LPT{c}" for c in "¹²³"}
)
_FORBIDDEN_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_MAX_NAME = 80


def _is_reserved(name: str) -> bool:
    return name.split(".", 1)[0].strip().upper() in _RESERVED


def sanitize_name(text: str, *, fallback: str = "untitled", max_length: int = _MAX_NAME) -> str:
    """A file-name-safe version of display text: unsafe characters become ``_``, never empty, never reserved."""
    text = unicodedata.normalize("NFC", text)
    # Format and control characters (bidi overrides, zero-width joiners) can disguise a name; drop them.
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = _FORBIDDEN_CHARS.sub("_", text)
    text = re.sub(r"\s+", " ", text).strip()
    # Windows strips trailing dots and spaces, which could merge two names; a leading dot hides the file.
    text = text.strip(". ")
    if len(text) > max_length:
        text = text[:max_length].rstrip(". ")
    if not text or set(text) <= {"_"}:
        text = fallback
    if _is_reserved(text):
        text = f"_{text}"
    return text


def check_component(name: str) -> str:
    """Return ``name`` if it is one safe path component, else raise ``UnsafePath`` saying why."""
    if not isinstance(name, str) or not name:
        raise UnsafePath("路径不能为空 (empty name)")
    if "\x00" in name:
        raise UnsafePath("路径含有空字符 (NUL in name)")
    if name in (".", ".."):
        raise UnsafePath(f"不允许的路径 (not allowed): {name!r}")
    if "/" in name or "\\" in name or os.sep in name or (os.altsep and os.altsep in name):
        raise UnsafePath(f"路径不能包含分隔符 (no separators allowed): {name!r}")
    if os.path.isabs(name) or re.match(r"^[A-Za-z]:", name):
        raise UnsafePath(f"不允许绝对路径 (absolute path): {name!r}")
    if _FORBIDDEN_CHARS.search(name):
        raise UnsafePath(f"路径含有非法字符 (forbidden character): {name!r}")
    if name.strip(". ") != name:
        raise UnsafePath(f"路径不能以点或空格开头或结尾 (leading/trailing dot or space): {name!r}")
    if _is_reserved(name):
        raise UnsafePath(f"保留的文件名 (reserved name): {name!r}")
    if len(name) > 120:
        raise UnsafePath("路径过长 (name too long)")
    return name


def safe_join(root: Path, *parts: str) -> Path:
    """``root/part/...`` after checking every part, and proven (symlinks resolved) to stay inside ``root``."""
    for part in parts:
        check_component(part)
    base = root.resolve()
    candidate = base.joinpath(*parts).resolve()
    if candidate != base and base not in candidate.parents:
        raise UnsafePath(f"路径超出录制目录 (outside the recordings folder): {candidate}")
    return candidate


def default_free_bytes(path: Path) -> int:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


@dataclass(frozen=True)
class DiskGuard:
    """Refuses to start, and tells a running recording to stop, before the disk fills. The minimum may be a callable,
    read at every check, so a changed setting reaches the recordings already running."""

    min_free_bytes: int | Callable[[], int] = 1 << 30
    free_bytes: Callable[[Path], int] = default_free_bytes

    @property
    def minimum(self) -> int:
        return self.min_free_bytes() if callable(self.min_free_bytes) else self.min_free_bytes

    def has_room(self, path: Path, extra: int = 0) -> bool:
        return self.free_bytes(path) - extra >= self.minimum

    def check(self, path: Path, extra: int = 0) -> None:
        free, minimum = self.free_bytes(path), self.minimum
        if free - extra < minimum:
            raise StorageFull(str(path), free, minimum)
