"""The room's own words (issue 16): hot words in model_config, products from the room's comments, into the prompt."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from services.ast.config import AudioConfig, ModelConfig, parse_model_config
from services.ast.errors import InvalidJobConfig
from services.ast.prompt import product_mentions
from services.ast.sources import SourceEnd, UrlResolver
from shared.bus import Bus
from shared.events import EventType, LiveEvent
from shared.retry import constant, limited
from tests.unit.ast.test_ast_adoption import LIVE, started, until
from tests.unit.ast.test_ast_pipeline import FakeEngine, FakeOpener, FakeStream, LoudVad, pcm


def test_hot_words_are_cleaned_and_bounded() -> None:
    config = parse_model_config({"hotwords": [" 云朵酥 ", "云朵酥", "", "蓝鲸泡泡杯"], "room_title": "小猫零食铺"})
    assert config.hotwords == ["云朵酥", "蓝鲸泡泡杯"] and config.room_title == "小猫零食铺"
    assert parse_model_config(None).hotwords == []
    with pytest.raises(InvalidJobConfig, match="热词最长 30 个字"):
        parse_model_config({"hotwords": ["长" * 31]})
    with pytest.raises(InvalidJobConfig, match="hotwords"):
        parse_model_config({"hotwords": [f"词{i}" for i in range(51)]})
    with pytest.raises(InvalidJobConfig, match="hotwords"):
        parse_model_config({"hotwords": "云朵酥"})


@pytest.mark.parametrize(
    ("comment", "names"),
    [
        ("蓝鲸泡泡杯多少钱", ["蓝鲸泡泡杯"]),
        ("请问主播蓝鲸泡泡杯还有吗", ["蓝鲸泡泡杯"]),
        ("【星橙沐光霜】好用吗", ["星橙沐光霜"]),
        ("这款拾光焙茶什么味道", ["拾光焙茶"]),
        ("云朵酥拍了云朵酥到了", ["云朵酥"]),
        ("几号链接", []),
        ("3号链接", []),
        ("主播好漂亮", []),
        ("666", []),
    ],
)
def test_products_viewers_ask_about(comment: str, names: list[str]) -> None:
    assert product_mentions(comment) == names


async def test_products_in_a_rooms_comments_reach_its_jobs_prompt(redis_url: str, tmp_path: Path) -> None:
    engines: list[FakeEngine] = []

    def engine_factory(config: ModelConfig, models_dir: Path) -> FakeEngine:
        engines.append(FakeEngine())
        return engines[-1]

    def opener_factory(session_id: str, audio: AudioConfig, resolver: UrlResolver | None) -> FakeOpener:
        speech = pcm(*[(0.6, 0), (0.5, 0.5)] * 200)  # a burst of "speech" every 1.1 s
        return FakeOpener([FakeStream(speech, SourceEnd(True), pace=0.05)], live=True)

    options: dict[str, Any] = {
        "engine_factory": engine_factory,
        "opener_factory": opener_factory,
        "vad_loader": LoudVad,
        "retry_policy": limited(constant(0.01), 2),
    }
    app, bus = await started(redis_url, tmp_path, **options)
    viewer = Bus(redis_url, service="fetcher")
    await viewer.start()
    try:
        model = {"engine": "whisper", "hotwords": ["云朵酥"], "room_title": "小猫零食铺"}
        await app.commands()["start_job"]({"session_id": "room", "audio_config": LIVE, "model_config": model})
        await until(lambda: bool(engines) and engines[0].calls >= 1 and app.comments_live, 10, "a first utterance")
        first = engines[0].prompts[0] or ""
        assert "直播间：小猫零食铺。" in first and "本场热词：云朵酥。" in first
        for sid, text in (("room", "请问蓝鲸泡泡杯多少钱"), ("other-room", "雪绒猫爪垫还有吗"), ("room", "主播好")):
            await viewer.publish(LiveEvent.build(EventType.CHAT, sid, {"content": text}))
        await until(lambda: "蓝鲸泡泡杯" in (engines[0].prompts[-1] or ""), 10, "the product in the prompt")
        prompt = engines[0].prompts[-1] or ""
        assert "本场热词：云朵酥、蓝鲸泡泡杯。" in prompt and "雪绒猫爪垫" not in prompt
    finally:
        await app.stop()
        await viewer.close()
        await bus.close()
        await asyncio.sleep(0)
