"""The overlay's keys and its read-only stream, in-process over real Redis and SQLite: keys are created, listed,
restyled and revoked with the API token; a key opens the overlay page and ``/overlay/ws`` and nothing else."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from services.gateway.overlay import OverlayKeyStore, OverlayStyle
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.events import LiveEvent
from tests.unit.gateway.test_api import AUTH, BASE, TOKEN, client, publish, wait_for

__all__ = ["client"]  # the fixture, shared with test_api

WS = "ws://127.0.0.1:9019"


def new_key(c: TestClient, **body: object) -> dict[str, object]:
    answer = c.post("/api/overlay/keys", headers=AUTH, json=body)
    assert answer.status_code == 201, answer.text
    data: dict[str, object] = answer.json()
    return data


def test_keys_need_the_api_token_and_are_created_listed_and_revoked(client: TestClient) -> None:
    assert client.get("/api/overlay/keys").status_code == 401
    assert client.post("/api/overlay/keys", json={}).status_code == 401
    made = new_key(client, name="左下角")
    key = str(made["key"])
    assert key != TOKEN and len(key) >= 32
    assert made["url"] == f"http://127.0.0.1:9019/overlay/chat?key={key}"
    assert set(made["urls"]) == {"chat", "gifts", "stats", "thanks"}  # type: ignore[arg-type]
    assert made["style"] == OverlayStyle().model_dump() and made["name"] == "左下角"
    other = new_key(client)  # no body fields at all: defaults
    listed = client.get("/api/overlay/keys", headers=AUTH).json()["keys"]
    assert [k["key"] for k in listed] == [key, other["key"]]

    gone = client.delete(f"/api/overlay/keys/{key}", headers=AUTH)
    assert gone.status_code == 200 and gone.json() == {"key": key, "revoked": True, "closed_streams": 0}
    assert [k["key"] for k in client.get("/api/overlay/keys", headers=AUTH).json()["keys"]] == [other["key"]]
    assert client.delete(f"/api/overlay/keys/{key}", headers=AUTH).status_code == 404  # already revoked
    assert client.delete("/api/overlay/keys/nope", headers=AUTH).status_code == 404
    assert client.delete("/api/overlay/keys/a%00bbbbbbbbbbbbbbbbbbbbbb", headers=AUTH).status_code == 404


def test_bad_bodies_and_styles_are_refused(client: TestClient) -> None:
    assert client.post("/api/overlay/keys", headers=AUTH, json={"name": ""}).status_code == 422
    assert client.post("/api/overlay/keys", headers=AUTH, json={"name": "x" * 41}).status_code == 422
    assert client.post("/api/overlay/keys", headers=AUTH, json={"token": "x"}).status_code == 422
    key = new_key(client)["key"]
    for bad in (
        {"rows": 0},
        {"rows": 51},
        {"text_color": "red"},
        {"events": ["transcript"]},
        {"fade_s": -1},
        {"fade_s": False},
        {"rows": "3"},
    ):
        answer = client.put(f"/api/overlay/keys/{key}/style", headers=AUTH, json=bad)
        assert answer.status_code == 422, bad
    saved = client.put(f"/api/overlay/keys/{key}/style", headers=AUTH, json={"rows": 3, "text_color": "#00ff00"})
    assert saved.status_code == 200
    assert saved.json()["style"]["rows"] == 3 and saved.json()["style"]["font_size"] == 26
    listed = client.get("/api/overlay/keys", headers=AUTH).json()["keys"][0]
    assert listed["style"]["text_color"] == "#00ff00"  # saved server side, with the key
    assert client.put("/api/overlay/keys/nope-nope-nope-nope/style", headers=AUTH, json={}).status_code == 404


def test_page_needs_a_live_key_and_holds_no_token(client: TestClient) -> None:
    key = str(new_key(client)["key"])
    assert client.get("/overlay/chat").status_code == 401
    assert client.get("/overlay/chat?key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status_code == 401
    assert client.get(f"/overlay/chat?key={TOKEN}").status_code == 401  # the API token is no overlay key
    assert client.get(f"/overlay/other?key={key}").status_code == 422
    page = client.get(f"/overlay/stats?key={key}")
    # Without a built UI the page cannot be served, and says why; with one, it is the static overlay page.
    if page.status_code == 503:
        assert "scripts/build-ui.sh" in page.json()["detail"]
    else:
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert TOKEN not in page.text and page.headers["cache-control"] == "no-store"
    client.delete(f"/api/overlay/keys/{key}", headers=AUTH)
    assert client.get(f"/overlay/stats?key={key}").status_code == 403
    # The key opens nothing of the API.
    assert client.get("/api/sessions", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_foreign_origin_and_host_still_refused_on_overlay_paths(client: TestClient) -> None:
    key = str(new_key(client)["key"])
    assert client.get(f"/overlay/chat?key={key}", headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.get(f"/overlay/chat?key={key}", headers={"Host": "evil.example"}).status_code == 421
    with (
        client.websocket_connect(f"{WS}/overlay/ws?key={key}", headers={"Origin": "http://evil.example"}) as ws,
        pytest.raises(WebSocketDisconnect) as info,
    ):
        ws.receive_text()
    assert info.value.code == 4403


def test_overlay_stream_sends_style_then_room_events_only(client: TestClient, redis_url: str) -> None:
    key = str(new_key(client)["key"])
    hub = client.app.state.gw.hub  # type: ignore[attr-defined]
    with client.websocket_connect(f"{WS}/overlay/ws?key={key}", headers={"Origin": BASE}) as ws:
        first = orjson.loads(ws.receive_text())
        assert first["type"] == "overlay_style" and first["style"]["rows"] == 8
        wait_for(lambda: len(hub.clients) == 1)
        time.sleep(0.2)
        threading.Thread(
            target=publish,
            args=(
                redis_url,
                LiveEvent.build("recording", "s", {"recording_id": "r", "state": "recording", "file": "/x.ts"}),
                LiveEvent.build("service", "s", {"service": "ast", "state": "running"}),
                LiveEvent.build("chat", "s", {"content": "你好 🎉"}, msg_id="1"),
            ),
        ).start()
        got: list[dict[str, object]] = []
        while not got:
            message = orjson.loads(ws.receive_text())
            assert isinstance(message, list)
            got += message
        assert [e["type"] for e in got] == ["chat"] and got[0]["data"] == {"content": "你好 🎉"}

        # A saved style reaches the open page at once.
        client.put(f"/api/overlay/keys/{key}/style", headers=AUTH, json={"rows": 4})
        restyled = orjson.loads(ws.receive_text())
        assert restyled == {"type": "overlay_style", "style": {**OverlayStyle().model_dump(), "rows": 4}}

        # Revoking the key closes the open stream.
        assert client.delete(f"/api/overlay/keys/{key}", headers=AUTH).json()["closed_streams"] == 1
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
        assert info.value.code == 4403
    wait_for(lambda: len(hub.clients) == 0)


def test_overlay_stream_refuses_missing_unknown_and_revoked_keys(client: TestClient) -> None:
    key = str(new_key(client)["key"])
    client.delete(f"/api/overlay/keys/{key}", headers=AUTH)
    for query, code in (("", 4401), ("?key=zzzzzzzzzzzzzzzzzzzzzzzz", 4401), (f"?key={key}", 4403)):
        with client.websocket_connect(f"{WS}/overlay/ws{query}") as ws, pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
        assert info.value.code == code, query


def test_store_keeps_revoked_keys_apart_and_fills_old_styles(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'o.db'}")
    upgrade_to_head(engine)
    store = OverlayKeyStore(engine, now_ms=lambda: 5)
    made = store.create("a", OverlayStyle(rows=2))
    assert store.get(made["key"]) == ("good", made)
    # A row written with only some style fields (an older version) reads with today's defaults for the rest.
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE overlay_keys SET style = ?", ('{"rows": 5}',))
    assert store.get(made["key"])[1]["style"] == {**OverlayStyle().model_dump(), "rows": 5}  # type: ignore[index]
    assert store.revoke(made["key"]) and not store.revoke(made["key"])
    assert store.get(made["key"]) == ("revoked", None) and store.get("x") == ("unknown", None)
    assert store.active() == [] and store.set_style(made["key"], OverlayStyle()) is None
    engine.dispose()
