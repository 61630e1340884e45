"""StreamCap's user settings (stored in ``streamcap_settings``), with the recorder's own defaults as theirs."""

from __future__ import annotations

import dataclasses

from pydantic import BaseModel, ConfigDict, Field

from services.streamcap.recorder import RecorderConfig

__all__ = ["StreamCapSettings"]

# One set of defaults: the settings a user may change take the recorder's own (RecorderConfig) as theirs, and
# ``recorder_config`` maps them back (tests/unit/streamcap/test_settings_defaults.py keeps the two in step).
_RECORDER = RecorderConfig()
_MB = 1_000_000


class StreamCapSettings(BaseModel):
    """User settings of the recorder, stored in ``streamcap_settings``."""

    model_config = ConfigDict(extra="forbid")

    segment_seconds: float = Field(default=_RECORDER.segment_seconds, ge=10, le=86400)
    segment_megabytes: int = Field(default=_RECORDER.segment_bytes // _MB, ge=0, le=1_000_000)
    min_free_gb: float = Field(default=1.0, ge=0, le=10_000)
    max_recordings: int = Field(default=5, ge=1, le=100)
    max_concurrent_checks: int = Field(default=3, ge=1, le=50)
    default_quality: str = Field(default="origin", max_length=32)
    remux_to_mp4: bool = _RECORDER.remux
    delete_ts_after_remux: bool = True
    remux_parallel: int = Field(default=2, ge=1, le=16)
    stall_timeout: float = Field(default=_RECORDER.stall_timeout, ge=2, le=600)

    def recorder_config(
        self, base: RecorderConfig = _RECORDER, *, segment_seconds: float | None = None
    ) -> RecorderConfig:
        """``base`` with what these settings decide (a room's own segment length, when it has one, wins)."""
        return dataclasses.replace(
            base,
            segment_seconds=self.segment_seconds if segment_seconds is None else segment_seconds,
            segment_bytes=self.segment_megabytes * _MB,
            stall_timeout=self.stall_timeout,
            remux=self.remux_to_mp4,
        )
