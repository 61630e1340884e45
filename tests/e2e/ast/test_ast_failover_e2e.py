"""A transcription job on a killed worker goes on on another (docs/contracts.md, Workers on several machines).

One suite (`timao up`: gateway and its own workers, worker id ``main``) and one more worker group (`timao up --role
worker`, ``w1``) over one real Redis and a fresh PostgreSQL database, the real Whisper base model in both. A file job
on spoken English (the fixture three times over, read at the speed of sound) is placed on ``w1``; ``main`` warms its
engine on a short job. After w1's first transcripts are stored, w1 is killed (-9, its AST first): within 15 s the job
runs on ``main``, which reads on from the end of the last transcript, and in the end every sentence is stored once:
no two stored transcripts overlap, and together they say the whole text.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
import wave
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import psutil
import pytest
import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.bus import EVENTS_STREAM
from shared.db.engine import make_engine
from shared.db.models import AudioTranscript
from tests.conftest import RedisServer
from tests.e2e.harness import Suite, eventually
from tests.unit.ast.ast_fixtures import SPEECH_FLAC, decode_pcm, speech_manifest, word_error_rate

pytestmark = [pytest.mark.e2e, pytest.mark.ast_model]

REPEATS = 3
FAILOVER_S = 15.0
TTL_S = "3"  # TIMAO_WORKER_LEASE_TTL_S: a dead worker's leases expire within 3 s


def long_speech(tmp_path: Path) -> Path:
    """The speech fixture ``REPEATS`` times over, as one WAV file both worker groups can read."""
    audio = np.concatenate([decode_pcm(SPEECH_FLAC)] * REPEATS)
    path = tmp_path / "speech_x3.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def stored(database_url: str, session_id: str) -> list[tuple[str, int, int, str]]:
    """(msg_id, start_ms, end_ms, text) of the session's stored transcripts, in time order."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            t = AudioTranscript
            query = select(t.msg_id, t.start_ms, t.end_ms, t.text).where(t.session_id == session_id)
            return sorted((str(m), int(a), int(b), str(x)) for m, a, b, x in s.execute(query).all())
    finally:
        engine.dispose()


def test_a_job_on_a_killed_worker_goes_on_on_another_and_nothing_is_stored_twice(
    private_redis: RedisServer, postgres_url: str, tmp_path: Path
) -> None:
    redis_url, database_url = private_redis.url, postgres_url
    shared_env = {"TIMAO_REDIS_URL": redis_url, "TIMAO_DATABASE_URL": database_url, "TIMAO_WORKER_LEASE_TTL_S": TTL_S}
    main = Suite(tmp_path / "main", extra_env={**shared_env, "TIMAO_WORKER_ID": "main"})
    w1 = Suite(tmp_path / "w1", role="worker", extra_env={**shared_env, "TIMAO_WORKER_ID": "w1"})
    client = redis.Redis.from_url(redis_url)
    api: httpx.Client | None = None
    try:
        main.start()
        w1.start()
        main.wait_running(timeout=180)
        w1.wait_running(timeout=180)
        api = httpx.Client(base_url=main.base_url, headers=main.auth, timeout=60)
        assert api is not None

        def ast_workers() -> set[str]:
            return {w["worker_id"] for w in api.get("/api/workers").json()["workers"] if "ast" in w["services"]}

        eventually(ast_workers, lambda ws: ws >= {"main", "w1"}, 30, "both AST workers registered")
        client.xgroup_create(EVENTS_STREAM, "ast-observer", id="$", mkstream=True)

        english = {"language": "en"}
        warm = api.post("/api/ast/start", json={"audio_config": {"source": "file", "path": str(SPEECH_FLAC)},
                                                "model_config": english, "worker_id": "main"})  # fmt: skip
        assert warm.status_code == 200 and warm.json()["worker_id"] == "main", warm.text
        audio = {"source": "file", "path": str(long_speech(tmp_path)), "realtime": True}
        started = api.post("/api/ast/start", json={"audio_config": audio, "model_config": english, "worker_id": "w1"})
        assert started.status_code == 200, started.text
        assert started.json()["worker_id"] == "w1"
        session_id = started.json()["session_id"]

        def job() -> dict[str, Any] | None:
            jobs = api.get("/api/ast/status").json()["jobs"]
            return next((j for j in jobs if j["session_id"] == session_id), None)

        eventually(lambda: stored(database_url, session_id), lambda rows: len(rows) >= 2, 120, "w1's first lines")
        assert (job() or {}).get("worker_id") == "w1"
        listed = {w["worker_id"]: w for w in api.get("/api/workers").json()["workers"]}
        assert listed["w1"]["jobs"] == [session_id]

        # -- kill -9 the w1 group, its AST first.
        ast_pid = w1.status()["services"]["ast"]["pid"]
        pids = w1.all_pids()
        os.kill(ast_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        moved = eventually(
            job, lambda j: j is not None and j["worker_id"] == "main" and j["state"] == "running", 60, "the job on main"
        )
        failover_s = time.monotonic() - killed_at
        print(f"transcription job running again on another worker {failover_s:.1f} s after kill -9")
        assert failover_s <= FAILOVER_S, failover_s
        assert moved["resumed"] is True

        done = eventually(job, lambda j: j is None or j["state"] == "finished", 180, "the end of the file on main",
                          every=1.0)  # fmt: skip
        assert done is None or done["state"] == "finished"

        # -- who wrote what: w1's lines, then main's (the first of them w1's last line again, under its msg_id).
        writers: list[tuple[str, str]] = []
        while batch := client.xreadgroup("ast-observer", "t", {EVENTS_STREAM: ">"}, count=5000):
            if not batch[0][1]:
                break
            for _id, fields in batch[0][1]:
                event = orjson.loads(fields[b"e"])
                if event["session_id"] == session_id and event["type"] == "transcript":
                    writers.append((fields[b"w"].decode(), event["msg_id"]))
        by_w1 = {m for w, m in writers if w == "w1"}
        new_on_main = [m for w, m in writers if w == "main" and m not in by_w1]
        assert by_w1 and new_on_main, writers

        # -- every sentence stored once: no two lines overlap, and together they say the whole text three times.
        written = {m for _w, m in writers}
        rows = eventually(lambda: stored(database_url, session_id), lambda r: len(r) >= len(written), 30, "every row")
        assert {m for m, *_ in rows} == written
        spans = sorted((start, end) for _m, start, end, _x in rows)
        for (_s0, end0), (start1, _e1) in itertools.pairwise(spans):
            assert start1 >= end0 - 100, spans  # a line transcribed twice would overlap its first copy
        truth = speech_manifest()
        reference = " ".join([" ".join(s["text"] for s in truth["sentences"])] * REPEATS)
        hypothesis = " ".join(x for *_r, x in sorted(rows, key=lambda r: r[1]))
        assert word_error_rate(reference, hypothesis) < 0.2, hypothesis
    finally:
        if api is not None:
            api.close()
        for group in (main, w1):
            with contextlib.suppress(Exception):
                group.stop()
        for group in (main, w1):
            for pid in group.all_pids() if group.proc is not None and group.proc.poll() is None else []:
                with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        client.close()
