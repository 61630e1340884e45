"""Subtitle files follow the stored events (docs/contracts.md, Recording timelines): a file is rewritten when rows
were stored in its window since it was written, and left alone otherwise. Real SQLite with the real migrations."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, insert

from services.gateway.subtitles.service import SubtitleService
from services.gateway.subtitles.writer import (
    ensure_subtitle,
    files_of,
    read_sources,
    sources_path,
    subtitle_path,
    write_subtitle,
)
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.models import LiveSession
from shared.db.store import EventStore
from shared.timeline import Timeline, write_timeline

LIVE_ID = "100000000001"
T0 = 1_800_000_000_000


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    upgrade_to_head(engine)
    started = datetime.fromtimestamp(T0 / 1000, UTC)
    with engine.begin() as conn:
        conn.execute(insert(LiveSession).values(id="s1", platform="douyin", live_id=LIVE_ID, status="live",
                                                started_at=started))  # fmt: skip
    yield engine
    engine.dispose()


@pytest.fixture
def recording(tmp_path: Path) -> dict[str, Any]:
    folder = tmp_path / "recordings" / "douyin"
    folder.mkdir(parents=True)
    media = folder / "主播_20270115-080000_000.mp4"
    media.write_bytes(b"\x00")  # the writer reads the file's clock and duration, never its media
    write_timeline(media, Timeline(T0))
    return {"recording_id": "rec1", "platform": "douyin", "source": LIVE_ID,
            "started_at": datetime.fromtimestamp(T0 / 1000, UTC).isoformat(),
            "files": [{"path": str(media), "duration": 60.0}]}  # fmt: skip


def comment(i: int, at_ms: int) -> dict[str, Any]:
    return {"type": "chat", "session_id": "s1", "msg_id": f"c{i}", "ts": T0 + at_ms,
            "user": {"id": str(i), "nickname": f"观众{i}"}, "data": {"content": f"弹幕{i}"}}  # fmt: skip


def transcript(i: int, start_ms: int, text: str) -> dict[str, Any]:
    return {"type": "transcript", "session_id": "s1", "msg_id": f"t{i}", "ts": T0 + start_ms,
            "data": {"text": text, "start_ms": start_ms, "end_ms": start_ms + 1500, "confidence": 1,
                     "language": "zh"}}  # fmt: skip


def test_a_file_is_rewritten_only_when_its_windows_events_changed(
    engine: Engine, recording: dict[str, Any], tmp_path: Path
) -> None:
    store = EventStore(engine)
    store.write([comment(1, 1000), transcript(1, 2000, "欢迎大家")])
    (entry,) = files_of(recording, tmp_path / "recordings")
    path, written = ensure_subtitle(engine, recording, entry, "speech", "srt")
    assert written and path == subtitle_path(entry.path, "speech", "srt")
    assert "欢迎大家" in path.read_text(encoding="utf-8")
    assert set(read_sources(entry.path)) == {"speech.srt"}

    # Nothing new: the file stays as it is (not even rewritten with the same text).
    path.write_text("kept\n", encoding="utf-8")
    assert ensure_subtitle(engine, recording, entry, "speech", "srt") == (path, False)
    assert path.read_text(encoding="utf-8") == "kept\n"
    # Events outside the file's window (after its 60 s) do not make it stale either.
    store.write([transcript(2, 70_000, "窗口之外"), comment(2, 65_000)])
    assert ensure_subtitle(engine, recording, entry, "speech", "srt") == (path, False)

    # A transcript line the transcription finished later, inside the window: rewritten with it.
    store.write([transcript(3, 30_000, "晚到的一句")])
    path2, written = ensure_subtitle(engine, recording, entry, "speech", "srt")
    assert written and path2 == path
    text = path.read_text(encoding="utf-8")
    assert "欢迎大家" in text and "晚到的一句" in text and "窗口之外" not in text

    # Each file has its own fingerprint: the danmaku ASS follows the comments, not the transcripts.
    ass, written = ensure_subtitle(engine, recording, entry, "danmaku", "ass")
    assert written and "弹幕1" in ass.read_text(encoding="utf-8")
    assert ensure_subtitle(engine, recording, entry, "danmaku", "ass")[1] is False
    store.write([transcript(4, 40_000, "又一句")])
    assert ensure_subtitle(engine, recording, entry, "danmaku", "ass")[1] is False
    store.write([comment(3, 50_000)])
    ass, written = ensure_subtitle(engine, recording, entry, "danmaku", "ass")
    assert written and "弹幕3" in ass.read_text(encoding="utf-8")
    assert set(read_sources(entry.path)) == {"speech.srt", "danmaku.ass"}


def test_a_file_without_a_recorded_source_is_rewritten_once(
    engine: Engine, recording: dict[str, Any], tmp_path: Path
) -> None:
    EventStore(engine).write([comment(1, 1000)])
    (entry,) = files_of(recording, tmp_path / "recordings")
    # Written before fingerprints were kept, or by hand: no way to know what it holds.
    subtitle_path(entry.path, "danmaku", "vtt").write_text("WEBVTT\n\n", encoding="utf-8")
    path, written = ensure_subtitle(engine, recording, entry, "danmaku", "vtt")
    assert written and "弹幕1" in path.read_text(encoding="utf-8")
    assert ensure_subtitle(engine, recording, entry, "danmaku", "vtt")[1] is False
    # A damaged fingerprint file reads as none: rewritten, and the fingerprint file is whole again.
    sources_path(entry.path).write_text("{not json", encoding="utf-8")
    assert ensure_subtitle(engine, recording, entry, "danmaku", "vtt")[1] is True
    assert json.loads(sources_path(entry.path).read_text(encoding="utf-8"))["version"] == 1


def test_the_service_looks_again_after_the_remux_and_catches_late_events(
    engine: Engine, recording: dict[str, Any], tmp_path: Path
) -> None:
    store = EventStore(engine)
    store.write([transcript(1, 2000, "第一句")])
    (entry,) = files_of(recording, tmp_path / "recordings")

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/recordings/rec1"
        return httpx.Response(200, json=recording)

    async def scenario() -> tuple[str, int, int]:
        client = httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://streamcap")
        service = SubtitleService(engine, client, tmp_path / "recordings", refresh_after=(0.6, 1.2))
        stop = asyncio.Event()
        runner = asyncio.create_task(service.run(stop))
        try:
            service.on_new(None, [{"type": "recording", "data": {"recording_id": "rec1", "state": "remuxed",  # type: ignore[arg-type]
                                                                 "file": str(entry.path)}}])  # fmt: skip
            srt = subtitle_path(entry.path, "speech", "srt")
            for _ in range(100):
                if service.written:
                    break
                await asyncio.sleep(0.05)
            assert "第一句" in srt.read_text(encoding="utf-8")
            # Stored after the remux (the transcription finished later): the later look writes it in.
            await asyncio.to_thread(store.write, [transcript(2, 20_000, "后来的一句")])
            for _ in range(100):
                if service.refreshed >= 2:
                    break
                await asyncio.sleep(0.05)
            return srt.read_text(encoding="utf-8"), service.refreshed, len(service._later)
        finally:
            stop.set()
            await runner
            await client.aclose()

    text, refreshed, left = asyncio.run(scenario())
    assert "第一句" in text and "后来的一句" in text
    assert refreshed == 2 and left == 0  # two looks, then the file is left alone
    assert "后来的一句" in subtitle_path(entry.path, "speech", "vtt").read_text(encoding="utf-8")


def test_write_subtitle_refuses_a_format_its_kind_has_not(
    engine: Engine, recording: dict[str, Any], tmp_path: Path
) -> None:
    from services.gateway.subtitles.writer import SubtitleError

    (entry,) = files_of(recording, tmp_path / "recordings")
    with pytest.raises(SubtitleError) as caught:
        write_subtitle(engine, recording, entry, "speech", "ass")
    assert caught.value.status == 422
    with pytest.raises(SubtitleError):
        ensure_subtitle(engine, recording, entry, "speech", "ass")
    assert not sources_path(entry.path).exists()
