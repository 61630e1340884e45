"""Rewrite a CTranslate2 model file with int8 weights, the form the desktop build ships the Whisper model in.

The packaged Whisper base model stores its weights in float16 (145 MB); the worker loads it with
``compute_type="int8"``, so CTranslate2 quantizes every linear, convolution and embedding weight at each load anyway.
Doing that once at build time halves the file and the load, and gives the same weights: per output row, scale =
127 / max |w| and w8 = round(w * scale), stored as ``<name>_scale`` beside the int8 ``<name>`` — what CTranslate2's
own converter writes for ``--quantization int8``. Other variables (layer norms, biases, position encodings) stay as
they are. Needs only numpy; never torch or transformers.

The model.bin layout (binary version 2-6): version, spec name, revision, variables (name, shape, dtype id, bytes),
then aliases (name, target).
"""

from __future__ import annotations

import json
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = ["Ct2Model", "quantize_int8", "quantize_model_dir", "read_model", "write_model"]

# CTranslate2's DataType enum order (include/ctranslate2/types.h).
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_FLOATS = ("float32", "float16")
_QUANTIZABLE_SUFFIX = "/weight"  # Linear, Conv1D and Embeddings weights: the variables with a ``weight_scale``
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt", "vocabulary.json", "preprocessor_config.json")


@dataclass
class Ct2Model:
    version: int
    spec: str
    revision: int
    variables: dict[str, tuple[str, tuple[int, ...], bytes]]  # name -> (dtype, shape, raw bytes)
    aliases: list[tuple[str, str]]


def _read_string(fh: BinaryIO) -> str:
    (length,) = struct.unpack("<H", fh.read(2))
    return fh.read(length)[:-1].decode("utf-8")


def _write_string(fh: BinaryIO, text: str) -> None:
    data = text.encode("utf-8")
    fh.write(struct.pack("<H", len(data) + 1) + data + b"\0")


def read_model(path: Path) -> Ct2Model:
    with path.open("rb") as fh:
        (version,) = struct.unpack("<I", fh.read(4))
        if not 2 <= version <= 6:
            raise ValueError(f"unsupported CTranslate2 model version {version} in {path}")
        spec = _read_string(fh)
        (revision,) = struct.unpack("<I", fh.read(4))
        (count,) = struct.unpack("<I", fh.read(4))
        variables: dict[str, tuple[str, tuple[int, ...], bytes]] = {}
        for _ in range(count):
            name = _read_string(fh)
            (rank,) = struct.unpack("<B", fh.read(1))
            shape = struct.unpack(f"<{rank}I", fh.read(4 * rank))
            if version >= 4:
                (type_id,) = struct.unpack("<B", fh.read(1))
                (size,) = struct.unpack("<I", fh.read(4))
                dtype = _DTYPES[type_id]
            else:
                (item,) = struct.unpack("<B", fh.read(1))
                (count_items,) = struct.unpack("<I", fh.read(4))
                dtype, size = {4: "float32", 2: "int16", 1: "int8"}[item], item * count_items
            variables[name] = (dtype, tuple(shape), fh.read(size))
        aliases: list[tuple[str, str]] = []
        if version >= 3:
            (n_aliases,) = struct.unpack("<I", fh.read(4))
            aliases = [(_read_string(fh), _read_string(fh)) for _ in range(n_aliases)]
    return Ct2Model(version, spec, revision, variables, aliases)


def write_model(model: Ct2Model, path: Path) -> None:
    if model.version < 4:
        raise ValueError("only model versions 4-6 can be written")
    with path.open("wb") as fh:
        fh.write(struct.pack("<I", model.version))
        _write_string(fh, model.spec)
        fh.write(struct.pack("<II", model.revision, len(model.variables)))
        for name, (dtype, shape, data) in model.variables.items():
            _write_string(fh, name)
            fh.write(struct.pack(f"<B{len(shape)}I", len(shape), *shape))
            fh.write(struct.pack("<BI", _DTYPES.index(dtype), len(data)))
            fh.write(data)
        fh.write(struct.pack("<I", len(model.aliases)))
        for alias, target in model.aliases:
            _write_string(fh, alias)
            _write_string(fh, target)


def _int8(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CTranslate2's int8 scheme: one scale per output row (a conv weight is flattened to rows first)."""
    rows = values.astype(np.float32).reshape(values.shape[0], -1)
    amax = np.amax(np.abs(rows), axis=1)
    amax[amax == 0] = 127.0
    amax = np.maximum(amax, np.float32(127) / np.finfo(np.float32).max)
    scale = (np.float32(127.0) / amax).astype(np.float32)
    quantized = np.rint(rows * scale[:, None]).astype(np.int8).reshape(values.shape)
    return quantized, scale


def quantize_int8(model: Ct2Model) -> Ct2Model:
    """A copy of ``model`` with every float weight matrix in int8 (already quantized ones are kept)."""
    variables: dict[str, tuple[str, tuple[int, ...], bytes]] = {}
    for name, (dtype, shape, data) in model.variables.items():
        if name.endswith(_QUANTIZABLE_SUFFIX) and dtype in _FLOATS and len(shape) >= 2:
            values = np.frombuffer(data, dtype=dtype).reshape(shape)
            q, scale = _int8(values)
            variables[name] = ("int8", shape, q.tobytes())
            variables[name + "_scale"] = ("float32", scale.shape, scale.tobytes())
        else:
            variables[name] = (dtype, shape, data)
    # Aliases stay as they are: CTranslate2 resolves an alias's ``_scale`` with it (Whisper's output projection is
    # its token embedding), as in the files its converter writes.
    return Ct2Model(model.version, model.spec, model.revision, variables, list(model.aliases))


def quantize_model_dir(source: Path, target: Path) -> Path:
    """Write an int8 copy of the CTranslate2 model folder ``source`` into ``target`` (side files copied as they are)."""
    target.mkdir(parents=True, exist_ok=True)
    write_model(quantize_int8(read_model(source / "model.bin")), target / "model.bin")
    for name in _SIDE_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, target / name)
    config = target / "config.json"
    if config.is_file():  # keep the file's own record of its weights honest
        data = json.loads(config.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "quantization" in data:
            data["quantization"] = "int8"
            config.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return target
