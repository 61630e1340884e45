"""The question rules on a fixed set of live comments."""

from __future__ import annotations

import pytest

from services.gateway.analytics.questions import is_question

QUESTIONS = [
    "这个多少钱", "有货吗", "链接呢", "能不能便宜点", "是不是正品", "包不包邮", "几号发货", "为什么还不发货",
    "请问主播身高", "你好?", "主播多大了", "怎么买", "主播哪里人", "干嘛呢", "可不可以试一下黑色",
    "有没有优惠券", "what size?", "这个怎么用[捂脸]", "谁知道这首歌叫什么", "发什么快递", "几点下播呀",
    "尺码偏大么", "真的假的？！", "啥时候上新",
]  # fmt: skip
NOT_QUESTIONS = [
    "主播好", "666", "[赞][赞][赞]", "哈哈哈哈", "什么都好看", "没啥", "怎么这么好看", "好几个人都买了", "不不不",
    "几乎都卖完了", "多少有点贵", "谢谢主播", "上车了", "想要1号链接", "好嘛", "哪里哪里", "？", "吗", "",
    "主播好！👋", "已拍", "支持支持",
]  # fmt: skip


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_are_found(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize("text", NOT_QUESTIONS)
def test_other_comments_are_not_questions(text: str) -> None:
    assert not is_question(text)
