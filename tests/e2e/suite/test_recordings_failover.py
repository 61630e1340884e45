"""Recordings on several workers, on one machine as several (docs/contracts.md, Workers on several machines).

One suite (`timao up`: gateway and its own workers, worker id ``main``) and one more worker group (`timao up --role
worker`, its own TIMAO_HOME, worker id ``w1``) over one real Redis and a fresh PostgreSQL database; the synthetic
live stream (services/streamcap/synthetic.py) on loopback, recorded by real ffmpeg. A recording placed on ``w1``
through the gateway records there; kill -9 that worker group and the recording continues on ``main`` within 15 s as
a new segment of the same recording (same id, files on both disks, each naming its worker, all playable); the
gateway's subtitle route says a file on ``w1``'s disk is not on this machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from services.streamcap import media
from services.streamcap.synthetic import Mode, SyntheticConfig, SyntheticLive
from tests.conftest import RedisServer
from tests.e2e.harness import Suite, eventually
from tests.e2e.streamcap.media_checks import assert_playable_mp4

pytestmark = pytest.mark.e2e

FAILOVER_S = 15.0


def assert_playable(path: Path) -> None:
    info = media.probe(path)
    assert info.ok, f"{path.name}: {info.error}"
    assert {"video", "audio"} <= info.kinds and info.duration > 0.5, (path.name, info.streams, info.duration)


def test_a_recording_on_a_killed_worker_continues_on_another_as_a_new_segment(
    private_redis: RedisServer, postgres_url: str, tmp_path: Path
) -> None:
    shared_env = {"TIMAO_REDIS_URL": private_redis.url, "TIMAO_DATABASE_URL": postgres_url, "TIMAO_LOG_LEVEL": "INFO"}
    main = Suite(tmp_path / "main", extra_env={**shared_env, "TIMAO_WORKER_ID": "main"})
    w1 = Suite(tmp_path / "w1", role="worker", extra_env={**shared_env, "TIMAO_WORKER_ID": "w1"})
    live = SyntheticLive(SyntheticConfig(mode=Mode.STEADY, hls=False))
    urls = live.start()
    api: httpx.Client | None = None
    try:
        main.start()
        w1.start()
        main.wait_running(timeout=180)
        w1.wait_running(timeout=180)
        api = httpx.Client(base_url=main.base_url, headers=main.auth, timeout=30)
        assert api is not None

        def workers() -> dict[str, dict[str, Any]]:
            return {w["worker_id"]: w for w in api.get("/api/workers").json()["workers"]}

        def recording(recording_id: str) -> dict[str, Any]:
            listed = api.get("/api/streamcap/recordings").json()["recordings"]
            return next(r for r in listed if r["recording_id"] == recording_id)

        def files_on(view: dict[str, Any], worker_id: str) -> list[dict[str, Any]]:
            return [f for f in view["files"] if f["worker_id"] == worker_id and f["size"] > 0]

        eventually(workers, lambda ws: {"main", "w1"} <= {w for w, v in ws.items() if "streamcap" in v["services"]},
                   30, "both StreamCaps registered")  # fmt: skip
        unknown = api.post("/api/streamcap/start", json={"platform": "direct", "stream_url": urls.flv,
                                                          "worker_id": "nobody"})  # fmt: skip
        assert unknown.status_code == 404 and "nobody" in unknown.json()["detail"], unknown.text
        answer = api.post("/api/streamcap/start", json={"platform": "direct", "stream_url": urls.flv,
                                                         "segment_seconds": 10, "worker_id": "w1"})  # fmt: skip
        assert answer.status_code == 200, answer.text
        recording_id = answer.json()["recording_id"]
        on_w1 = eventually(
            lambda: recording(recording_id),
            lambda r: r["state"] == "recording" and bool(files_on(r, "w1")),
            30,
            "recording on w1",
        )
        assert on_w1["worker_id"] == "w1" and not files_on(on_w1, "main")
        assert eventually(workers, lambda ws: ws["w1"]["recordings"] == [recording_id], 10, "w1 lists it")
        time.sleep(3)  # a few seconds of stream on w1's disk

        # -- kill -9 w1: its StreamCap first, then its launcher and the rest (ffmpeg included).
        streamcap_pid = w1.status()["services"]["streamcap"]["pid"]
        pids = w1.all_pids() + [c.pid for c in psutil.Process(streamcap_pid).children(recursive=True)]
        os.kill(streamcap_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        moved = eventually(lambda: recording(recording_id), lambda r: bool(files_on(r, "main")), FAILOVER_S + 15,
                           "the recording continued on main")  # fmt: skip
        failover_s = time.monotonic() - killed_at
        print(f"recording continued on another worker {failover_s:.1f} s after kill -9")
        assert failover_s <= FAILOVER_S, failover_s
        assert moved["worker_id"] == "main" and moved["restarts"] >= 1 and moved["state"] == "recording"
        assert eventually(workers, lambda ws: "w1" not in ws and ws["main"]["recordings"] == [recording_id], 15,
                          "main lists it")  # fmt: skip

        # A file on w1's disk: the gateway (on main) cannot serve its subtitles, and says where it is.
        index = next(i for i, f in enumerate(moved["files"]) if f["worker_id"] == "w1")
        far = api.get(f"/api/streamcap/recordings/{recording_id}/subtitles",
                      params={"kind": "danmaku", "format": "srt", "file": index})  # fmt: skip
        assert far.status_code == 409 and "w1" in far.json()["detail"], far.text

        time.sleep(3)
        stopped = api.post("/api/streamcap/stop", json={"recording_id": recording_id})
        assert stopped.status_code == 200, stopped.text
        done = eventually(lambda: recording(recording_id), lambda r: r["state"] == "done", 60, "done")
        w1_files = [Path(f["path"]) for f in done["files"] if f["worker_id"] == "w1"]
        main_files = [Path(f["path"]) for f in done["files"] if f["worker_id"] == "main"]
        assert w1_files and main_files, done["files"]
        for path in w1_files:  # left as TS by the killed worker, on its disk: playable as they are
            assert path.is_relative_to(tmp_path / "w1") and path.suffix == ".ts"
            assert_playable(path)
        for path in main_files:  # finished on main: remuxed to MP4
            assert path.is_relative_to(tmp_path / "main") and path.suffix == ".mp4", path
            assert_playable_mp4(path)
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
        live.stop()
