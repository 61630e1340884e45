"""The entry of the frozen backend (``TimaoBackend``, built by ``build_backend.py``): ``timao`` in one executable.

    TimaoBackend                      timao up (what the Electron app runs)
    TimaoBackend up --demo | status | stop | logs ...     the same ``timao`` subcommands
    TimaoBackend service NAME [ARGS]  run a service or helper module in this process: ``gateway``, ``streamcap``,
                                      ``douyin_fetcher``, ``ast``, or a module such as
                                      ``services.douyin_fetcher.fake_server``, ``services.streamcap.synthetic``,
                                      ``services.ast.probe`` (how the launcher and the AST probe start children)
    TimaoBackend -m MODULE [ARGS]     the same as ``service MODULE``, for code that re-runs ``sys.executable -m``

Before the subcommand runs, a frozen process puts its house in order:

- children that are not this executable (redis-server, ffmpeg) get the library path the user had, not the bundle's;
- one-file build, top-level run: the launcher dies with the bootloader that unpacked it (Linux parent-death
  signal), records which bootloader owns its unpacked ``_MEI*`` folder, and removes the folders of our own earlier
  runs whose bootloader is gone (a killed run cannot clean up after itself);
- Windows, top-level run: the process joins a job object that kills every descendant when the launcher goes;
- ``TIMAO_DIE_WITH_PARENT=1`` (the Electron app sets it), top-level run: when the process that started us dies
  (an app crash), stop as on SIGTERM; without it the backend outlives its parent as ``timao up`` does.

Children die with their parent either way: the launcher gives each service the parent-death signal
(``launcher/procs.py``) and stops them all on SIGTERM.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "MARKER",
    "OWNER_FILE",
    "clean_stale_unpacked",
    "is_frozen",
    "main",
    "resolve_argv",
    "unpacked_dir",
    "watch_parent",
]

log = logging.getLogger(__name__)

MARKER = "timao_backend.json"  # written into the bundle's root by build_backend.py
OWNER_FILE = ".timao-owner.json"
# An unpacked folder without an owner record is a run killed while unpacking, or one starting right now.
UNOWNED_GRACE_S = 600.0
_PR_SET_PDEATHSIG = 1
PARENT_POLL_S = 0.5


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def unpacked_dir() -> Path | None:
    """The temporary folder a one-file build unpacked into; None from source or in a one-folder build."""
    meipass = getattr(sys, "_MEIPASS", None)
    if not is_frozen() or not meipass:
        return None
    bundle = Path(meipass).resolve()
    home = Path(sys.executable).resolve().parent
    return None if bundle == home or home in bundle.parents else bundle


def _subcommands() -> set[str]:
    from launcher.cli import build_parser

    subparsers = build_parser()._subparsers
    assert subparsers is not None
    return {str(name) for name in subparsers._group_actions[0].choices or ()}


def resolve_argv(argv: Sequence[str]) -> list[str]:
    """The ``timao`` arguments for a command line of the executable."""
    args = list(argv)
    if len(args) >= 2 and args[0] == "-m":
        return ["service", *args[1:]]
    if not args or (args[0] not in _subcommands() and args[0] not in ("-h", "--help")):
        return ["up", *args]
    return args


def _restore_library_path() -> None:
    # The bootloader points LD_LIBRARY_PATH at the bundle for itself; redis-server and ffmpeg want the system's.
    # A frozen child resets it again on its own.
    for var in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"):
        original = os.environ.pop(f"{var}_ORIG", None)
        if original is not None:
            os.environ[var] = original
        elif var in os.environ and getattr(sys, "_MEIPASS", None) in os.environ[var].split(os.pathsep):
            del os.environ[var]


def _die_with_bootloader() -> int | None:
    """Linux, one-file: end (politely) when the bootloader that unpacked us is killed. Answers its pid."""
    import psutil

    parent = os.getppid()
    try:
        same = Path(psutil.Process(parent).exe()).resolve() == Path(sys.executable).resolve()
    except (psutil.Error, OSError):
        same = False
    if not same:
        return None
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # it died before the signal was armed
            sys.exit(1)
    return parent


def _write_owner(bundle: Path, owner_pid: int) -> None:
    import psutil

    try:
        created = psutil.Process(owner_pid).create_time()
    except psutil.Error:
        return
    with contextlib.suppress(OSError):
        (bundle / OWNER_FILE).write_text(json.dumps({"pid": owner_pid, "create_time": created}), encoding="utf-8")


def _owner_alive(record: dict[str, object]) -> bool:
    import psutil

    try:
        proc = psutil.Process(int(str(record["pid"])))
        return bool(abs(proc.create_time() - float(str(record["create_time"]))) < 1.0)
    except (psutil.Error, KeyError, TypeError, ValueError):
        return False


def clean_stale_unpacked(temp_root: Path, *, keep: Path | None = None, now: float | None = None) -> list[Path]:
    """Remove our own ``_MEI*`` folders under ``temp_root`` whose bootloader is gone; answers what was removed.

    Only folders holding our marker are touched (other PyInstaller apps unpack there too); a folder whose owner
    record names a live process, or without a record but younger than ``UNOWNED_GRACE_S``, is in use.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        candidates = sorted(p for p in temp_root.glob("_MEI*") if p.is_dir() and not p.is_symlink())
    except OSError:
        return removed
    for folder in candidates:
        if keep is not None and folder.resolve() == keep.resolve():
            continue
        if not (folder / MARKER).is_file():
            continue
        try:
            record = json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            record = None
        except (OSError, ValueError):
            record = {}
        try:
            if record is None and now - folder.stat().st_mtime < UNOWNED_GRACE_S:
                continue
        except OSError:
            continue
        if record and _owner_alive(record):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    return removed


def _kill_tree_with_me_windows() -> None:
    """Windows: every process started from here on dies when this one ends (a job object that kills on close)."""
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]

    class _Basic(ctypes.Structure):
        _fields_ = [
            ("PerProcessUserTimeLimit", ctypes.c_int64),
            ("PerJobUserTimeLimit", ctypes.c_int64),
            ("LimitFlags", wintypes.DWORD),
            ("MinimumWorkingSetSize", ctypes.c_size_t),
            ("MaximumWorkingSetSize", ctypes.c_size_t),
            ("ActiveProcessLimit", wintypes.DWORD),
            ("Affinity", ctypes.c_size_t),
            ("PriorityClass", wintypes.DWORD),
            ("SchedulingClass", wintypes.DWORD),
        ]

    class _Io(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint64) for n in ("R", "W", "O", "RT", "WT", "OT")]

    class _Extended(ctypes.Structure):
        _fields_ = [
            ("BasicLimitInformation", _Basic),
            ("IoInfo", _Io),
            ("ProcessMemoryLimit", ctypes.c_size_t),
            ("JobMemoryLimit", ctypes.c_size_t),
            ("PeakProcessMemoryUsed", ctypes.c_size_t),
            ("PeakJobMemoryUsed", ctypes.c_size_t),
        ]

    job_object_limit_kill_on_job_close, job_object_extended_limit_information = 0x2000, 9
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        return
    info = _Extended()
    info.BasicLimitInformation.LimitFlags = job_object_limit_kill_on_job_close
    kernel32.SetInformationJobObject(
        job, job_object_extended_limit_information, ctypes.byref(info), ctypes.sizeof(info)
    )
    kernel32.AssignProcessToJobObject(job, kernel32.GetCurrentProcess())
    # The handle stays open for the process's life on purpose: closing it (at exit, or a crash) kills the tree.


def watch_parent(parent: int, poll_s: float = PARENT_POLL_S) -> threading.Thread:
    """Raise SIGTERM in this process (the launcher's orderly stop) once process ``parent`` is gone."""
    import psutil

    try:
        created: float | None = psutil.Process(parent).create_time()
    except psutil.Error:
        created = None

    def gone() -> bool:
        try:
            proc = psutil.Process(parent)
            return created is None or proc.create_time() != created or proc.status() == psutil.STATUS_ZOMBIE
        except psutil.Error:
            return True

    def run() -> None:
        while not gone():
            time.sleep(poll_s)
        print(f"timao: parent process {parent} is gone; stopping", file=sys.stderr, flush=True)
        main_ident = threading.main_thread().ident
        if hasattr(signal, "pthread_kill") and main_ident is not None:
            signal.pthread_kill(main_ident, signal.SIGTERM)  # to the main thread: it wakes from any sleep
        else:
            signal.raise_signal(signal.SIGTERM)

    thread = threading.Thread(target=run, name="parent-watch", daemon=True)
    thread.start()
    return thread


def _starter(bootloader: int | None) -> int:
    """Who started the executable: our parent, or in a one-file build the bootloader's parent."""
    import psutil

    if bootloader is None:
        return os.getppid()
    try:
        return int(psutil.Process(bootloader).ppid())
    except psutil.Error:
        return os.getppid()


def prepare(*, top_level: bool) -> None:
    """Put a frozen process's house in order (see the module docstring)."""
    _restore_library_path()
    if not top_level:
        return
    if sys.platform == "win32":
        with contextlib.suppress(OSError, AttributeError):
            _kill_tree_with_me_windows()
    bundle = unpacked_dir()
    bootloader = None
    if bundle is not None:
        bootloader = _die_with_bootloader()
        _write_owner(bundle, bootloader or os.getpid())
        for folder in clean_stale_unpacked(bundle.parent, keep=bundle):
            print(f"timao: removed a stale unpacked folder of an earlier run: {folder}", file=sys.stderr)
    if os.environ.get("TIMAO_DIE_WITH_PARENT") == "1":
        watch_parent(_starter(bootloader))


def main(argv: Sequence[str] | None = None) -> int:
    args = resolve_argv(sys.argv[1:] if argv is None else argv)
    if is_frozen():
        prepare(top_level=args[0] != "service")
    from launcher.cli import main as timao

    return timao(args)


if __name__ == "__main__":
    sys.exit(main())
