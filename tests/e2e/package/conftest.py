"""The built backend (``build_backend.py``) for the package tests: built once per session, or reused when fresh.

The build takes 5-7 minutes on two shared cores, so ``make package-test`` (a step of ``make test``) builds ``dist/``
only when a source changed and runs these tests on it; the plain pytest run leaves them out (``-m "not package"``).

- ``TIMAO_PACKAGE_DIST=DIR``: test the build in DIR;
- otherwise: reuse ``dist/`` when its build is newer than every source file, else build into a temporary folder once
  per session.

Both variants come from one PyInstaller analysis: the one-folder build (primary) and the one-file build
(``variants/onefile``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.harness import PROJECT_ROOT

BUILD_TIMEOUT_S = 3600
NAME = "TimaoBackend"
_SOURCE_DIRS = ("launcher", "services", "shared")


@dataclass(frozen=True)
class Built:
    dist: Path
    onedir: Path  # the executable inside the one-folder build
    onefile: Path  # the one-file executable
    report: dict[str, object]


def _exe(name: str = NAME) -> str:
    return name + (".exe" if sys.platform == "win32" else "")


def _locate(dist: Path) -> Built | None:
    report_path = dist / f"{NAME}.build.json"
    onedir = dist / NAME / _exe()
    onefile = dist / "variants" / "onefile" / _exe()
    if not (report_path.is_file() and onedir.is_file() and onefile.is_file()):
        return None
    return Built(dist, onedir, onefile, json.loads(report_path.read_text(encoding="utf-8")))


def newest_source_mtime() -> float:
    paths = [PROJECT_ROOT / "build_backend.py", PROJECT_ROOT / "frontend" / "dist" / "index.html"]
    for folder in _SOURCE_DIRS:
        paths += [p for p in (PROJECT_ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return max((p.stat().st_mtime for p in paths if p.exists()), default=0.0)


def _fresh(built: Built | None) -> bool:
    if built is None:
        return False
    return (built.dist / f"{NAME}.build.json").stat().st_mtime >= newest_source_mtime()


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    given = os.environ.get("TIMAO_PACKAGE_DIST")
    if given:
        built = _locate(Path(given).resolve())
        if built is None:
            pytest.fail(f"TIMAO_PACKAGE_DIST={given} holds no one-folder + one-file build of {NAME}")
        yield built
        return
    default = _locate(PROJECT_ROOT / "dist")
    if _fresh(default):
        assert default is not None
        yield default
        return
    dist = tmp_path_factory.mktemp("package") / "dist"
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "build_backend.py"), "--dist", str(dist), "--extra", "onefile",
         "--work", str(PROJECT_ROOT / "build" / "pyinstaller-test")],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"build failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    built = _locate(dist)
    assert built is not None, f"the build left no artifacts in {dist}:\n{done.stdout[-2000:]}"
    yield built
