"""File jobs decode stretches of utterances (services/ast/context.py): the text goes back to each utterance, and a
stretch's audio is the stream itself, pauses included."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from services.ast.context import Stretcher, covers, split_text, text_units
from services.ast.engines.base import Recognition
from services.ast.pipeline import JobState
from services.ast.sources import SourceEnd
from services.ast.vad import Utterance
from tests.unit.ast.test_ast_pipeline import FakeOpener, FakeStream, make_job, run_to_end

RATE = 16_000


def utt(start_s: float, end_s: float) -> Utterance:
    return Utterance(np.zeros(0, np.float32), int(start_s * RATE), int(end_s * RATE))


def test_sentences_go_back_to_their_utterances() -> None:
    text = "对。这就是我，万人敬仰的太乙真人。你好，很高兴认识你。"
    assert split_text(text, [0.4, 5.2, 2.0]) == ["对。", "这就是我，万人敬仰的太乙真人。", "你好，很高兴认识你。"]
    english = "The quick brown fox jumps over the lazy dog. Welcome to the live stream, everyone."
    assert split_text(english, [2.9, 2.5]) == [
        "The quick brown fox jumps over the lazy dog.",
        "Welcome to the live stream, everyone.",
    ]


def test_too_few_sentences_are_cut_at_clauses_and_an_utterance_may_get_nothing() -> None:
    assert split_text("今天我们来聊一聊天气、音乐，还有最近看过的好书。", [1.6, 1.2]) == [
        "今天我们来聊一聊天气、音乐，",
        "还有最近看过的好书。",
    ]
    # One word for three utterances: it goes to the one whose share of the time it matches best, in order.
    parts = split_text("抓紧下单。", [0.2, 3.0, 0.2])
    assert "".join(parts) == "抓紧下单。" and parts.count("") == 2
    assert split_text("对。", [1.0]) == ["对。"]


def test_a_stretch_is_the_stream_itself_within_the_window() -> None:
    stream = np.arange(40 * RATE, dtype=np.float32)  # each sample's value is its position
    pad = RATE // 5
    stretcher = Stretcher(window_s=10.0, pad=pad, keep_s=5.0)
    out = []
    for i in range(0, len(stream), RATE // 2):
        stretcher.feed(stream[i : i + RATE // 2], i)
        # The VAD closes an utterance a little after it ends.
        for start_s, end_s in [(1.0, 3.0), (4.0, 8.0), (9.0, 12.0), (30.0, 31.0)]:
            if i == int((end_s + 0.5) * RATE):
                out += stretcher.add(utt(start_s, end_s))
    out += stretcher.flush()
    assert [[(u.start / RATE, u.end / RATE) for u in s.utterances] for s in out] == [
        [(1.0, 3.0), (4.0, 8.0)],  # 9..12 would end 11 s after 1.0: a new stretch
        [(9.0, 12.0)],
        [(30.0, 31.0)],
    ]
    first = out[0]
    assert first.audio[0] == 1 * RATE - pad and first.audio[-1] == 8 * RATE + pad - 1  # the pause 3..4 s is in it
    assert first.audio_start == 1 * RATE - pad
    assert np.array_equal(first.clip(4 * RATE, 8 * RATE, pad), stream[4 * RATE - pad : 8 * RATE + pad])
    assert out[2].audio[0] == 30 * RATE - pad


def _stretches(audio: np.ndarray, utterances: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    stretcher = Stretcher(window_s=20.0, pad=RATE // 5, keep_s=18.0)
    stretcher.feed(audio, 0)
    out = []
    for start_s, end_s in utterances:
        out += stretcher.add(utt(start_s, end_s))
    out += stretcher.flush()
    return [[(u.start / RATE, u.end / RATE) for u in s.utterances] for s in out]


def test_only_speech_over_a_background_is_decoded_in_stretches() -> None:
    rng = np.random.default_rng(3)
    spoken = [(1.0, 3.0), (4.0, 8.0), (9.0, 12.0)]
    voice = np.zeros(14 * RATE, np.float32)
    for start_s, end_s in spoken:
        voice[int(start_s * RATE) : int(end_s * RATE)] = rng.uniform(-0.5, 0.5, int((end_s - start_s) * RATE))
    # Quiet pauses (a room 50 dB under the voice, and a breath): each utterance alone, with its exact times.
    room = voice + rng.uniform(-1, 1, len(voice)).astype(np.float32) * 0.0009
    room[int(3.5 * RATE) : int(3.6 * RATE)] += 0.3
    assert _stretches(room, spoken) == [[u] for u in spoken]
    # Music under it at -12 dB: one stretch.
    t = np.arange(len(voice)) / RATE
    music = (0.29 * 10 ** (-12 / 20) * np.sqrt(2) * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    assert _stretches(voice + music, spoken) == [spoken]


def test_a_stretch_text_far_too_short_for_its_speech_does_not_cover_it() -> None:
    stretch = Stretcher(window_s=20.0, pad=0, keep_s=18.0)
    stretch.feed(np.ones(20 * RATE, np.float32), 0)
    stretch.add(utt(1.0, 6.0))
    stretch.add(utt(7.0, 13.0))
    (whole,) = stretch.flush()
    # Whisper stopped at the first pause: "对。" for 11 s of speech.
    assert not covers("对。", whole)
    assert covers("这就是我，万人敬仰的太乙真人。你好，很高兴认识你。", whole)
    assert text_units("Thank you for the gift, 谢谢") == 7


class StretchEngine:
    """Reads two sentences from a stretch, one from an utterance alone; ``stops_early`` is Whisper stopping at the
    first pause."""

    name = "fake"
    model_name = "fake-model"
    context_window_s = 20.0

    def __init__(self, *, stops_early: bool = False) -> None:
        self.lengths: list[float] = []
        self.stops_early = stops_early

    def transcribe(self, audio: Any, *, language: str | None, prompt: str | None = None) -> Recognition:
        self.lengths.append(len(audio) / RATE)
        if len(audio) > 3 * RATE:
            return Recognition("嗯。" if self.stops_early else "第一句话。第二句话说得长一些。", "zh", 0.8)
        return Recognition(f"单独{len(self.lengths)}。", "zh", 0.8)

    def close(self) -> None:
        pass


def _speech(background: float) -> bytes:
    # Two "sentences" (loud noise for the fake VAD) of 1.0 s and 1.6 s over a background of the given amplitude.
    rng = np.random.default_rng(2)
    audio = rng.uniform(-background, background, 5 * RATE).astype(np.float32)
    audio[RATE : 2 * RATE] = rng.uniform(-0.5, 0.5, RATE)
    audio[int(2.5 * RATE) : int(4.1 * RATE)] = rng.uniform(-0.5, 0.5, int(1.6 * RATE))
    return (audio * 32767).astype("<i2").tobytes()


@pytest.mark.parametrize(
    ("background", "stops_early", "calls", "texts"),
    [
        (0.04, False, 1, ["第一句话。", "第二句话说得长一些。"]),  # music-like bed, -22 dB: one decode
        (0.04, True, 3, ["单独2。", "单独3。"]),  # the stretch's text is too short: each alone
        (0.0005, False, 2, ["单独1。", "单独2。"]),  # quiet pauses: each alone
    ],
    ids=["background", "stopped-early", "quiet"],
)
async def test_a_file_job_decodes_stretches_where_there_is_a_background(
    background: float, stops_early: bool, calls: int, texts: list[str]
) -> None:
    engine = StretchEngine(stops_early=stops_early)
    emitted: list[dict[str, Any]] = []
    opener = FakeOpener([FakeStream(_speech(background), SourceEnd(True))], live=False)
    job = make_job(opener, emitted, engine=engine)  # type: ignore[arg-type]
    assert await run_to_end(job) == JobState.FINISHED
    assert len(engine.lengths) == calls
    assert [t["text"] for t in emitted] == texts
    # Each line keeps its own utterance's times.
    assert [(round(t["start_ms"], -2), round(t["end_ms"], -2)) for t in emitted] == [(1000, 2000), (2500, 4100)]
