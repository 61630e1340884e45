"""Engine selection by ``model_config.engine``. Adapters are imported only when chosen, so a missing optional package
(sherpa-onnx, funasr) matters only to the jobs that ask for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from services.ast.config import ModelConfig
from services.ast.engines.base import SAMPLE_RATE, Audio, Engine, ModelCheck, Recognition
from services.ast.model_files import WHISPER_BASE, ModelLocation, locate_model

__all__ = [
    "SAMPLE_RATE",
    "Audio",
    "Engine",
    "EngineFactory",
    "ModelCheck",
    "Recognition",
    "create_engine",
    "default_threads",
    "load_engine",
]

EngineFactory = Callable[[ModelConfig, Path], Engine]


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def load_engine(config: ModelConfig, location: ModelLocation) -> Engine:
    """Instantiate the adapter for an already located (and, where needed, probed) model."""
    threads = config.threads or default_threads()
    if config.engine == "whisper":
        from services.ast.engines.whisper import WhisperEngine, WhisperOptions

        options = WhisperOptions(
            threads=threads, compute_type=config.compute_type, window=config.window, beam_size=config.beam_size
        )
        return WhisperEngine(location, options)
    if config.engine == "sensevoice":
        from services.ast.engines.sensevoice import SenseVoiceEngine

        return SenseVoiceEngine(location, threads=threads)
    from services.ast.engines.funasr import FunAsrEngine

    return FunAsrEngine(location, threads=threads)


def create_engine(config: ModelConfig, models_dir: Path, *, prober: ModelCheck | None = None) -> Engine:
    """Locate the model (raising ModelMissing with where to put it), probe it when it is not ours, and load it.

    Blocking (seconds): call it from a worker thread.
    """
    location = locate_model(config, models_dir)
    # The packaged Whisper model is checksummed; any other model file is loaded in a subprocess first.
    if prober is not None and not (config.engine == "whisper" and location.name == WHISPER_BASE):
        prober.check(location)
    return load_engine(config, location)
