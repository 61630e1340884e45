"""Words that are everywhere in live comments and say nothing about what the room talks about.

Function words and pronouns, greetings and cheers every room has (主播好, 来了, 支持), filler and reactions.
Emoji codes (``[赞]``), bare numbers (666, 888, prices), laughter (哈哈哈) and one-character tokens are removed by
rules in ``hotwords.py``, not listed here.
"""

from __future__ import annotations

__all__ = ["STOP_WORDS"]

STOP_WORDS = frozenset(
    """
    主播 直播 直播间 大家 我们 你们 他们 她们 咱们 自己 别人 这个 那个 这些 那些 这里 那里 这样 那样 这么 那么
    什么 怎么 怎样 为什么 为啥 哪里 哪个 哪儿 多少 是不是 有没有 能不能 可不可以 要不要 会不会 可以 不是 就是 还是
    但是 因为 所以 如果 然后 而且 或者 已经 现在 今天 明天 昨天 刚才 马上 一下 一个 一点 一起 一直 一样 一定 有点
    没有 没事 不要 不会 不能 不用 知道 觉得 感觉 应该 可能 真的 其实 还有 还在 就要 只是 只有 的话 时候 东西 之前
    之后 以后 以前 好的 好吧 好滴 嗯嗯 哦哦 啊啊 哇哇 呜呜 来了 来啦 回来 支持 关注 点赞 谢谢 感谢 欢迎 你好 您好
    晚上好 早上好 下午好 大家好 主播好 加油 哈喽 拜拜 晚安 厉害 牛逼 牛批 太棒了 好看 好听 喜欢 爱了 可爱
    the and you for are this that with have what just like lol haha hhh ok okay yes
    """.split()  # noqa: SIM905 - a word list reads best as text
)
