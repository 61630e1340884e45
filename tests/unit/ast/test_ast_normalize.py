from __future__ import annotations

import pytest

from services.ast.normalize import is_hallucination, normalize_text


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        pytest.param("歡迎來到直播間，謝謝大家的禮物", "zh", "欢迎来到直播间，谢谢大家的礼物", id="t2s"),
        pytest.param(" 這個 價格 很 便宜 ", "zh", "这个价格很便宜", id="cjk-spaces"),
        pytest.param("今天 iPhone 15 降價", "zh", "今天 iPhone 15 降价", id="mixed-keeps-latin-spaces"),
        pytest.param("  Hello   world  ", "en", "Hello world", id="english-untouched"),
        pytest.param("謝謝", "en", "谢谢", id="han-in-english-job"),
        pytest.param("   ", "zh", "", id="blank"),
    ],
)
def test_normalize_text(text: str, language: str, expected: str) -> None:
    assert normalize_text(text, language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("字幕由Amara.org社区提供", True),
        ("请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", True),
        ("字幕by索兰娅", True),
        ("请订阅。", True),
        ("喜欢的话请订阅我们的直播间", False),
        ("谢谢大家的支持", False),
        ("Thank you for the gift", False),
    ],
)
def test_subtitle_credits_are_hallucinations(text: str, expected: bool) -> None:
    assert is_hallucination(normalize_text(text, "zh")) is expected
