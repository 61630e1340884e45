"""The decoder prompt: script, the room's words, and the previous transcripts, forgotten after a pause."""

from __future__ import annotations

from services.ast.prompt import MAX_HOTWORDS, PREVIOUS_CHARS, ZH_LEAD, PromptBuilder, clean_words


def test_chinese_prompt_leads_with_simplified_and_carries_the_previous_text() -> None:
    p = PromptBuilder("zh")
    assert p.prompt(0.0) == ZH_LEAD
    p.remember("这就是我。", end_s=2.0)
    p.remember("你好。", end_s=4.0)
    assert p.prompt(5.0) == ZH_LEAD + "这就是我。你好。"


def test_previous_text_is_forgotten_after_a_long_pause_and_on_a_drop() -> None:
    p = PromptBuilder("zh")
    p.remember("上一句。", end_s=10.0)
    assert p.prompt(25.0).endswith("上一句。")
    assert p.prompt(31.0) == ZH_LEAD
    p.remember("又一句。", end_s=40.0)
    p.forget()
    assert p.prompt(41.0) == ZH_LEAD


def test_previous_text_is_bounded_and_english_is_cut_at_a_word() -> None:
    p = PromptBuilder("en")
    assert p.prompt(0.0) is None
    for i in range(30):
        p.remember(f"sentence number {i} is here.", end_s=float(i))
    prompt = p.prompt(30.0)
    assert prompt is not None and len(prompt) <= PREVIOUS_CHARS
    assert prompt.endswith("sentence number 29 is here.")
    assert all(w in {"sentence", "number", "is", "here."} or w.isdigit() for w in prompt.split())


def test_room_words_are_cleaned_and_listed() -> None:
    p = PromptBuilder("zh", hotwords=[" 云朵酥 ", "云朵酥", "", "蜜桃  乌龙"], title="小猫的  零食铺")
    p.add_products(["脆脆鲨", "云朵酥"])
    prompt = p.prompt(0.0)
    assert prompt == ZH_LEAD + "直播间：小猫的 零食铺。本场热词：云朵酥、蜜桃 乌龙、脆脆鲨。"
    english = PromptBuilder("en", hotwords=["TalkingCat"])
    assert english.prompt(0.0) == "TalkingCat."


def test_clean_words_bounds_count_and_length() -> None:
    words = clean_words([f"词{i}" for i in range(200)] + ["长" * 100])
    assert len(words) == MAX_HOTWORDS
    assert all(len(w) <= 30 for w in clean_words(["长" * 100]))
