"""Hot words: the filters for live comments, and the bounded sliding window."""

from __future__ import annotations

import pytest

from services.gateway.analytics.hotwords import MAX_WINDOW_MS, HotWords, Segmenter, count_words

SEG = Segmenter()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("[赞][赞][赞]", [], id="emoji-codes"),
        pytest.param("666666", [], id="cheer-number"),
        pytest.param("88 99 2024", [], id="bare-numbers"),
        pytest.param("哈哈哈哈哈", [], id="laughter"),
        pytest.param("主播好！👋", [], id="greeting-and-emoji"),
        pytest.param("啊 的 了 我", [], id="single-characters"),
        pytest.param("想要1号链接", ["想要", "1号", "链接"], id="item-number-kept"),
        pytest.param("这个口红多少钱？", ["口红"], id="stop-words"),
        pytest.param("Hello World OK", ["hello", "world"], id="latin-lowercased"),
        pytest.param("看 https://evil.example/x 口红", ["口红"], id="urls-dropped"),
    ],
)
def test_segmenter_filters(text: str, words: list[str]) -> None:
    assert SEG.words(text) == words


def test_a_word_counts_once_per_comment() -> None:
    counts = count_words(SEG, ["口红口红口红", "口红好看吗", "面膜"])
    assert counts["口红"] == 2 and counts["面膜"] == 1


def _fill(hw: HotWords) -> None:
    base = 1_800_000_000_000
    rows = [
        (base, "1", "口红"),
        (base + 200_000, "2", "面膜 口红"),
        (base + 400_000, "3", "面膜"),
        (base + 500_000, "4", "发货"),
    ]
    for ts, msg_id, text in rows:
        hw.add("s", ts, msg_id, text)


def test_window_counts_only_recent_comments() -> None:
    hw = HotWords(SEG)
    _fill(hw)
    # The window ends at the latest comment (500 s): 300 s back keeps comments 2, 3 and 4.
    assert hw.top("s", 300) == [("面膜", 2), ("发货", 1), ("口红", 1)]  # ties by code point
    assert hw.top("s", 60) == [("发货", 1)]
    assert hw.top("s", 3600) == [("口红", 2), ("面膜", 2), ("发货", 1)]
    assert hw.top("s", 3600, limit=1) == [("口红", 2)]
    assert hw.top("other", 300) == []


def test_replays_and_backfill_overlaps_count_once() -> None:
    hw = HotWords(SEG)
    _fill(hw)
    hw.add("s", 1_800_000_500_000, "4", "发货")  # the same message again
    hw.backfill("s", [(1_800_000_000_000, "1", "口红"), (1_800_000_100_000, "0", "口红")])
    assert hw.top("s", 3600) == [("口红", 3), ("面膜", 2), ("发货", 1)]
    assert not hw.needs_backfill("s")


def test_memory_is_bounded() -> None:
    hw = HotWords(SEG, max_entries=100, max_sessions=2)
    for i in range(1000):
        hw.add("s", 1_800_000_000_000 + i, str(i), "口红")
    assert hw.top("s", 3600) == [("口红", 100)]
    hw.add("s", 1_800_000_000_000 + 1000 + MAX_WINDOW_MS, "late", "面膜")
    assert hw.top("s", 3600) == [("面膜", 1)]  # older than the longest window: gone
    hw.add("a", 1, "x", "口红")
    hw.add("b", 1, "x", "口红")
    assert hw.needs_backfill("s")  # least recently used session was dropped
