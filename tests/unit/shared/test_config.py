"""Settings: contract defaults, environment over file, validation errors naming the key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from shared.config import load_settings, save_settings
from shared.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("TIMAO_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("TIMAO_HOME", str(tmp_path))


def test_contract_defaults(tmp_path: Path) -> None:
    s = load_settings()
    assert (s.gateway_port, s.streamcap_port) == (9019, 6006)
    assert s.effective_database_url == f"sqlite:///{tmp_path / 'timao.db'}"
    assert s.redis_url == ""
    assert s.douyin_live_url == "https://live.douyin.com"
    assert s.douyin_www_url == "https://www.douyin.com"
    assert (s.douyin_share_url, s.douyin_reflow_url) == ("https://v.douyin.com", "https://webcast.amemv.com")
    assert s.douyin_ws_url == "wss://webcast100-ws-web-lq.douyin.com/webcast/im/push/v2/"
    assert s.effective_signer == "none"


def test_signer_defaults_to_js_file_when_present(tmp_path: Path) -> None:
    (tmp_path / "signer").mkdir()
    (tmp_path / "signer" / "sign.js").write_text("function get_sign(x){return x}")
    assert load_settings().effective_signer == f"js:{tmp_path / 'signer' / 'sign.js'}"


def test_environment_beats_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "settings.toml").write_text('gateway_port = 9100\nstreamcap_port = 6100\nlog_level = "DEBUG"\n')
    monkeypatch.setenv("TIMAO_GATEWAY_PORT", "9200")
    s = load_settings()
    assert s.gateway_port == 9200
    assert s.streamcap_port == 6100
    assert s.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        pytest.param("TIMAO_GATEWAY_PORT", "70000", "TIMAO_GATEWAY_PORT", id="port-range"),
        pytest.param("TIMAO_GATEWAY_PORT", "abc", "TIMAO_GATEWAY_PORT", id="port-type"),
        pytest.param("TIMAO_REDIS_URL", "http://x", "TIMAO_REDIS_URL", id="redis-scheme"),
        pytest.param("TIMAO_DATABASE_URL", "timao.db", "TIMAO_DATABASE_URL", id="db-url"),
        pytest.param("TIMAO_DOUYIN_SIGNER", "python:x", "TIMAO_DOUYIN_SIGNER", id="signer"),
        pytest.param("TIMAO_LOG_LEVEL", "LOUD", "TIMAO_LOG_LEVEL", id="log-level"),
    ],
)
def test_bad_settings_name_the_key(monkeypatch: pytest.MonkeyPatch, key: str, value: str, fragment: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=fragment):
        load_settings()


def test_broken_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("gateway_port = = 1")
    with pytest.raises(ConfigError, match=r"settings\.toml: not valid TOML"):
        load_settings()


def test_saved_settings_with_control_characters_read_back(tmp_path: Path) -> None:
    # DEL is left raw by JSON escaping but refused by TOML: the file must stay readable for the next save and start.
    save_settings(tmp_path, {"recordings_dir": "/tmp/a\x7fb\x08c"})
    assert str(save_settings(tmp_path, {"gateway_port": 9100}).recordings_dir) == "/tmp/a\x7fb\x08c"


def test_token_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    first = load_settings().resolve_token()
    second = load_settings().resolve_token()
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE((tmp_path / "token").stat().st_mode)
    assert mode == 0o600


def test_token_from_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIMAO_TOKEN", "from-env")
    assert load_settings().resolve_token() == "from-env"
    assert not (tmp_path / "token").exists()


def test_child_environment_carries_the_resolved_values(tmp_path: Path) -> None:
    s = load_settings(redis_url="redis://127.0.0.1:1234/0")
    env = s.child_environment()
    assert env["TIMAO_HOME"] == str(tmp_path)
    assert env["TIMAO_REDIS_URL"] == "redis://127.0.0.1:1234/0"
    assert env["TIMAO_TOKEN"] == s.resolve_token()
    assert env["TIMAO_DATABASE_URL"].startswith("sqlite:///")


def test_public_view_hides_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMAO_TOKEN", "secret-token-value")
    assert "secret-token-value" not in str(load_settings().public_view())


def test_transport_defaults_and_page_signing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings()
    assert (s.douyin_transport, s.browser, s.browser_headless) == ("auto", "", False)
    assert s.page_signing  # nothing configured: the live site's page signs
    env = s.child_environment()
    assert env["TIMAO_DOUYIN_TRANSPORT"] == "auto" and "TIMAO_DOUYIN_SIGNER" not in env
    (tmp_path / "signer").mkdir()
    (tmp_path / "signer" / "sign.js").write_text("function get_sign(x){return x}")
    assert not load_settings().page_signing
    monkeypatch.setenv("TIMAO_DOUYIN_SIGNER", "none")
    monkeypatch.setenv("TIMAO_BROWSER_HEADLESS", "1")
    chosen = load_settings()
    assert not chosen.page_signing and chosen.child_environment()["TIMAO_DOUYIN_SIGNER"] == "none"
    assert chosen.child_environment()["TIMAO_BROWSER_HEADLESS"] == "1"
    monkeypatch.setenv("TIMAO_DOUYIN_TRANSPORT", "carrier-pigeon")
    with pytest.raises(ConfigError, match="TIMAO_DOUYIN_TRANSPORT"):
        load_settings()
