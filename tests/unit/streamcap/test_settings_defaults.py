"""One set of defaults for the recorder: the user settings (StreamCapSettings) take the recorder's own
(RecorderConfig) as theirs, and the default settings give back the recorder's default config exactly."""

from __future__ import annotations

from services.streamcap.manager import StreamCapSettings
from services.streamcap.recorder import RecorderConfig


def test_default_settings_are_the_recorders_defaults() -> None:
    base = RecorderConfig()
    settings = StreamCapSettings()
    assert settings.segment_seconds == base.segment_seconds
    assert settings.segment_megabytes * 1_000_000 == base.segment_bytes
    assert settings.stall_timeout == base.stall_timeout
    assert settings.remux_to_mp4 is base.remux
    assert settings.recorder_config() == base


def test_settings_decide_their_fields_and_keep_the_rest() -> None:
    base = RecorderConfig(start_timeout=4.0, tick=0.1, stall_timeout=99.0)
    settings = StreamCapSettings(segment_seconds=60, segment_megabytes=50, stall_timeout=8, remux_to_mp4=False)
    config = settings.recorder_config(base)
    assert (config.segment_seconds, config.segment_bytes, config.stall_timeout, config.remux) == (
        60.0,
        50_000_000,
        8.0,
        False,
    )
    assert (config.start_timeout, config.tick) == (4.0, 0.1)  # not a setting: the base's
    # A room's own segment length wins over the setting.
    assert settings.recorder_config(base, segment_seconds=600).segment_seconds == 600.0
