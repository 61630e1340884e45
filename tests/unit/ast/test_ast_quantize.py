"""The int8 form of the Whisper model the desktop build ships (services/ast/quantize.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from services.ast.config import ModelConfig
from services.ast.engines.whisper import WhisperEngine, WhisperOptions
from services.ast.model_files import WHISPER_BASE, ModelLocation, locate_model
from services.ast.quantize import Ct2Model, quantize_int8, quantize_model_dir, read_model, write_model
from tests.unit.ast.ast_fixtures import RATE, SPEECH_FLAC, decode_pcm, speech_manifest, word_error_rate


def _tiny(tmp_path: Path) -> tuple[Ct2Model, np.ndarray]:
    rng = np.random.default_rng(7)
    weight = (rng.standard_normal((4, 6)) * [[0.01], [1.0], [30.0], [0.0]]).astype(np.float16)
    conv = rng.standard_normal((3, 2, 5)).astype(np.float16)
    model = Ct2Model(
        version=6,
        spec="WhisperSpec",
        revision=3,
        variables={
            "decoder/embeddings/weight": ("float16", weight.shape, weight.tobytes()),
            "encoder/conv1/weight": ("float16", conv.shape, conv.tobytes()),
            "decoder/layer_norm/gamma": ("float16", (6,), np.ones(6, np.float16).tobytes()),
            "decoder/linear/bias": ("float32", (4,), np.arange(4, dtype=np.float32).tobytes()),
            "decoder/alignment_heads": ("int32", (1, 2), np.array([[3, 1]], np.int32).tobytes()),
        },
        aliases=[("decoder/projection/weight", "decoder/embeddings/weight")],
    )
    path = tmp_path / "model.bin"
    write_model(model, path)
    return read_model(path), weight


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    model, weight = _tiny(tmp_path)
    assert model.spec == "WhisperSpec" and model.revision == 3
    assert model.aliases == [("decoder/projection/weight", "decoder/embeddings/weight")]
    dtype, shape, data = model.variables["decoder/embeddings/weight"]
    assert (dtype, shape) == ("float16", (4, 6))
    assert np.array_equal(np.frombuffer(data, np.float16).reshape(shape), weight)


def test_weights_become_int8_with_one_scale_per_row(tmp_path: Path) -> None:
    model, weight = _tiny(tmp_path)
    out = quantize_int8(model)
    dtype, shape, data = out.variables["decoder/embeddings/weight"]
    assert (dtype, shape) == ("int8", (4, 6))
    q = np.frombuffer(data, np.int8).reshape(shape).astype(np.float32)
    scale_dtype, scale_shape, scale_data = out.variables["decoder/embeddings/weight_scale"]
    assert (scale_dtype, scale_shape) == ("float32", (4,))
    scale = np.frombuffer(scale_data, np.float32)
    # Each row uses the full int8 range (the all-zero row stays zero) and dequantizes to within half a step.
    assert np.abs(q).max(axis=1).tolist() == [127, 127, 127, 0]
    step = np.abs(weight.astype(np.float32)).max(axis=1) / 127
    assert np.all(np.abs(q / scale[:, None] - weight.astype(np.float32)) <= step[:, None] / 2 + 1e-6)
    # A convolution's rows are its output channels; everything else is untouched, aliases included.
    assert out.variables["encoder/conv1/weight"][0] == "int8"
    assert out.variables["encoder/conv1/weight_scale"][1] == (3,)
    for name in ("decoder/layer_norm/gamma", "decoder/linear/bias", "decoder/alignment_heads"):
        assert out.variables[name] == model.variables[name]
    assert out.aliases == model.aliases
    assert quantize_int8(out).variables == out.variables  # already int8: kept as is


def test_a_model_folder_is_copied_with_its_side_files(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    _tiny(source)
    (source / "config.json").write_text(json.dumps({"quantization": "float16", "lang_ids": [1]}), encoding="utf-8")
    (source / "tokenizer.json").write_text("{}", encoding="utf-8")
    target = quantize_model_dir(source, tmp_path / "out")
    assert json.loads((target / "config.json").read_text(encoding="utf-8")) == {"quantization": "int8", "lang_ids": [1]}
    assert (target / "tokenizer.json").read_text(encoding="utf-8") == "{}"
    assert read_model(target / "model.bin").variables["decoder/embeddings/weight"][0] == "int8"


@pytest.mark.ast_model
def test_the_real_model_in_int8_is_half_the_size_and_reads_as_well(ast_models_dir: Path, tmp_path: Path) -> None:
    source = locate_model(ModelConfig(), ast_models_dir).path
    copy = tmp_path / "copy.bin"
    write_model(read_model(source / "model.bin"), copy)
    assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256((source / "model.bin").read_bytes()).digest()
    target = quantize_model_dir(source, tmp_path / WHISPER_BASE)
    assert (target / "model.bin").stat().st_size < 0.55 * (source / "model.bin").stat().st_size
    engine = WhisperEngine(ModelLocation("whisper", WHISPER_BASE, target, target / "model.bin"), WhisperOptions())
    try:
        audio = decode_pcm(SPEECH_FLAC)
        for sentence in speech_manifest()["sentences"]:
            clip = audio[sentence["start_ms"] * RATE // 1000 : sentence["end_ms"] * RATE // 1000]
            result = engine.transcribe(clip, language="en")
            assert word_error_rate(sentence["text"], result.text) < 0.15, result.text
    finally:
        engine.close()
