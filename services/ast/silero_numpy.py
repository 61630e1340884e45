"""Silero VAD v6 in numpy: the 16 kHz graph of faster-whisper's ``silero_vad_v6.onnx``, weights read from that file.

Only this VAD used ONNX Runtime, 36 MB of the desktop bundle (issue #15 part 5), so the model is computed here
instead; tests/unit/ast/test_ast_silero_numpy.py holds it to ONNX Runtime's scores within 1e-4.

The graph, per row of the input (64 samples of context + 512 new ones, 576 float32):
- STFT as a convolution: reflect-pad, 256-sample frames every 128 samples against a (258, 256) basis (real rows
  then imaginary rows); the graph drops the first frame, so only frames starting at samples 0, 128, 256, 384 count,
  the last reaching 64 samples into the reflected right edge; magnitude of the 129 bins → 4 x 129;
- four Conv1d (kernel 3, padding 1, strides 1, 2, 2, 1) each followed by ReLU: 4 x 129 → 4 x 128 → 2 x 64 → 1 x 64
  → 1 x 128;
- one LSTM cell (hidden 128, ONNX gate order i, o, f, c) stepped over the rows in order: the rows of one call are
  consecutive windows of one stream, and the state goes in and out with each call;
- ReLU, a 1 x 1 convolution 128 → 1, sigmoid: one speech probability per row.

The weights come from the ONNX protobuf through a minimal wire-format reader (ModelProto.graph → GraphProto
.initializer / .node → TensorProto), so neither ``onnx`` nor ``protobuf`` is needed. A file whose operators or
weight shapes differ from this graph is refused (``ValueError``) rather than computed wrongly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = ["INPUT_SAMPLES", "SileroNumpy", "read_onnx"]

INPUT_SAMPLES = 576  # 64 context + 512 new samples (16 kHz)
HIDDEN = 128
_FRAME = 256
_HOP = 128
_FRAMES = 4  # frames starting at samples 0, 128, 256, 384 of the row (the graph slices off the one before)
_REFLECT = _HOP * (_FRAMES - 1) + _FRAME - INPUT_SAMPLES  # 64 samples of the right reflect padding are read

_OPS = [
    "Pad",
    "Unsqueeze",
    "Conv",
    "Slice",
    "Slice",
    "Pow",
    "Pow",
    "Add",
    "Sqrt",
    "Conv",
    "Relu",
    "Conv",
    "Relu",
    "Conv",
    "Relu",
    "Conv",
    "Relu",
    "Transpose",
    "LSTM",
    "Squeeze",
    "Relu",
    "Transpose",
    "Conv",
    "Sigmoid",
    "Reshape",
]
_WEIGHTS = {
    "encoder.feature_extractor.forward_basis_buffer": (258, 1, _FRAME),
    "encoder.conv_layers.0.weight": (128, 129, 3),
    "encoder.conv_layers.0.bias": (128,),
    "encoder.conv_layers.1.weight": (64, 128, 3),
    "encoder.conv_layers.1.bias": (64,),
    "encoder.conv_layers.2.weight": (64, 64, 3),
    "encoder.conv_layers.2.bias": (64,),
    "encoder.conv_layers.3.weight": (128, 64, 3),
    "encoder.conv_layers.3.bias": (128,),
    "decoder.conv1d.weight": (1, HIDDEN, 1),
    "decoder.conv1d.bias": (1,),
    "onnx::LSTM_209": (1, 4 * HIDDEN, 128),  # W: input weights, gates i, o, f, c
    "onnx::LSTM_210": (1, 4 * HIDDEN, HIDDEN),  # R: recurrent weights
    "onnx::LSTM_211": (1, 8 * HIDDEN),  # input biases then recurrent biases
}
_CONV_STRIDES = (1, 2, 2, 1)

# Protobuf field numbers (onnx.proto3)
_MODEL_GRAPH = 7
_GRAPH_NODE, _GRAPH_INITIALIZER = 1, 5
_NODE_OP_TYPE = 4
_TENSOR_DIMS, _TENSOR_DATA_TYPE, _TENSOR_FLOAT_DATA, _TENSOR_NAME, _TENSOR_RAW_DATA = 1, 2, 4, 8, 9
_TENSOR_DATA_LOCATION = 14
_FLOAT = 1  # TensorProto.DataType.FLOAT


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated or malformed varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _fields(buf: memoryview) -> Iterator[tuple[int, int, int | memoryview]]:
    """(field number, wire type, value) of one message: an int for varints, the bytes for every other type."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: int | memoryview
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > len(buf):
            raise ValueError("truncated protobuf message")
        yield number, wire, value


def _tensor(buf: memoryview) -> tuple[str, np.ndarray | None]:
    """Name and value of a TensorProto; None for other types than float32 (the graph's int64 constants)."""
    name, dims, dtype, raw, floats = "", [], 0, None, []
    for number, _, value in _fields(buf):
        if number == _TENSOR_NAME and isinstance(value, memoryview):
            name = bytes(value).decode("utf-8")
        elif number == _TENSOR_DIMS:
            if isinstance(value, int):
                dims.append(value)
            else:  # packed
                pos = 0
                while pos < len(value):
                    dim, pos = _varint(value, pos)
                    dims.append(dim)
        elif number == _TENSOR_DATA_TYPE and isinstance(value, int):
            dtype = value
        elif number == _TENSOR_RAW_DATA and isinstance(value, memoryview):
            raw = value
        elif number == _TENSOR_FLOAT_DATA and isinstance(value, memoryview):
            floats.append(bytes(value))  # one fixed32 (wire type 5), or a packed run of them
        elif number == _TENSOR_DATA_LOCATION and value == 1:
            raise ValueError(f"tensor {name or '?'} keeps its data in an external file")
    if dtype != _FLOAT:
        return name, None
    data = bytes(raw) if raw is not None else b"".join(floats)
    array = np.frombuffer(data, dtype="<f4").astype(np.float32)
    count = int(np.prod(dims)) if dims else 1
    if array.size != count:
        raise ValueError(f"tensor {name} holds {array.size} values for shape {tuple(dims)}")
    return name, array.reshape(dims)


def read_onnx(data: bytes) -> tuple[list[str], dict[str, np.ndarray]]:
    """The top graph's operator types in order, and its float32 initializers by name."""
    graph: memoryview | None = None
    for number, _, value in _fields(memoryview(data)):
        if number == _MODEL_GRAPH and isinstance(value, memoryview):
            graph = value
    if graph is None:
        raise ValueError("no graph in the model")
    ops: list[str] = []
    weights: dict[str, np.ndarray] = {}
    for number, _, value in _fields(graph):
        if not isinstance(value, memoryview):
            continue
        if number == _GRAPH_NODE:
            for field, _, item in _fields(value):
                if field == _NODE_OP_TYPE and isinstance(item, memoryview):
                    ops.append(bytes(item).decode("utf-8"))
        elif number == _GRAPH_INITIALIZER:
            name, array = _tensor(value)
            if array is not None:
                weights[name] = array
    return ops, weights


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # The tanh form cannot overflow, unlike 1 / (1 + exp(-x)) in float32.
    out: np.ndarray = np.float32(0.5) * np.tanh(np.float32(0.5) * x) + np.float32(0.5)
    return out


class SileroNumpy:
    """The model's weights, laid out for matrix products. Stateless: ``run`` is thread-safe."""

    def __init__(self, path: Path) -> None:
        ops, weights = read_onnx(path.read_bytes())
        if ops != _OPS:
            raise ValueError(f"not the Silero VAD v6 16 kHz graph (operators {' '.join(ops)})")
        for name, shape in _WEIGHTS.items():
            if name not in weights:
                raise ValueError(f"weight {name} missing")
            if weights[name].shape != shape:
                raise ValueError(f"weight {name} has shape {weights[name].shape}, expected {shape}")
        # (256, 258): a frame times this gives 129 real parts then 129 imaginary parts.
        self._basis = np.ascontiguousarray(weights["encoder.feature_extractor.forward_basis_buffer"][:, 0, :].T)
        # Each conv as one product over its three taps side by side: rows ordered (tap, input channel).
        self._convs = [
            (
                np.ascontiguousarray(weights[f"encoder.conv_layers.{i}.weight"].transpose(2, 1, 0).reshape(-1, cout)),
                weights[f"encoder.conv_layers.{i}.bias"],
                stride,
            )
            for i, (stride, cout) in enumerate(zip(_CONV_STRIDES, (128, 64, 64, 128), strict=True))
        ]
        self._w_in = np.ascontiguousarray(weights["onnx::LSTM_209"][0].T)  # (128, 512)
        self._w_rec = np.ascontiguousarray(weights["onnx::LSTM_210"][0].T)  # (128, 512)
        bias = weights["onnx::LSTM_211"][0]
        self._b = bias[: 4 * HIDDEN] + bias[4 * HIDDEN :]
        self._w_out = np.ascontiguousarray(weights["decoder.conv1d.weight"][0, :, 0])  # (128,)
        self._b_out = weights["decoder.conv1d.bias"][0]

    def run(self, windows: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Speech probability per row of ``windows`` (n x 576), and the LSTM state (each 1 x 1 x 128) after them."""
        x = np.asarray(windows, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != INPUT_SAMPLES:
            raise ValueError(f"windows must be n x {INPUT_SAMPLES}, got {x.shape}")
        n = x.shape[0]
        h_t = np.asarray(h, dtype=np.float32).reshape(HIDDEN)
        c_t = np.asarray(c, dtype=np.float32).reshape(HIDDEN)
        if n == 0:
            return np.zeros(0, np.float32), h_t.reshape(1, 1, HIDDEN).copy(), c_t.reshape(1, 1, HIDDEN).copy()
        # STFT magnitude. Reflection without the edge sample, as ONNX Pad mode="reflect".
        edge = x[:, INPUT_SAMPLES - 2 : INPUT_SAMPLES - 2 - _REFLECT : -1]
        padded = np.concatenate([x, edge], axis=1)
        frames = np.lib.stride_tricks.sliding_window_view(padded, _FRAME, axis=1)[:, ::_HOP]
        spec = np.ascontiguousarray(frames).reshape(n * _FRAMES, _FRAME) @ self._basis
        bins = spec.shape[1] // 2
        feats = np.sqrt(spec[:, :bins] ** 2 + spec[:, bins:] ** 2).reshape(n, _FRAMES, bins)
        # Encoder: (n, length, channels), each conv as one matrix product over its taps.
        for weight, bias, stride in self._convs:
            length = feats.shape[1]
            out_len = (length - 1) // stride + 1
            zero = np.zeros((n, 1, feats.shape[2]), np.float32)
            fp = np.concatenate([zero, feats, zero], axis=1)
            span = stride * (out_len - 1) + 1
            cols = np.concatenate([fp[:, k : k + span : stride] for k in range(3)], axis=2)
            feats = np.maximum(cols.reshape(n * out_len, -1) @ weight + bias, np.float32(0)).reshape(n, out_len, -1)
        # LSTM over the rows in order; the input half of the gates for all rows at once.
        gates_in = feats.reshape(n, -1) @ self._w_in + self._b
        hs = np.empty((n, HIDDEN), np.float32)
        w_rec = self._w_rec
        for t in range(n):
            g = gates_in[t] + h_t @ w_rec
            s = _sigmoid(g[: 3 * HIDDEN])  # i, o, f
            c_t = s[2 * HIDDEN :] * c_t + s[:HIDDEN] * np.tanh(g[3 * HIDDEN :])
            h_t = s[HIDDEN : 2 * HIDDEN] * np.tanh(c_t)
            hs[t] = h_t
        probs = _sigmoid(np.maximum(hs, np.float32(0)) @ self._w_out + self._b_out)
        return probs.astype(np.float32, copy=False), h_t.reshape(1, 1, HIDDEN), c_t.reshape(1, 1, HIDDEN)
