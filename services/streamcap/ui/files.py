"""The storage browser's view of the disk: folders and files under the recordings folder, never outside it.

A folder is named by its parts below the root (``("主播A", "2026-01-01")``); every part is checked and the
result proven to stay inside the root by ``storage.safe_join``, so ``..``, absolute paths and symlinks that lead
out are refused. Entries whose names are not safe path components (hidden files, odd names) are left out.
Blocking (file system): call it from a worker thread.
"""

from __future__ import annotations

import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from services.streamcap.errors import NotFound, UnsafePath
from services.streamcap.storage import safe_join

__all__ = ["MAX_ENTRIES", "Entry", "Listing", "list_folder"]

MAX_ENTRIES = 1000


@dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool
    size: int
    modified: float  # seconds since the epoch
    path: str  # absolute, for the user to find the file


@dataclass(frozen=True)
class Listing:
    parts: tuple[str, ...]
    path: str
    entries: list[Entry]
    total_bytes: int  # of the files listed here (not recursive)
    truncated: bool


def list_folder(root: Path, parts: Sequence[str] = ()) -> Listing:
    """Folders first, then files, each by name. Raises ``UnsafePath`` or ``NotFound``."""
    parts = tuple(parts)
    folder = safe_join(root, *parts)
    if not folder.exists() and not parts:
        return Listing(parts, str(folder), [], 0, truncated=False)
    if not folder.is_dir():
        raise NotFound(f"文件夹不存在 (no folder {'/'.join(parts)})")
    entries: list[Entry] = []
    truncated = False
    for child in sorted(folder.iterdir(), key=lambda p: p.name):
        try:
            inside = safe_join(root, *parts, child.name)  # refuses odd names and symlinks leading out
            info = inside.stat()
        except (UnsafePath, OSError):
            continue
        if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
            continue
        if len(entries) >= MAX_ENTRIES:
            truncated = True
            break
        is_dir = stat.S_ISDIR(info.st_mode)
        entries.append(Entry(child.name, is_dir, 0 if is_dir else info.st_size, info.st_mtime, str(inside)))
    entries.sort(key=lambda e: (not e.is_dir, e.name))
    total = sum(e.size for e in entries)
    return Listing(parts, str(folder), entries, total, truncated)
