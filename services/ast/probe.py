"""Load a model in a throwaway process before the service loads it: a bad model file can kill its loader outright.

``python -m services.ast.probe ENGINE MODEL_DIR`` loads the model, decodes half a second of silence, prints one JSON
line and exits 0; any other exit (a crash, a signal, an exception) means the model is unusable.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from services.ast.errors import ModelInvalid
from services.ast.model_files import ModelLocation

__all__ = ["ModelProber", "default_probe_command", "main"]

log = logging.getLogger(__name__)

ProbeCommand = Callable[[str, Path], list[str]]
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_probe_command(engine: str, model_dir: Path) -> list[str]:
    if getattr(sys, "frozen", False):  # the one executable of a PyInstaller build: its ``service`` subcommand
        return [sys.executable, "service", "services.ast.probe", engine, str(model_dir)]
    return [sys.executable, "-m", "services.ast.probe", engine, str(model_dir)]


class ModelProber:
    """Runs the probe once per model file (keyed by path, size and mtime) and remembers the models that passed."""

    def __init__(self, command: ProbeCommand = default_probe_command, *, timeout_s: float = 300.0) -> None:
        self._command = command
        self._timeout_s = timeout_s
        self._passed: set[tuple[str, str, int, int]] = set()
        self._lock = threading.Lock()

    def check(self, location: ModelLocation) -> None:
        try:
            stat = location.weights.stat()
        except OSError as exc:
            raise ModelInvalid(f"无法读取模型文件 (cannot read model file) {location.weights}: {exc}") from exc
        key = (location.engine, str(location.weights), stat.st_size, stat.st_mtime_ns)
        with self._lock:
            if key in self._passed:
                return
            cmd = self._command(location.engine, location.path)
            log.info("probing %s model in a subprocess: %s", location.engine, location.path)
            try:
                done = subprocess.run(
                    cmd, cwd=_PROJECT_ROOT, capture_output=True, text=True, timeout=self._timeout_s, check=False
                )
            except subprocess.TimeoutExpired as exc:
                raise ModelInvalid(
                    f"模型加载超时 (model probe timed out after {self._timeout_s:g}s): {location.path}"
                ) from exc
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                how = f"signal {-done.returncode}" if done.returncode < 0 else f"exit code {done.returncode}"
                detail = f"{location.path} ({how}) {' | '.join(tail)}"
                raise ModelInvalid(f"模型文件损坏或不兼容 (model is damaged or incompatible): {detail}")
            self._passed.add(key)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m services.ast.probe ENGINE MODEL_DIR", file=sys.stderr)
        return 2
    import numpy as np

    from services.ast.config import ModelConfig
    from services.ast.engines import load_engine
    from services.ast.model_files import locate_model

    engine_name, model_dir = args
    config = ModelConfig.model_validate({"engine": engine_name, "model": model_dir, "threads": 1})
    location = locate_model(config, Path(model_dir).parent)
    engine = load_engine(config, location)
    result = engine.transcribe(np.zeros(8000, dtype=np.float32), language=None)
    print(json.dumps({"ok": True, "engine": engine_name, "text": result.text}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "probe"
    sys.exit(main())
