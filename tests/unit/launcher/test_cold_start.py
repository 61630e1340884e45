"""Cold start (#15 part 5): with the embedded Redis, every service is spawned in Redis's own tick."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from launcher.demo import plan_demo
from launcher.redis_embedded import plan_embedded_redis
from launcher.runner import build_specs
from shared.config import Settings


def test_services_start_with_the_embedded_redis_and_not_before_an_external_one(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    embedded = plan_embedded_redis("redis-server", tmp_path / "redis", tmp_path / "run", version=(7, 0))
    specs = {s.name: s for s in build_specs(settings, embedded, plan_demo(settings, ("redis",)))}
    services = ("gateway", "streamcap", "douyin_fetcher", "ast")
    assert all(specs[n].depends_on == ("redis",) and specs[n].starts_with_deps for n in services)
    assert not specs["redis"].starts_with_deps
    # The demo's stand-ins depend on nothing: they start at once anyway.
    assert not specs["demo_stream"].depends_on and not specs["demo_stream"].starts_with_deps
    # An external Redis is not ours to wait for: nothing depends on it, nothing "starts with" it.
    external = build_specs(Settings(home=tmp_path, redis_url="redis://127.0.0.1:6379/5"), None, None)
    assert all(not s.depends_on and not s.starts_with_deps for s in external)


def test_a_status_writer_never_started_closes_at_once() -> None:
    """The launcher starts the status writer (and its migration) after the first spawns; if it fails before, its
    cleanup still closes the writer without an error of its own hiding the first."""
    from launcher.statusdb import StatusWriter

    def prepare() -> Any:
        raise AssertionError("not started, so never prepared")

    StatusWriter(prepare=prepare, worker_id="w1").close()
