"""The live-event schema: JSON in and out, ids as strings, data checked per type."""

from __future__ import annotations

import orjson
import pytest

from shared.events import EventType, InvalidEvent, LiveEvent, fast_event_json


def test_round_trip_keeps_big_ids_as_strings() -> None:
    big = str(2**63 + 12345)
    ev = LiveEvent.build(
        "chat", "s1", {"content": "你好 👋"}, msg_id=big, ts=1790519971067, user={"id": big, "nickname": "用户****"}
    )
    back = LiveEvent.from_json(ev.to_json())
    assert back.msg_id == big and back.user is not None and back.user.id == big
    assert back.data["content"] == "你好 👋"
    assert orjson.loads(ev.to_json())["ts"] == 1790519971067


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b'{"type":"nope","session_id":"s","msg_id":"1","ts":1,"data":{}}', id="unknown-type"),
        pytest.param(b'{"type":"chat","session_id":"s","msg_id":"","ts":1,"data":{"content":"x"}}', id="empty-id"),
        pytest.param(b'{"type":"chat","session_id":"s","msg_id":"1","ts":1,"data":{}}', id="chat-without-content"),
        pytest.param(
            b'{"type":"gift","session_id":"s","msg_id":"1","ts":1,"data":{"gift_id":"1","delta":-1}}',
            id="negative-delta",
        ),
        pytest.param(
            b'{"type":"control","session_id":"s","msg_id":"1","ts":1,"data":{"status":"x"}}', id="bad-control"
        ),
    ],
)
def test_invalid_payloads_are_refused_with_a_reason(payload: bytes) -> None:
    with pytest.raises(InvalidEvent, match="not a live event"):
        LiveEvent.from_json(payload)


def test_every_type_has_a_data_model() -> None:
    samples = {
        EventType.CHAT: {"content": "x"},
        EventType.GIFT: {"gift_id": "1", "delta": 1},
        EventType.CONTROL: {"status": "ended"},
        EventType.TRANSCRIPT: {"text": "hi", "start_ms": 0, "end_ms": 10},
        EventType.RECORDING: {"recording_id": "r", "state": "started"},
        EventType.SERVICE: {"service": "ast", "state": "running"},
        EventType.AST_JOB: {"state": "running", "previous": "starting", "worker_id": "w1"},
        EventType.STATS: {"totals": {"comments": 3, "peak_online": None}, "minute": None},
    }
    for kind in EventType:
        LiveEvent.build(kind, "s", samples.get(kind, {}))


def test_fast_json_matches_the_model() -> None:
    raw = fast_event_json(
        "like", "s", "9", 5, {"count": 3, "total": 10}, live_id="42", user={"id": "1", "nickname": "n"}
    )
    ev = LiveEvent.from_json(raw)
    assert ev.type is EventType.LIKE and ev.live_id == "42" and ev.data == {"count": 3, "total": 10}
