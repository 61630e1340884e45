"""The rooms' hot words ("热词", issue 16) through the gateway: stored per room, refused clearly when too many or too
long, and handed to the transcription job with the room's title. The AST worker is a stand-in on the real bus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from services.gateway.app import create_app
from services.gateway.vocabulary import FILE_NAME
from shared.bus import Bus
from shared.config import load_settings
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.models import LiveSession
from tests.unit.gateway.stand_in import StandInService

TOKEN = "gateway-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def client(home: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for key, value in {"HOME": str(home), "REDIS_URL": redis_url, "TOKEN": TOKEN, "STREAMCAP_PORT": "1"}.items():
        monkeypatch.setenv(f"TIMAO_{key}", value)
    monkeypatch.delenv("TIMAO_GATEWAY_PORT", raising=False)
    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    upgrade_to_head(engine)
    with Session(engine) as s, s.begin():
        s.add(LiveSession(id="sess-room", platform="douyin", live_id="7788", title="小猫零食铺", status="active"))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:9019") as c:
        yield c


class StandInAst(StandInService):
    """Answers start_job on the real bus and records what it was asked."""

    def __init__(self, redis_url: str) -> None:
        super().__init__(redis_url, "ast")

    @property
    def starts(self) -> list[dict[str, Any]]:
        return self.got("start_job")

    async def answer(self, bus: Bus, command: str, params: dict[str, Any]) -> dict[str, Any]:
        return {"session_id": params.get("session_id"), "state": "running"}  # a job's status (JobStatus)

    async def gone(self, bus: Bus) -> None:
        await bus.redis.delete("timao:hb:ast")


def test_hot_words_are_kept_per_room(client: TestClient, home: Path) -> None:
    assert client.get("/api/ast/vocabulary", headers=AUTH).json() == {"room": "default", "words": []}
    saved = client.put(
        "/api/ast/vocabulary", json={"room": "7788", "words": [" 云朵酥 ", "云朵酥", "", "蓝鲸泡泡杯"]}, headers=AUTH
    )
    assert saved.status_code == 200 and saved.json() == {"room": "7788", "words": ["云朵酥", "蓝鲸泡泡杯"]}
    assert client.get("/api/ast/vocabulary?room=7788", headers=AUTH).json()["words"] == ["云朵酥", "蓝鲸泡泡杯"]
    assert client.get("/api/ast/vocabulary", headers=AUTH).json()["words"] == []
    assert (home / FILE_NAME).stat().st_mode & 0o777 == 0o600
    # Emptying a room's list forgets the room.
    assert client.put("/api/ast/vocabulary", json={"room": "7788", "words": []}, headers=AUTH).json()["words"] == []
    assert "7788" not in (home / FILE_NAME).read_text(encoding="utf-8")


def test_bad_hot_words_are_refused_clearly_and_change_nothing(client: TestClient) -> None:
    client.put("/api/ast/vocabulary", json={"words": ["云朵酥"]}, headers=AUTH)
    too_long = client.put("/api/ast/vocabulary", json={"words": ["长" * 31]}, headers=AUTH)
    assert too_long.status_code == 422 and "热词最长 30 个字" in too_long.json()["detail"]
    too_many = client.put("/api/ast/vocabulary", json={"words": [f"词{i}" for i in range(51)]}, headers=AUTH)
    assert too_many.status_code == 422 and "热词最多 50 个" in too_many.json()["detail"]
    assert client.put("/api/ast/vocabulary", json={"words": "云朵酥"}, headers=AUTH).status_code == 422
    assert client.put("/api/ast/vocabulary", json={"room": "", "words": []}, headers=AUTH).status_code == 422
    for bad in ({"words": ["a\x00b"]}, {"room": "\n", "words": []}, {"room": " ", "words": ["x"]}):
        refused = client.put("/api/ast/vocabulary", json=bad, headers=AUTH)
        assert refused.status_code == 422 and "无" in refused.json()["detail"], bad
    lone = b'{"words": ["\\ud800"]}'  # a lone surrogate: valid JSON, not storable text
    response = client.put("/api/ast/vocabulary", content=lone, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 422
    assert client.get("/api/ast/vocabulary", headers=AUTH).json()["words"] == ["云朵酥"]


def test_a_job_gets_its_rooms_words_and_title(client: TestClient, redis_url: str) -> None:
    client.put("/api/ast/vocabulary", json={"room": "7788", "words": ["云朵酥"]}, headers=AUTH)
    client.put("/api/ast/vocabulary", json={"words": ["喵呜脆"]}, headers=AUTH)
    with StandInAst(redis_url) as ast:
        room = {"audio_config": {"source": "session", "session_id": "sess-room"}}
        assert client.post("/api/ast/start", json=room, headers=AUTH).status_code == 200
        url = {"audio_config": {"source": "url", "url": "http://127.0.0.1:1/a.flv"}}
        assert client.post("/api/ast/start", json=url, headers=AUTH).status_code == 200
        own = {**url, "model_config": {"hotwords": ["自带的词"]}}
        assert client.post("/api/ast/start", json=own, headers=AUTH).status_code == 200
    room_job, url_job, own_job = (params["model_config"] for params in ast.starts)
    assert room_job["hotwords"] == ["云朵酥"] and room_job["room_title"] == "小猫零食铺"
    assert url_job["hotwords"] == ["喵呜脆"] and "room_title" not in url_job  # the default list
    assert own_job["hotwords"] == ["自带的词"]
