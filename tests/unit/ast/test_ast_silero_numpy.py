"""The numpy Silero VAD (services/ast/silero_numpy.py) against ONNX Runtime on the same model file, over real audio.

Windows are cut and batched by the real Segmenter as a job feeds it (0.5 s reads, services/ast/pipeline.py), and
also a window or none per call; each side carries its own LSTM state across the calls. ONNX Runtime is here only as
the reference (faster-whisper depends on it in the dev environment; the desktop bundle leaves it out).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from services.ast.errors import ModelInvalid
from services.ast.pipeline import READ_BYTES
from services.ast.silero_numpy import SileroNumpy, read_onnx
from services.ast.vad import Segmenter, SileroModel, Utterance
from tests.unit.ast.ast_fixtures import RATE, SPEECH_DIR, SPEECH_FLAC, decode_pcm
from tests.unit.ast.song import song_with_lyrics

TOLERANCE = 1e-4


def _model_path() -> Path:
    from faster_whisper.utils import get_assets_path

    return Path(get_assets_path()) / "silero_vad_v6.onnx"


class OrtModel:
    """The VAD as vad.py ran it before: one ONNX Runtime session, one thread."""

    def __init__(self, path: Path) -> None:
        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])

    def scores(self, windows: np.ndarray, state: list[np.ndarray]) -> np.ndarray:
        probs, h, c = self.session.run(None, {"input": windows, "h": state[0], "c": state[1]})
        state[0], state[1] = h, c
        return np.asarray(probs, dtype=np.float32).reshape(-1)


class Twin:
    """Scores each batch with numpy (returned, the Segmenter's state) and with ONNX Runtime (its own state)."""

    def __init__(self, numpy_model: SileroNumpy, ort: OrtModel) -> None:
        self.numpy_model = numpy_model
        self.ort = ort
        self.ort_state = [np.zeros((1, 1, 128), np.float32), np.zeros((1, 1, 128), np.float32)]
        self.pairs: list[tuple[np.ndarray, np.ndarray]] = []
        self.batches: list[int] = []
        self.h_error = 0.0

    def scores(self, windows: np.ndarray, state: list[np.ndarray]) -> np.ndarray:
        expected = self.ort.scores(windows, self.ort_state)
        probs, state[0], state[1] = self.numpy_model.run(windows, state[0], state[1])
        self.pairs.append((probs, expected))
        self.h_error = max(self.h_error, float(np.max(np.abs(state[0] - self.ort_state[0]))))
        self.batches.append(len(windows))
        return probs


@pytest.fixture(scope="module")
def models() -> tuple[SileroNumpy, OrtModel]:
    return SileroNumpy(_model_path()), OrtModel(_model_path())


@pytest.fixture(scope="module")
def clips() -> dict[str, np.ndarray]:
    zh = decode_pcm(SPEECH_DIR / "zh_clean.flac")
    rng = np.random.default_rng(11)
    return {
        "zh_clean": zh,
        "song": song_with_lyrics(zh),
        "en": decode_pcm(SPEECH_FLAC),
        "silence": np.zeros(RATE * 5, np.float32),
        "noise": (rng.standard_normal(RATE * 5) * 0.05).astype(np.float32),
        "loud_noise": np.clip(rng.standard_normal(RATE * 5) * 0.5, -1, 1).astype(np.float32),
    }


def _segment(model: object, audio: np.ndarray, chunk: int) -> list[Utterance]:
    seg = Segmenter(model)
    out: list[Utterance] = []
    for i in range(0, len(audio), chunk):
        out += seg.feed(audio[i : i + chunk])
    return out + seg.flush()


@pytest.mark.parametrize("chunk", [READ_BYTES // 2, 512, 300])
@pytest.mark.parametrize("clip", ["zh_clean", "song", "en", "silence", "noise", "loud_noise"])
def test_numpy_scores_match_onnx_runtime(
    models: tuple[SileroNumpy, OrtModel], clips: dict[str, np.ndarray], clip: str, chunk: int
) -> None:
    numpy_model, ort = models
    audio = clips[clip]
    twin = Twin(numpy_model, ort)
    utterances = _segment(twin, audio, chunk)
    got = np.concatenate([p for p, _ in twin.pairs])
    expected = np.concatenate([e for _, e in twin.pairs])
    assert len(got) == len(audio) // 512
    assert float(np.max(np.abs(got - expected))) <= TOLERANCE
    assert np.array_equal(got >= 0.5, expected >= 0.5)
    # The state carried across the calls stays with ONNX Runtime's.
    assert twin.h_error <= TOLERANCE
    # The same utterances as with ONNX Runtime scoring alone.
    reference = _segment(ort, audio, chunk)
    assert [(u.start, u.end) for u in utterances] == [(u.start, u.end) for u in reference]
    if clip in ("zh_clean", "song", "en"):
        assert utterances, "speech was found"
        assert got.max() > 0.5
    if chunk == READ_BYTES // 2:
        assert max(twin.batches) >= 15  # a job's read holds 15-16 windows


def test_state_after_a_batch_matches_onnx_runtime(
    models: tuple[SileroNumpy, OrtModel], clips: dict[str, np.ndarray]
) -> None:
    numpy_model, ort = models
    audio = clips["zh_clean"][: 200 * 512]
    windows = np.concatenate([np.zeros((1, 64), np.float32), audio.reshape(200, 512)[:-1, -64:]], axis=0)
    batch = np.ascontiguousarray(np.concatenate([windows, audio.reshape(200, 512)], axis=1))
    state = [np.zeros((1, 1, 128), np.float32), np.zeros((1, 1, 128), np.float32)]
    expected = ort.scores(batch, state)
    probs, h, c = numpy_model.run(batch, np.zeros((1, 1, 128), np.float32), np.zeros((1, 1, 128), np.float32))
    assert float(np.max(np.abs(probs - expected))) <= TOLERANCE
    assert float(np.max(np.abs(h - state[0]))) <= TOLERANCE
    # The cell state is unbounded (|c| reaches tens); compare it relative to its size.
    assert float(np.max(np.abs(c - state[1]))) <= TOLERANCE * max(1.0, float(np.max(np.abs(state[1]))))


def test_reader_finds_the_graph_and_refuses_other_bytes(tmp_path: Path) -> None:
    ops, weights = read_onnx(_model_path().read_bytes())
    assert "LSTM" in ops and weights["onnx::LSTM_209"].shape == (1, 512, 128)
    with pytest.raises(ValueError):
        read_onnx(_model_path().read_bytes()[:5000])
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\xff" * 64)
    with pytest.raises(ValueError):
        SileroNumpy(bad)


def test_silero_model_refuses_an_unreadable_file(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(_model_path().read_bytes()[:100_000])
    for path in (truncated, tmp_path / "absent.onnx"):
        with pytest.raises(ModelInvalid, match="VAD"):
            SileroModel(path)


def test_the_vad_and_faster_whisper_run_without_onnx_runtime() -> None:
    # The desktop bundle leaves onnxruntime out (build_backend.py): nothing the service runs may import it.
    code = (
        "import sys, numpy as np\n"
        "import faster_whisper, faster_whisper.tokenizer\n"
        "from services.ast.vad import Segmenter, load_silero\n"
        "seg = Segmenter(load_silero())\n"
        "seg.feed(np.zeros(16000, np.float32))\n"
        "assert 'onnxruntime' not in sys.modules, 'onnxruntime imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3], timeout=120)
