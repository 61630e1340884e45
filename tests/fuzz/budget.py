"""How much the fuzz tests run: a fixed, reproducible budget in ``make test``, or a longer random pass on demand.

    .venv/bin/pytest tests/fuzz                                   # the bounded pass (derandomized, no example database)
    TIMAO_FUZZ_EXAMPLES=20000 .venv/bin/pytest tests/fuzz -x      # a longer pass with fresh random inputs
    .venv/bin/python bench/fuzz.py --examples 20000               # the same, with a summary

A longer pass keeps hypothesis's example database in ``.hypothesis/`` (git-ignored), so a failure it found is tried
first the next time, and writes every failing Douyin frame to ``test-artifacts/fuzz/douyin/`` (the newest file is
the shrunk one): copy it into tests/fuzz/corpus/douyin/ once fixed, so the normal pass replays it for good.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

__all__ = ["ARTIFACTS", "ENV", "examples", "fuzz_settings", "long_pass", "save_failure"]

ENV = "TIMAO_FUZZ_EXAMPLES"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "fuzz"


def long_pass() -> bool:
    return bool(os.environ.get(ENV, "").strip())


def examples(default: int) -> int:
    """``default`` for the bounded pass, else the number asked for in TIMAO_FUZZ_EXAMPLES."""
    return int(os.environ[ENV]) if long_pass() else default


def fuzz_settings(default_examples: int, *, deadline_s: float = 2.0) -> settings:
    """Settings for one fuzz test. ``deadline_s`` bounds one example: a frame or request that takes longer is a hang.

    The bound is far above what an example takes (milliseconds) because the test machines are shared; a real hang
    also meets pytest-timeout.
    """
    common = {
        "deadline": timedelta(seconds=deadline_s),
        # Generating whole protobufs and requests is slow by hypothesis's standards, and that is expected.
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        "print_blob": True,
    }
    if long_pass():
        return settings(
            max_examples=examples(default_examples),
            derandomize=False,
            database=DirectoryBasedExampleDatabase(ROOT / ".hypothesis" / "examples"),
            **common,  # type: ignore[arg-type]
        )
    # make test: the same inputs on every run and machine, and nothing written to disk.
    return settings(max_examples=default_examples, derandomize=True, database=None, **common)  # type: ignore[arg-type]


def save_failure(kind: str, data: bytes) -> Path | None:
    """Keep a failing input of a long pass (``test-artifacts/fuzz/<kind>/<sha>.bin``); nothing in the bounded pass."""
    if not long_pass():
        return None
    folder = ARTIFACTS / kind
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.bin"
    path.write_bytes(data)
    return path
