"""Engine selection and the SenseVoice / FunASR adapters, without their weights: the libraries are stood in for by
small fakes in ``sys.modules``, so the adapters' real loading and decoding code runs."""

from __future__ import annotations

import math
import sys
import types
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from services.ast import engines
from services.ast.config import ModelConfig
from services.ast.engines.base import confidence_from_logprobs
from services.ast.engines.funasr import FunAsrEngine
from services.ast.engines.sensevoice import SenseVoiceEngine
from services.ast.engines.tags import SenseVoiceTags, clean_tag, split_tags
from services.ast.errors import EngineUnavailable, ModelInvalid
from services.ast.model_files import ModelLocation
from services.ast.probe import ModelProber


@pytest.mark.parametrize(
    ("raw", "text", "tags"),
    [
        pytest.param(
            "<|zh|><|NEUTRAL|><|Speech|><|withitn|>欢迎来到直播间。",
            "欢迎来到直播间。",
            SenseVoiceTags("zh", "neutral", "speech"),
            id="full",
        ),
        pytest.param("<|en|><|HAPPY|><|Laughter|>ha ha", "ha ha", SenseVoiceTags("en", "happy", "laughter"), id="en"),
        pytest.param(
            "<|nospeech|><|EMO_UNKNOWN|><|BGM|>", "", SenseVoiceTags("nospeech", "emo_unknown", "bgm"), id="bgm"
        ),
        pytest.param("plain text", "plain text", SenseVoiceTags(), id="no-tags"),
    ],
)
def test_split_tags(raw: str, text: str, tags: SenseVoiceTags) -> None:
    assert split_tags(raw) == (text, tags)


def test_clean_tag() -> None:
    assert clean_tag("<|NEUTRAL|>") == "neutral"
    assert clean_tag("Speech") == "speech"


@pytest.mark.parametrize(
    ("logprobs", "expected"),
    [
        (None, 0.0),
        ([], 0.0),
        (0.0, 1.0),
        ([math.log(0.5), math.log(0.5)], 0.5),
        (-0.2231435513, 0.8),
        (float("nan"), 0.0),
        (3.0, 1.0),  # never above 1
    ],
)
def test_confidence_from_logprobs(logprobs: Any, expected: float) -> None:
    assert confidence_from_logprobs(logprobs) == pytest.approx(expected, abs=1e-6)


# -- SenseVoice through sherpa-onnx ------------------------------------------------------------------------------


class _FakeResult:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lang = "<|zh|>"
        self.emotion = "<|HAPPY|>"
        self.event = "<|Speech|>"
        self.ys_log_probs = [math.log(0.9), math.log(0.9)]


class _FakeStream:
    def __init__(self) -> None:
        self.samples: np.ndarray | None = None
        self.result: _FakeResult | None = None

    def accept_waveform(self, rate: int, samples: np.ndarray) -> None:
        assert rate == 16_000
        self.samples = samples


class _FakeRecognizer:
    made: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    @classmethod
    def from_sense_voice(cls, **kwargs: Any) -> _FakeRecognizer:
        if Path(kwargs["model"]).read_bytes() == b"broken":
            raise RuntimeError("protobuf parsing failed")
        cls.made.append(kwargs)
        return cls(**kwargs)

    def create_stream(self) -> _FakeStream:
        return _FakeStream()

    def decode_stream(self, stream: _FakeStream) -> None:
        assert stream.samples is not None
        stream.result = _FakeResult(f"谢谢大家{len(stream.samples)}")


@pytest.fixture
def fake_sherpa(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    module = types.SimpleNamespace(OfflineRecognizer=_FakeRecognizer)
    _FakeRecognizer.made = []
    monkeypatch.setitem(sys.modules, "sherpa_onnx", module)
    return module


def _sensevoice_dir(tmp_path: Path, weights: bytes = b"onnx") -> ModelLocation:
    folder = tmp_path / "sensevoice-small"
    folder.mkdir()
    (folder / "model.int8.onnx").write_bytes(weights)
    (folder / "tokens.txt").write_text("<blk> 0\n", encoding="utf-8")
    return ModelLocation("sensevoice", folder.name, folder, folder / "model.int8.onnx")


def test_sensevoice_keeps_tags_as_fields(tmp_path: Path, fake_sherpa: Any) -> None:
    engine = SenseVoiceEngine(_sensevoice_dir(tmp_path), threads=1)
    result = engine.transcribe(np.zeros(1600, np.float32), language="zh")
    assert result.text == "谢谢大家1600"
    assert result.language == "zh"
    assert dict(result.tags) == {"emotion": "happy", "event": "speech"}
    assert result.confidence == pytest.approx(0.9)
    made = _FakeRecognizer.made
    assert [m["language"] for m in made] == ["", "zh"]  # auto at load, then one per language used
    assert made[0]["use_itn"] is True and made[0]["tokens"].endswith("tokens.txt")


def test_sensevoice_bad_model_is_model_invalid(tmp_path: Path, fake_sherpa: Any) -> None:
    with pytest.raises(ModelInvalid, match="SenseVoice"):
        SenseVoiceEngine(_sensevoice_dir(tmp_path, b"broken"))


def test_sensevoice_without_sherpa_is_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sherpa_onnx", None)
    with pytest.raises(EngineUnavailable, match="sherpa-onnx"):
        SenseVoiceEngine(_sensevoice_dir(tmp_path))


# -- SenseVoice through FunASR ----------------------------------------------------------------------------------


class _FakeAutoModel:
    calls: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, **kwargs: Any) -> None:
        assert kwargs["disable_update"] is True and kwargs["device"] == "cpu"
        self.kwargs = kwargs

    def generate(self, **kwargs: Any) -> list[dict[str, Any]]:
        _FakeAutoModel.calls.append(kwargs)
        return [{"key": "x", "text": "<|en|><|NEUTRAL|><|Speech|><|withitn|>Hello there."}]


def _funasr_dir(tmp_path: Path) -> ModelLocation:
    folder = tmp_path / "SenseVoiceSmall"
    folder.mkdir()
    (folder / "model.pt").write_bytes(b"pt")
    (folder / "config.yaml").write_text("model: SenseVoiceSmall\n", encoding="utf-8")
    return ModelLocation("funasr", folder.name, folder, folder / "model.pt")


def test_funasr_adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "funasr", types.SimpleNamespace(AutoModel=_FakeAutoModel))
    _FakeAutoModel.calls = []
    engine = FunAsrEngine(_funasr_dir(tmp_path), threads=1)
    result = engine.transcribe(np.zeros(800, np.float32), language=None)
    assert (result.text, result.language, dict(result.tags)) == (
        "Hello there.",
        "en",
        {"emotion": "neutral", "event": "speech"},
    )
    assert result.confidence == 0.0  # a plain SenseVoice result carries no score
    assert _FakeAutoModel.calls[0]["language"] == "auto" and _FakeAutoModel.calls[0]["use_itn"] is True


def test_funasr_without_package_is_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "funasr", None)
    with pytest.raises(EngineUnavailable, match="funasr"):
        FunAsrEngine(_funasr_dir(tmp_path))


# -- selection and probing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("engine_name", "cls_name"),
    [("sensevoice", "SenseVoiceEngine"), ("funasr", "FunAsrEngine")],
)
def test_create_engine_picks_the_adapter_and_probes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_sherpa: Any, engine_name: str, cls_name: str
) -> None:
    monkeypatch.setitem(sys.modules, "funasr", types.SimpleNamespace(AutoModel=_FakeAutoModel))
    (_sensevoice_dir if engine_name == "sensevoice" else _funasr_dir)(tmp_path)
    probed: list[str] = []

    class _Prober(ModelProber):
        def check(self, location: ModelLocation) -> None:
            probed.append(location.engine)

    engine = engines.create_engine(ModelConfig(engine=engine_name), tmp_path, prober=_Prober())  # type: ignore[arg-type]
    assert type(engine).__name__ == cls_name
    assert probed == [engine_name]


def _prober_running(code: str) -> ModelProber:
    return ModelProber(lambda engine, path: [sys.executable, "-c", code], timeout_s=30)


def test_prober_passes_a_model_once(tmp_path: Path) -> None:
    location = _sensevoice_dir(tmp_path)
    calls: list[Path] = []

    def command(engine: str, path: Path) -> list[str]:
        calls.append(path)
        return [sys.executable, "-c", "print('ok')"]

    prober = ModelProber(command)
    prober.check(location)
    prober.check(location)
    assert calls == [location.path]


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        pytest.param("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", "signal 11", id="crash"),
        pytest.param("import sys; sys.stderr.write('bad magic\\n'); sys.exit(3)", "bad magic", id="error"),
    ],
)
def test_prober_reports_a_model_that_kills_its_loader(tmp_path: Path, code: str, fragment: str) -> None:
    with pytest.raises(ModelInvalid) as info:
        _prober_running(code).check(_sensevoice_dir(tmp_path))
    assert fragment in str(info.value)
    assert "sensevoice-small" in str(info.value)


def test_real_probe_subprocess_rejects_a_corrupt_sensevoice_model(tmp_path: Path) -> None:
    """The real probe command with the real sherpa-onnx on a file that is not an ONNX model."""
    location = _sensevoice_dir(tmp_path, b"\x00not an onnx model" * 64)
    with pytest.raises(ModelInvalid, match="damaged or incompatible"):
        ModelProber(timeout_s=120).check(location)
