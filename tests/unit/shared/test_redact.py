"""Hardening #12, finding 5: credentials are taken out of every log line (shared/redact.py, shared/logs.py)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.logs import JsonFormatter, setup_logging
from shared.redact import MASK, Redactor, redact

TOKEN = "tok-9f8e7d6c5b4a3210"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '127.0.0.1:5 - "WebSocket /ws?token=abcDEF_-123" [accepted]',
            '127.0.0.1:5 - "WebSocket /ws?token=***" [accepted]',
            id="uvicorn-ws-line",
        ),
        pytest.param("GET /ws?session_id=1&token=abc&x=1", "GET /ws?session_id=1&token=***&x=1", id="query-middle"),
        pytest.param(
            "https://live.example/a?msToken=AAA&room=1&access_token=q",
            "https://live.example/a?msToken=***&room=1&access_token=***",
            id="query-token-names",
        ),
        pytest.param("Authorization: Bearer abcdefghijkl", "Authorization: Bearer ***", id="bearer-header"),
        pytest.param("authorization: Basic dXNlcjpwYXNz", "authorization: Basic ***", id="basic-header"),
        pytest.param('{"Authorization": "Bearer abc"}', '{"Authorization": "Bearer ***"}', id="header-dict"),
        pytest.param("sent Bearer abcdefghijkl upstream", "sent Bearer *** upstream", id="bearer-alone"),
        pytest.param("the bearer of bad news", "the bearer of bad news", id="bearer-prose"),
        pytest.param("redis://:pw123@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0", id="redis-password"),
        pytest.param("unix://:deadbeef@/run/redis.sock?db=0", "unix://:***@/run/redis.sock?db=0", id="unix-password"),
        pytest.param("postgresql+psycopg://bob:hunter2@db/x", "postgresql+psycopg://bob:***@db/x", id="db-password"),
        pytest.param("https://example.com/path?q=1", "https://example.com/path?q=1", id="plain-url"),
        pytest.param("{'token': 'abc', 'cmd': 'status'}", "{'token': '***', 'cmd': 'status'}", id="dict-repr"),
        pytest.param('{"token": "ab\\"c", "k": 1}', '{"token": "***", "k": 1}', id="json-escaped-quote"),
        pytest.param("sessionid=abc; path=/", "sessionid=***; path=/", id="cookie"),
        pytest.param(
            "sessionid=a1; sessionid_ss=a1; uid_tt=u2; uid_tt_ss=u2; sid_ucp_v1=1.0; ssid_ucp_v1=1.0; ttwid=t",
            "sessionid=***; sessionid_ss=***; uid_tt=***; uid_tt_ss=***; sid_ucp_v1=***; ssid_ucp_v1=***; ttwid=t",
            id="douyin-login-cookies",
        ),
        pytest.param("password=hunter2 user=x", "password=*** user=x", id="key-value"),
        pytest.param("key=room:1 room=7", "key=room:1 room=7", id="redis-key-untouched"),
    ],
)
def test_patterns(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(expected) == expected  # a second pass (the launcher's, after the child's) changes nothing


def test_known_secret_anywhere() -> None:
    r = Redactor([TOKEN, "short"])
    assert r(f"x{TOKEN}y and {TOKEN}") == f"x{MASK}y and {MASK}"
    assert r("a short word") == "a short word"  # too short to replace everywhere


def test_structured_values() -> None:
    r = Redactor([TOKEN])
    value = {"token": "abc", "n": {"Authorization": "x", "msg": "token=abc"}, "l": [f"id {TOKEN}"], "count": 3}
    assert r.value(value) == {
        "token": MASK,
        "n": {"Authorization": MASK, "msg": f"token={MASK}"},
        "l": [f"id {MASK}"],
        "count": 3,
    }


@pytest.fixture
def restore_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_every_logger_through_setup_logging_is_redacted(tmp_path: Path, restore_root_logging: None) -> None:
    """uvicorn's own logger, a service's logger with extra fields and a traceback: no token in the file."""
    log_file = tmp_path / "logs" / "gateway.log"
    setup_logging("gateway", "INFO", log_file=log_file, secrets=[TOKEN])
    logging.getLogger("uvicorn.error").info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5", f"/ws?token={TOKEN}")
    log = logging.getLogger("services.gateway")
    log.info("upstream", extra={"token": TOKEN, "url": f"redis://:{TOKEN}@h/0"})
    try:
        raise RuntimeError(f"failed with Authorization: Bearer {TOKEN}")
    except RuntimeError:
        log.exception("boom")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert TOKEN not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["msg"] == '127.0.0.1:5 - "WebSocket /ws?token=***" [accepted]'
    assert lines[1]["token"] == MASK and lines[1]["url"] == "redis://:***@h/0"
    assert "Bearer ***" in lines[2]["exc"]


def test_formatter_without_known_secrets_still_masks_patterns() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("x"))
    record = logging.LogRecord("uvicorn.error", logging.INFO, "", 0, "GET /ws?token=%s", ("secret-value",), None)
    handler.emit(record)
    assert "secret-value" not in stream.getvalue() and "token=***" in stream.getvalue()
