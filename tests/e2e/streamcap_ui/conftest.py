"""StreamCap's real HTTP app (``create_http_app``: API, LocalGuard, Flet UI) over a temp SQLite, in a uvicorn thread.

The worker side (bus, heartbeat, room monitor) is not started: the UI only needs the manager, which works without it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import create_engine

from launcher.redis_embedded import free_port
from services.streamcap.app import StreamcapApp, create_http_app
from shared.config import Settings
from shared.db import tables_streamcap  # noqa: F401  (registers the tables)
from shared.db.base import Base

TOKEN = "ui-test-token"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "streamcap-ui"


@dataclass
class UiServer:
    port: int
    worker: StreamcapApp
    settings: Settings

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def make_worker(tmp_path: Path, port: int) -> tuple[Settings, StreamcapApp]:
    settings = Settings(
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'timao.db'}",
        recordings_dir=tmp_path / "录制",
        token=TOKEN,
        streamcap_port=port,
    )
    engine = create_engine(settings.effective_database_url)
    Base.metadata.create_all(engine)  # the launcher's migrations do this for the real process
    engine.dispose()
    return settings, StreamcapApp(settings)


@pytest.fixture
def ui_server(tmp_path: Path) -> Iterator[UiServer]:
    port = free_port()
    settings, worker = make_worker(tmp_path, port)
    server = uvicorn.Server(
        uvicorn.Config(
            create_http_app(settings, worker),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=2,
        )
    )
    thread = threading.Thread(target=server.run, name="streamcap-ui-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the StreamCap HTTP app did not start"
        time.sleep(0.05)
    yield UiServer(port, worker, settings)
    server.should_exit = True
    thread.join(15)
    worker.manager.shutdown(10)
    worker.engine.dispose()
