from __future__ import annotations

from pathlib import Path

import pytest

from services.streamcap.errors import StorageFull, UnsafePath
from services.streamcap.storage import DiskGuard, check_component, safe_join, sanitize_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("主播小猫", "主播小猫", id="chinese-kept"),
        pytest.param("a/b\\c", "a_b_c", id="separators"),
        pytest.param("../../etc/passwd", "_.._etc_passwd", id="traversal"),
        pytest.param("x\x00y", "xy", id="nul-dropped"),
        pytest.param('what?<>:"|*', "what_______", id="windows-forbidden"),
        pytest.param("CON", "_CON", id="reserved"),
        pytest.param("com1.txt", "_com1.txt", id="reserved-with-ext"),
        pytest.param("...", "untitled", id="only-dots"),
        pytest.param("  name.  ", "name", id="trailing-dot-space"),
        pytest.param("", "untitled", id="empty"),
        pytest.param("a\u202eb", "ab", id="bidi-override"),
        pytest.param("x" * 300, "x" * 80, id="long"),
    ],
)
def test_sanitize_name(raw: str, expected: str) -> None:
    assert sanitize_name(raw) == expected


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("..", id="dotdot"),
        pytest.param(".", id="dot"),
        pytest.param("", id="empty"),
        pytest.param("/etc", id="absolute-posix"),
        pytest.param("C:\\x", id="absolute-windows"),
        pytest.param("C:x", id="drive-relative"),
        pytest.param("a/b", id="slash"),
        pytest.param("a\\b", id="backslash"),
        pytest.param("a\x00b", id="nul"),
        pytest.param("NUL", id="reserved"),
        pytest.param("lpt1.log", id="reserved-ext"),
        pytest.param("name.", id="trailing-dot"),
        pytest.param(".hidden", id="leading-dot"),
        pytest.param("a*b", id="star"),
    ],
)
def test_check_component_refuses(name: str) -> None:
    with pytest.raises(UnsafePath):
        check_component(name)


def test_check_component_accepts_plain_names() -> None:
    assert check_component("主播 1") == "主播 1"
    assert check_component("room-2024.a") == "room-2024.a"


def test_safe_join_stays_inside(tmp_path: Path) -> None:
    assert safe_join(tmp_path, "a") == (tmp_path / "a").resolve()
    with pytest.raises(UnsafePath):
        safe_join(tmp_path, "..")


def test_safe_join_refuses_symlink_escape(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    (tmp_path / "outside").mkdir()
    with pytest.raises(UnsafePath):
        safe_join(root, "link", "outside")


def test_disk_guard_threshold(tmp_path: Path) -> None:
    free = {"bytes": 10_000}
    guard = DiskGuard(min_free_bytes=5_000, free_bytes=lambda _p: free["bytes"])
    assert guard.has_room(tmp_path)
    assert not guard.has_room(tmp_path, extra=6_000)
    guard.check(tmp_path)
    free["bytes"] = 4_000
    with pytest.raises(StorageFull) as info:
        guard.check(tmp_path)
    assert info.value.free == 4_000
