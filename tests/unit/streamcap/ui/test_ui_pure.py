"""The UI's pure parts: Chinese labels and units, the settings form, the storage browser's listing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.streamcap.errors import NotFound, UnsafePath
from services.streamcap.manager import StreamCapSettings
from services.streamcap.ui.files import list_folder
from services.streamcap.ui.formatting import human_duration, human_size, human_speed, reason_label, state_label
from services.streamcap.ui.pages.settings import FIELDS, parse_form


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KB"),
        (5 * 1024**2, "5.0 MB"),
        (2 * 1024**3, "2.00 GB"),
        (3 * 1024**4, "3.00 TB"),
        (-5, "0 B"),
    ],
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


def test_durations_speeds_states() -> None:
    assert human_duration(0) == "0:00:00" and human_duration(3723.9) == "1:02:03"
    assert human_speed(1.234) == "1.23x" and human_speed(0) == "—"
    assert state_label("recording") == "录制中" and state_label("weird") == "weird"
    assert reason_label("offline") == "主播下播" and reason_label("") == ""
    assert reason_label("interrupted: 服务中断后已恢复") == "服务中断: 服务中断后已恢复"


def test_settings_form_covers_every_setting() -> None:
    assert {f.key for f in FIELDS} == set(StreamCapSettings.model_fields)


def test_parse_form() -> None:
    changes = parse_form(
        {"segment_seconds": " 600 ", "max_recordings": "3", "remux_to_mp4": False, "default_quality": "HD1 "}
    )
    assert changes == {"segment_seconds": 600.0, "max_recordings": 3, "remux_to_mp4": False, "default_quality": "HD1"}
    with pytest.raises(ValueError, match="最多同时录制"):
        parse_form({"max_recordings": "3.5"})


def test_list_folder_stays_inside_root(tmp_path: Path) -> None:
    root = tmp_path / "录制"
    assert list_folder(root).entries == []  # not created yet
    (root / "主播A").mkdir(parents=True)
    (root / "主播A" / "片段 1.mp4").write_bytes(b"x" * 2048)
    (root / "b.ts").write_bytes(b"y" * 10)
    (root / ".hidden").write_text("no")
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "key.txt").write_text("secret")
    os.symlink(outside, root / "link-out")
    listing = list_folder(root)
    assert [(e.name, e.is_dir) for e in listing.entries] == [("主播A", True), ("b.ts", False)]
    assert listing.total_bytes == 10
    inner = list_folder(root, ["主播A"])
    assert [(e.name, e.size) for e in inner.entries] == [("片段 1.mp4", 2048)]
    for parts in (["..", "secret"], ["link-out"], ["/etc"], ["主播A/../.."]):
        with pytest.raises(UnsafePath):
            list_folder(root, parts)
    with pytest.raises(NotFound):
        list_folder(root, ["不存在"])
