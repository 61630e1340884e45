"""StreamCap's start-up recovery: recordings the last run left open on this worker are ended, and the segments it
left on this disk are remuxed, stored and announced as the recorder does for its own (``remux_event``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.streamcap.errors import StreamCapError
from services.streamcap.recorder import FINAL_STATES, RecState, remux_event
from services.streamcap.remux import Remuxer, RemuxResult
from services.streamcap.repository import FileRecord, StreamCapRepository

__all__ = ["recover_unfinished"]

log = logging.getLogger(__name__)

_FINAL = frozenset(s.value for s in FINAL_STATES)


def recover_unfinished(
    repository: StreamCapRepository,
    remuxer: Remuxer,
    root: Path,
    *,
    running: set[str],
    assigned: set[str],
    here: str | None,
    on_event: Callable[[dict[str, Any]], None] | None,
) -> list[str]:
    """End the rows left open (not ``running`` here, not ``assigned``: a worker continues those; not another
    worker's) and finish the files under ``root``. Answers the ids of the rows ended."""
    skip = running | assigned
    open_rows = [
        r for r in repository.unfinished_recordings(_FINAL) if r.id not in skip and r.worker_id in (None, here)
    ]
    for record in open_rows:
        repository.update_recording(record.id, state=RecState.REMUXING.value, reason="interrupted")

    def on_file(recording_id: str, result: RemuxResult) -> None:
        # Stored and announced as the recorder does for the files it remuxes: the gateway writes the subtitles
        # of each ``remuxed`` file (docs/contracts.md, Recording timelines), these included.
        data = remux_event(recording_id, result)
        if data is None:
            return
        data["recovered"] = True
        if result.mp4 is not None and not result.error:
            try:
                repository.put_file(
                    recording_id,
                    FileRecord(str(result.mp4), "mp4", int(data["size"]), result.duration, here),
                    replaces=str(result.ts),
                )
            except StreamCapError as exc:
                log.warning("recording=%s recovery could not store %s: %s", recording_id, result.mp4, exc)
        if on_event is not None:
            try:
                on_event(data)
            except Exception:  # the recovery goes on without the announcement
                log.exception("recording=%s event callback failed for %s", recording_id, data["state"])

    if root.is_dir():
        remuxer.recover(root, on_file, skip=running)
    for record in open_rows:
        state = RecState.DONE if record.files else RecState.FAILED
        repository.update_recording(
            record.id,
            state=state.value,
            ended_at=datetime.now(UTC),
            reason="interrupted: 服务中断后已恢复 (recovered after a crash)",
        )
    return [r.id for r in open_rows]
