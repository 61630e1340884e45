"""build_backend.py's trimming of the desktop build: stripping checked by the loader's own rule, dropped data files.

Real libraries from the venv and the real ``strip``: NumPy's OpenBLAS (rewritten by auditwheel's patchelf) is the
library plain stripping broke in the build, CTranslate2's extension the one with the most to gain.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
from pathlib import Path

import ctranslate2
import numpy
import pytest

import build_backend

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the build strips on Linux only")


def _openblas() -> Path:
    libs = Path(numpy.__file__).resolve().parent.parent / "numpy.libs"
    return next(p for p in libs.iterdir() if "openblas" in p.name)


def _ct2_extension() -> Path:
    return next(Path(ctranslate2.__file__).parent.glob("_ext*.so"))


def test_the_loader_rule_tells_a_broken_strip_from_a_good_one(tmp_path: Path) -> None:
    original = _openblas()
    assert build_backend._elf_loadable(original)
    broken = tmp_path / original.name
    shutil.copyfile(original, broken)
    subprocess.run(["strip", "--strip-unneeded", str(broken)], check=True)
    assert not build_backend._elf_loadable(broken)
    with pytest.raises(OSError, match="page-aligned"):  # what the services hit before the check
        ctypes.CDLL(str(broken))
    (tmp_path / "notes.txt").write_text("not a library", encoding="utf-8")
    assert not build_backend._elf_loadable(tmp_path / "notes.txt")


def test_stripped_keeps_what_would_break_and_shrinks_the_rest(tmp_path: Path) -> None:
    blas, ext = _openblas(), _ct2_extension()
    toc = [
        (f"numpy.libs/{blas.name}", str(blas), "BINARY"),
        (f"ctranslate2/{ext.name}", str(ext), "EXTENSION"),
    ]
    out = build_backend._stripped(toc, tmp_path)
    assert out[0] == toc[0]  # the original: its stripped copy would not load
    dest, src, kind = out[1]
    assert (dest, kind) == toc[1][::2] and Path(src).is_relative_to(tmp_path)
    assert Path(src).stat().st_size < ext.stat().st_size / 10  # 66 MB of debug information gone
    assert build_backend._elf_loadable(Path(src))
    assert build_backend._stripped(toc, tmp_path) == out  # cached


def test_unused_data_files_are_dropped() -> None:
    assert build_backend._dropped(("jieba/lac_small/model_baseline/crf", "src", "DATA"))
    assert build_backend._dropped(("flet_web/web/pyodide/pyodide.asm.wasm", "src", "DATA"))
    assert build_backend._dropped(("flet_web/web/flutter.js.map", "src", "DATA"))
    assert not build_backend._dropped(("jieba/dict.txt", "src", "DATA"))
    assert not build_backend._dropped(("flet_web/web/canvaskit/canvaskit.wasm", "src", "DATA"))
    # The WebAssembly renderer goes (StreamCap's UI asks for CanvasKit), CanvasKit and the JavaScript app stay.
    for wasm_renderer in ("main.dart.wasm", "main.dart.mjs", "canvaskit/skwasm_heavy.wasm", "canvaskit/wimp.js"):
        assert build_backend._dropped((f"flet_web/web/{wasm_renderer}", "src", "DATA"))
    for kept in ("main.dart.js", "canvaskit/chromium/canvaskit.wasm", "canvaskit/canvaskit.js", "flutter_bootstrap.js"):
        assert not build_backend._dropped((f"flet_web/web/{kept}", "src", "DATA"))
