"""The real Whisper base engine (int8) on real speech."""

from __future__ import annotations

import numpy as np
import pytest

from services.ast.engines.whisper import WhisperEngine, looks_repetitive
from tests.unit.ast.ast_fixtures import RATE, SPEECH_FLAC, decode_pcm, speech_manifest, word_error_rate

pytestmark = pytest.mark.ast_model


@pytest.fixture(scope="module")
def sentences() -> list[tuple[str, np.ndarray]]:
    audio = decode_pcm(SPEECH_FLAC)
    return [
        (s["text"], audio[s["start_ms"] * 16 - 3200 : s["end_ms"] * 16 + 3200]) for s in speech_manifest()["sentences"]
    ]


def test_english_sentences_are_read_correctly(
    whisper_engine: WhisperEngine, sentences: list[tuple[str, np.ndarray]]
) -> None:
    for text, audio in sentences:
        result = whisper_engine.transcribe(audio, language="en")
        assert word_error_rate(text, result.text) < 0.15, result.text
        assert result.language == "en"
        assert 0.3 < result.confidence <= 1.0


def test_auto_language_chooses_english(whisper_engine: WhisperEngine, sentences: list[tuple[str, np.ndarray]]) -> None:
    assert whisper_engine.transcribe(sentences[0][1], language=None).language == "en"


def test_forced_chinese_is_reported_as_chinese(
    whisper_engine: WhisperEngine, sentences: list[tuple[str, np.ndarray]]
) -> None:
    assert whisper_engine.transcribe(sentences[2][1], language="zh").language == "zh"


def test_silence_gives_no_text(whisper_engine: WhisperEngine) -> None:
    assert whisper_engine.transcribe(np.zeros(RATE * 2, np.float32), language="en").text == ""


def test_audio_longer_than_the_window_is_cut_and_joined(
    whisper_engine: WhisperEngine, sentences: list[tuple[str, np.ndarray]]
) -> None:
    gap = np.zeros(RATE * 12, np.float32)
    long = np.concatenate([sentences[0][1], gap, gap, sentences[2][1]])  # about 33 s
    text = whisper_engine.transcribe(long, language="en").text.lower()
    assert "welcome" in text and "gift" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Today we have fresh apples and oranges for sale. Today we have fresh apple and oranges for sale", True),
        ("今天的苹果很新鲜。今天的苹果很新鲜。今天的苹果", True),
        ("Welcome to the live stream, everyone. Please follow the channel.", False),
        ("谢谢大家的支持，今天的苹果很新鲜，欢迎下单", False),
        ("Thank you for the gift, thank you for the follow, and thank you for being here tonight", False),
        ("short", False),
    ],
)
def test_looks_repetitive(text: str, expected: bool) -> None:
    assert looks_repetitive(text) is expected


def test_the_chinese_prompt_makes_the_model_write_simplified_with_punctuation(whisper_engine: WhisperEngine) -> None:
    from services.ast.normalize import to_simplified
    from services.ast.prompt import PromptBuilder
    from tests.unit.ast.ast_fixtures import SPEECH_DIR

    # "你好，很高兴认识你。今天我们来聊一聊天气、音乐，还有最近看过的好书。" (real speech, zh_clean's second clip)
    audio = decode_pcm(SPEECH_DIR / "zh_clean.flac")[int(9.4 * RATE) : int(16.0 * RATE)]
    bare = whisper_engine.transcribe(audio, language="zh").text
    prompted = whisper_engine.transcribe(audio, language="zh", prompt=PromptBuilder("zh").prompt(0.0)).text
    assert to_simplified(bare) != bare  # without it, base writes this clip in Traditional ("很高興認識你")
    assert to_simplified(prompted) == prompted, prompted
    assert any(mark in prompted for mark in ",.，。"), prompted
