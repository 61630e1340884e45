from __future__ import annotations

import pytest

from services.ast.normalize import chinese_number, is_hallucination, normalize_text


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        pytest.param("歡迎來到直播間，謝謝大家的禮物", "zh", "欢迎来到直播间，谢谢大家的礼物", id="t2s"),
        pytest.param(" 這個 價格 很 便宜 ", "zh", "这个价格很便宜", id="cjk-spaces"),
        pytest.param("今天 iPhone 15 降價", "zh", "今天 iPhone 15 降价", id="mixed-keeps-latin-spaces"),
        pytest.param("  Hello   world  ", "en", "Hello world", id="english-untouched"),
        pytest.param("謝謝", "en", "谢谢", id="han-in-english-job"),
        pytest.param("   ", "zh", "", id="blank"),
        pytest.param(
            "你好,很高兴认识你,今天聊天气!好吗?", "zh", "你好，很高兴认识你，今天聊天气！好吗？", id="punctuation"
        ),
        pytest.param("价格3.5元, 1,000件", "zh", "价格3.5元，1,000件", id="punctuation-keeps-numbers"),
        pytest.param("蓝鲸泡泡杯今天只要九十九元。", "zh", "蓝鲸泡泡杯今天只要99元。", id="price"),
        pytest.param("一百二十块钱，两万五千元，一万零五百元", "zh", "120块钱，25000元，10500元", id="amounts"),
        pytest.param("三点五折，二号链接，五百克，五毛钱", "zh", "3.5折，2号链接，500克，5毛钱", id="units"),
        pytest.param("一起拍，扣个一，三种口味，一块儿去", "zh", "一起拍，扣个一，三种口味，一块儿去", id="words-stay"),
        pytest.param("千元机和万元户", "zh", "千元机和万元户", id="classes-stay"),
        pytest.param("９９元", "zh", "99元", id="wide-digits"),
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


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("九十九", "99"), ("十", "10"), ("十五", "15"), ("一百零五", "105"), ("两千", "2000"), ("三点五", "3.5"),
     ("一二三", "123"), ("千", None), ("三点", "3")],
)  # fmt: skip
def test_chinese_numbers(numeral: str, value: str | None) -> None:
    assert chinese_number(numeral) == value
