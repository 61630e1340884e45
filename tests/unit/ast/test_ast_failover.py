"""Transcription jobs on several workers (docs/contracts.md, Workers on several machines): two AST services over one
real Redis, fake engine and sources. A job runs on exactly one worker; when its owner stops renewing (a pause, a
partition) the other adopts it and goes on from the end of its last transcript, the old owner's writes are refused
(fencing), and every utterance is stored once."""

from __future__ import annotations

import asyncio
import socket
import wave
from pathlib import Path
from typing import Any

import orjson
import pytest

from services.ast.app import AstApp
from services.ast.config import AudioConfig, ModelConfig, parse_audio_config
from services.ast.errors import InvalidJobConfig
from services.ast.sources import FfmpegOpener, SourceEnd, UrlResolver
from shared import ownership
from shared.assignments import Assignments
from shared.bus import EVENTS_STREAM, Bus, FencedOut
from shared.config import Settings
from shared.leases import Leases, worker_of
from shared.workers import list_workers
from tests.unit.ast.test_ast_adoption import until
from tests.unit.ast.test_ast_pipeline import FakeEngine, FakeOpener, FakeStream, LoudVad, pcm

TTL_S = 1.2
GAP_S, SPEECH_S, PAUSE_S, UTTERANCES = 0.5, 0.6, 0.6, 8
SPEECH = pcm((GAP_S, 0), *[part for _ in range(UTTERANCES) for part in ((SPEECH_S, 0.5), (PAUSE_S, 0))])
BYTES_PER_MS = 32


@pytest.fixture(autouse=True)
def quick_adoption(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ownership, "ADOPT_EVERY_S", 0.2)
    monkeypatch.setattr(ownership, "REGISTER_EVERY_S", 0.2)
    monkeypatch.setattr(ownership, "GRACE_S", 1.0)


def seeking_options(opened: list[tuple[str, int]]) -> dict[str, Any]:
    """A file source read at twice real time that starts where ``audio_config.start_ms`` says, as ffmpeg's -ss."""

    def engine_factory(config: ModelConfig, models_dir: Path) -> FakeEngine:
        return FakeEngine()

    def opener_factory(session_id: str, audio: AudioConfig, resolver: UrlResolver | None) -> FakeOpener:
        opened.append((session_id, audio.start_ms))
        data = SPEECH[audio.start_ms * BYTES_PER_MS :]
        return FakeOpener([FakeStream(data, SourceEnd(True), pace=0.25)], live=audio.is_live)

    return {"engine_factory": engine_factory, "opener_factory": opener_factory, "vad_loader": LoudVad}


async def worker(redis_url: str, home: Path, worker_id: str, **options: Any) -> tuple[AstApp, Bus]:
    settings = Settings(home=home, redis_url=redis_url, worker_id=worker_id, worker_lease_ttl_s=TTL_S)
    bus = Bus(redis_url, service="ast", worker_id=worker_id)
    await bus.start()
    app = AstApp(settings, **options)
    await app.start(bus)
    return app, bus


def speech_file(tmp_path: Path) -> Path:
    path = tmp_path / "show.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(SPEECH)
    return path


async def transcripts(bus: Bus, session_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(writer, event) of the session's transcripts, in log order."""
    out = []
    for _id, fields in await bus.redis.xrange(EVENTS_STREAM):
        event = orjson.loads(fields[b"e"])
        if event["session_id"] == session_id and event["type"] == "transcript":
            out.append((fields.get(b"w", b"").decode(), event))
    return out


def utterance_of(start_ms: int, origin_ms: int) -> int:
    """Which scripted utterance a transcript's start falls in."""
    return round((start_ms - origin_ms - GAP_S * 1000) / ((SPEECH_S + PAUSE_S) * 1000))


async def test_a_file_job_moves_when_its_owner_stops_renewing_and_goes_on_from_its_last_transcript(
    redis_url: str, tmp_path: Path
) -> None:
    opened: list[tuple[str, int]] = []
    a, bus_a = await worker(redis_url, tmp_path / "a", "wa", **seeking_options(opened))
    b, bus_b = await worker(redis_url, tmp_path / "b", "wb", **seeking_options(opened))
    try:
        audio = {"source": "file", "path": str(speech_file(tmp_path))}
        answer = await a.commands()["start_job"]({"session_id": "show", "audio_config": audio, "origin_ms": 7000})
        assert answer["worker_id"] == "wa"
        held = await Leases(bus_a.redis, "ast").owner("show")
        assert held is not None and worker_of(held[0]) == "wa"
        workers = {w["worker_id"]: w for w in await list_workers(bus_a.redis, service="ast")}
        assert workers["wa"]["jobs"] == ["show"] and workers["wb"]["jobs"] == []
        await until(lambda: a.jobs.job_status("show")["transcripts"] >= 2, 10, "two transcripts on wa")
        assert b.adopted == 0

        # wa stops renewing (frozen, cut off); its job goes on reading and tries to write.
        stale = a._own.keeper.held("show")  # type: ignore[union-attr]
        assert stale is not None
        await a._own.stop_adopting()  # type: ignore[union-attr]
        await a._own.keeper.stop()  # type: ignore[union-attr]
        await until(lambda: b.adopted == 1, 4 * TTL_S + 2, "the adoption by wb")
        await until(lambda: not a.jobs.is_running("show"), 5, "wa's job stopped at its first write past the lease")
        await until(lambda: b.jobs.job_status("show")["state"] == "finished", 20, "the job's end on wb")
        await until(lambda: not b.jobs.running_sessions(), 5, "wb's finish hook")

        # The old owner's fence is refused for the log and the progress alike.
        with pytest.raises(FencedOut):
            await bus_a.publish(b'{"type": "transcript"}', fence=stale.fence)
        assert not await Assignments(bus_a.redis, "ast").update_progress("show", {}, fence=stale.fence)

        events = await transcripts(bus_b, "show")
        writers = [w for w, _e in events]
        assert writers == sorted(writers) and set(writers) == {"wa", "wb"}  # wa's lines, then only wb's
        # wb read on from the end of wa's last transcript: every utterance once, in order, on the session's clock.
        resumed_at = [start for session, start in opened if session == "show"][1]
        replayed = next(e for w, e in events if w == "wb")  # the progress's last line, appended again by wb first
        assert replayed["msg_id"] in {e["msg_id"] for w, e in events if w == "wa"}
        assert resumed_at == replayed["data"]["end_ms"] - 7000
        # wa's last line was appended again by wb (written ahead, its owner might have died before appending it):
        # under the same msg_id, which the database stores once.
        stored = list({e["msg_id"]: e for _w, e in events}.values())
        assert len(events) == len(stored) + 1
        said = [utterance_of(e["data"]["start_ms"], 7000) for e in stored]
        assert said == list(range(UTTERANCES)), [e["data"]["start_ms"] for e in stored]
        assert await Assignments(bus_b.redis, "ast").list() == []  # finished: the assignment is gone
    finally:
        await a.stop()
        await b.stop()
        await bus_a.close()
        await bus_b.close()


async def test_a_transcript_written_ahead_is_appended_again_by_the_next_owner_under_its_msg_id(
    redis_url: str, tmp_path: Path
) -> None:
    """The previous owner died between recording a transcript in the progress and appending it: the adopter appends
    it (the database keeps a msg_id once, so a line appended twice is stored once) and goes on after it."""
    opened: list[tuple[str, int]] = []
    path = speech_file(tmp_path)
    spec = {"audio_config": {"source": "file", "path": str(path)}, "model_config": None, "origin_ms": 0,
            "started_ms": 0, "live_id": "", "host": ""}  # fmt: skip
    last = b'{"type":"transcript","session_id":"cut","live_id":"","msg_id":"ahead-1","ts":1,"data":{"text":"x"}}'
    end_ms = int((GAP_S + 3 * (SPEECH_S + PAUSE_S) + SPEECH_S) * 1000)  # the end of the fourth utterance
    bus = Bus(redis_url, service="ast")
    await bus.start()
    work = Assignments(bus.redis, "ast")
    await work.put("cut", spec)
    assert await work.update_progress("cut", {"end_ms": end_ms, "position_ms": end_ms, "last": last.decode()})
    b, bus_b = await worker(redis_url, tmp_path / "b", "wb", **seeking_options(opened))
    try:
        await until(lambda: b.adopted == 1, 5, "the adoption")
        await until(lambda: not b.jobs.running_sessions(), 20, "the job's end")
        events = await transcripts(bus_b, "cut")
        assert events[0][1]["msg_id"] == "ahead-1" and events[0][0] == "wb"
        assert opened == [("cut", end_ms)]
        said = [utterance_of(e["data"]["start_ms"], 0) for _w, e in events[1:]]
        assert said == list(range(4, UTTERANCES))
        assert b.jobs.job_status("cut")["resumed"] is True
    finally:
        await b.stop()
        await bus_b.close()
        await bus.close()


async def test_a_job_placed_on_a_worker_is_adopted_there(redis_url: str, tmp_path: Path) -> None:
    opened: list[tuple[str, int]] = []
    a, bus_a = await worker(redis_url, tmp_path / "a", "wa", **seeking_options(opened))
    b, bus_b = await worker(redis_url, tmp_path / "b", "wb", **seeking_options(opened))
    try:
        for _ in range(50):
            if {w["worker_id"] for w in await list_workers(bus_a.redis, service="ast")} == {"wa", "wb"}:
                break
            await asyncio.sleep(0.05)
        live = {"source": "url", "url": "http://127.0.0.1:9/live.flv"}
        for n in range(2):  # both placed on wb, between owners (as after wb's restart)
            spec = {"audio_config": live, "model_config": None, "origin_ms": 0, "started_ms": 0, "live_id": "",
                    "host": "", "worker_id": "wb"}  # fmt: skip
            await Assignments(bus_a.redis, "ast").put(f"placed{n}", spec)
        await until(lambda: b.adopted == 2, 5, "both adopted by wb")
        await asyncio.sleep(0.5)
        assert a.adopted == 0 and sorted(b.jobs.running_sessions()) == ["placed0", "placed1"]
        status = await b.commands()["jobs"]({})
        assert {j["worker_id"] for j in status["jobs"]} == {"wb"} and status["worker_id"] == "wb"
        # A stop sent to the worker that does not run it removes the assignment; the owner stops at its next renewal.
        await a.commands()["stop_job"]({"session_id": "placed0"})
        await until(lambda: b.jobs.running_sessions() == {"placed1"}, 3 * TTL_S, "placed0 stopped on wb")
        assert b.jobs.job_status("placed0")["state"] == "stopped"
    finally:
        await a.stop()
        await b.stop()
        await bus_a.close()
        await bus_b.close()


def test_a_finite_source_is_read_from_start_ms_by_ffmpeg(tmp_path: Path) -> None:
    """How a file job goes on where it was: ffmpeg seeks (-ss as an input option) and decodes from there."""
    path = speech_file(tmp_path)
    opener = FfmpegOpener(AudioConfig(source="file", path=str(path), start_ms=2500), label="seek")
    stream = opener.open()
    got = b""
    while chunk := stream.read(65536):
        got += chunk
    assert stream.close().ok
    assert got == SPEECH[2500 * BYTES_PER_MS :]
    with pytest.raises(InvalidJobConfig, match="start_ms needs a finite source"):
        parse_audio_config({"source": "url", "url": "http://127.0.0.1:9/live.flv", "start_ms": 1000})
    parse_audio_config({"source": "url", "url": "http://127.0.0.1:9/talk.mp3", "live": False, "start_ms": 1000})


async def test_a_file_job_waits_for_a_worker_on_its_own_host_and_a_gone_file_is_let_go(
    redis_url: str, tmp_path: Path
) -> None:
    opened: list[tuple[str, int]] = []
    bus = Bus(redis_url, service="ast")
    await bus.start()
    work = Assignments(bus.redis, "ast")
    gone = str(tmp_path / "not-here.wav")
    for session_id, host in (("elsewhere", "another-machine"), ("here", socket.gethostname())):
        spec = {"audio_config": {"source": "file", "path": gone}, "origin_ms": 0, "started_ms": 0, "host": host}
        await work.put(session_id, spec)
    b, bus_b = await worker(redis_url, tmp_path / "b", "wb", **seeking_options(opened))
    try:
        for _ in range(100):
            if [i.id for i in await work.list()] == ["elsewhere"]:
                break
            await asyncio.sleep(0.05)
        assert [i.id for i in await work.list()] == ["elsewhere"]  # its file is gone from its own host: let go
        await asyncio.sleep(0.6)  # a few adoption passes: the other host's job is left for a worker there
        assert b.adopted == 0 and opened == [] and len(b._own.keeper) == 0  # type: ignore[union-attr]
        assert await Leases(bus.redis, "ast").owner("elsewhere") is None
    finally:
        await b.stop()
        await bus_b.close()
        await bus.close()
