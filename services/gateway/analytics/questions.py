"""Which comments are viewers' questions: a small rule set for Chinese (and a trailing "?" in any language).

A comment is a question when, with emoji codes like ``[赞]`` removed, it
1. contains a question mark (？ or ?), or starts with 请问 / 想问 / 问一下;
2. ends with the particle 吗, 么 or 呢 (``有货吗`` ``链接呢``);
3. holds an interrogative word (什么 怎么 为什么 为啥 啥 哪 谁 多少 多大 多久 几号/几点/几个… 如何 咋 是否), unless the
   word is used in a non-question idiom (``什么都行`` ``没啥`` ``怎么这么好看`` ``多少有点`` ``好几个`` ``哪里哪里``);
4. asks A-not-A: ``能不能`` ``是不是`` ``有没有`` ``包不包邮`` (any ``X不X`` / ``X没X``, not ``不不不``).
Very short texts (one character) never count.
"""

from __future__ import annotations

import re

__all__ = ["is_question"]

_EMOJI_CODE = re.compile(r"\[[^\[\]]{1,8}\]")
_TRAILING = re.compile(r"[\s~～。.!！…、,，\U0001F000-\U0001FAFF\u2600-\u27BF]+$")
_MARK = re.compile(r"[?？]")
_OPENERS = re.compile(r"^(请问|想问|问一下|问下)")
_FINAL_PARTICLE = re.compile(r"[吗么呢嘛]$")
# 嘛 only after an interrogative verb ("干嘛"); "好嘛" "对嘛" are not questions.
_MA_OK = re.compile(r"(干|做|搞|弄)嘛$")
_NON_QUESTION_IDIOMS = re.compile(
    r"什么都|什么也|没什么|没啥|不咋|怎么这么|怎么那么|怎么可以这么|多少有|多少也|或多或少|好几|哪里哪里|不知道为什么"
)
_INTERROGATIVE = re.compile(
    r"什么|啥|怎么|怎样|为何|如何|咋|哪|谁|多少|多大|多高|多重|多久|多长|多远|是否|"
    r"几(?:号|点|个|块|钱|岁|码|天|斤|次|年|月|时|分钟|折|件|单)"
)
_A_NOT_A = re.compile(r"([^不没\s])(?:不|没)\1")


def is_question(text: str) -> bool:
    body = _TRAILING.sub("", _EMOJI_CODE.sub("", text)).strip()
    if len(body) < 2:
        return False
    if _MARK.search(body) or _OPENERS.match(body):
        return True
    last = body[-1]
    if last in "吗么呢":
        return True
    if last == "嘛" and _MA_OK.search(body):
        return True
    if _A_NOT_A.search(body):
        return True
    cleaned = _NON_QUESTION_IDIOMS.sub("", body)
    return bool(_INTERROGATIVE.search(cleaned))
