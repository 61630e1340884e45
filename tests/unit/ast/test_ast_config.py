from __future__ import annotations

from typing import Any

import pytest

from services.ast.config import AudioConfig, ModelConfig, parse_audio_config, parse_model_config
from services.ast.errors import InvalidJobConfig


@pytest.mark.parametrize(
    ("raw", "source", "live"),
    [
        pytest.param({"source": "file", "path": "/tmp/a.wav"}, "file", False, id="file"),
        pytest.param({"source": "url", "url": "https://example.test/live.flv"}, "url", True, id="url-live"),
        pytest.param({"source": "url", "url": "http://h.test/a.mp3", "live": False}, "url", False, id="url-finite"),
        pytest.param({"source": "session", "session_id": "s1"}, "session", True, id="session"),
        # The gateway sends every key of its flat model, the unused ones as None.
        pytest.param(
            {"source": "file", "session_id": None, "url": None, "path": "/x.flac", "save_audio": True},
            "file",
            False,
            id="gateway-shape",
        ),
    ],
)
def test_valid_audio_configs(raw: dict[str, Any], source: str, live: bool) -> None:
    cfg = parse_audio_config(raw)
    assert cfg.source == source
    assert cfg.is_live is live


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        pytest.param({"source": "file"}, "needs path", id="file-without-path"),
        pytest.param({"source": "url", "url": "file:///etc/passwd"}, "not a network stream", id="local-url"),
        pytest.param({"source": "url"}, "needs url", id="url-without-url"),
        pytest.param({"source": "session"}, "needs session_id", id="session-without-id"),
        pytest.param({"source": "mic"}, "source", id="unknown-source"),
        pytest.param({"source": "file", "path": "a", "bogus": 1}, "bogus", id="unknown-key"),
    ],
)
def test_invalid_audio_configs(raw: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidJobConfig) as info:
        parse_audio_config(raw)
    assert fragment in str(info.value)
    assert "audio_config" in str(info.value)
    assert info.value.code == "invalid"


def test_model_config_defaults_to_whisper_chinese() -> None:
    cfg = parse_model_config(None)
    assert (cfg.engine, cfg.language, cfg.compute_type, cfg.window) == ("whisper", "zh", "int8", "fit")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({"engine": "kaldi"}, id="unknown-engine"),
        pytest.param({"language": "fr"}, id="unknown-language"),
        pytest.param({"threads": 0}, id="no-threads"),
        pytest.param({"beam": 5}, id="unknown-key"),
        pytest.param(["whisper"], id="not-an-object"),
    ],
)
def test_invalid_model_configs(raw: Any) -> None:
    with pytest.raises(InvalidJobConfig):
        parse_model_config(raw)


def test_engine_key_ignores_language() -> None:
    zh = ModelConfig(language="zh")
    en = ModelConfig(language="en")
    assert zh.engine_key() == en.engine_key()
    assert ModelConfig(engine="sensevoice").engine_key() != zh.engine_key()


def test_describe_never_shows_url_query() -> None:
    cfg = AudioConfig(source="url", url="https://cdn.test/stream.flv?token=SECRET")
    assert "SECRET" not in cfg.describe()
