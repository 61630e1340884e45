"""Choosing the ffmpeg binary: override, (frozen) the bundled one, a recent enough PATH ffmpeg, else the wheel's."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import ffmpeg


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("TIMAO_FFMPEG", raising=False)
    ffmpeg.find_ffmpeg.cache_clear()
    yield
    ffmpeg.find_ffmpeg.cache_clear()


def fake_ffmpeg(folder: Path, version_line: str) -> Path:
    """A stand-in ffmpeg on PATH that prints a version banner like the real one."""
    folder.mkdir(parents=True, exist_ok=True)
    binary = folder / "ffmpeg"
    binary.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


@pytest.mark.parametrize(
    ("banner", "expected"),
    [
        ("ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026", (5, 1)),
        ("ffmpeg version n7.1 Copyright", (7, 1)),
        ("ffmpeg version N-112233-gabcdef Copyright", None),
    ],
)
def test_version_parsing(tmp_path: Path, banner: str, expected: tuple[int, int] | None) -> None:
    assert ffmpeg.ffmpeg_version(str(fake_ffmpeg(tmp_path, banner))) == expected


def test_recent_path_ffmpeg_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = fake_ffmpeg(tmp_path / "bin", "ffmpeg version 7.1 Copyright")
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ['PATH']}")
    assert ffmpeg.find_ffmpeg() == str(binary)


def test_old_path_ffmpeg_gives_way_to_the_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = fake_ffmpeg(tmp_path / "bin", "ffmpeg version 5.1.9-0+deb12u1 Copyright")
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ['PATH']}")
    chosen = ffmpeg.find_ffmpeg()
    assert chosen != str(binary) and "imageio_ffmpeg" in chosen


def test_override_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMAO_FFMPEG", "/opt/ffmpeg/bin/ffmpeg")
    assert ffmpeg.find_ffmpeg() == "/opt/ffmpeg/bin/ffmpeg"


def test_frozen_app_takes_its_bundled_ffmpeg_before_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The desktop build: <bundle>/ffmpeg/ffmpeg (build_backend.py) wins over a recent PATH ffmpeg, not the override.
    on_path = fake_ffmpeg(tmp_path / "bin", "ffmpeg version 7.1 Copyright")
    monkeypatch.setenv("PATH", f"{on_path.parent}{os.pathsep}{os.environ['PATH']}")
    bundled = fake_ffmpeg(tmp_path / "bundle" / "ffmpeg", "ffmpeg version 7.1.3 Copyright")
    monkeypatch.setattr("sys.frozen", True, raising=False)
    monkeypatch.setattr("sys._MEIPASS", str(tmp_path / "bundle"), raising=False)
    assert ffmpeg.find_ffmpeg() == str(bundled)
    ffmpeg.find_ffmpeg.cache_clear()
    monkeypatch.setenv("TIMAO_FFMPEG", "/opt/ffmpeg/bin/ffmpeg")
    assert ffmpeg.find_ffmpeg() == "/opt/ffmpeg/bin/ffmpeg"
    ffmpeg.find_ffmpeg.cache_clear()
    monkeypatch.delenv("TIMAO_FFMPEG")
    bundled.unlink()  # a bundle without one (Windows, macOS: imageio-ffmpeg's): PATH as before
    assert ffmpeg.find_ffmpeg() == str(on_path)
