"""A visible browser on a Linux machine without a screen is refused with what to set, before anything is spawned."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from shared.browser import BrowserNotFound, BrowserOwner, NoDisplay, has_display

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check applies to Linux")


@linux_only
def test_no_display_means_no_visible_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not has_display()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert has_display()


@linux_only
def test_a_visible_owner_without_a_screen_fails_with_the_headless_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("TIMAO_BROWSER_HEADLESS", raising=False)
    owner = BrowserOwner(tmp_path / "profile", choice="/bin/true", headless=False)
    with pytest.raises(NoDisplay) as caught:
        asyncio.run(owner.start())
    assert isinstance(caught.value, BrowserNotFound)  # rooms fail with it instead of retrying forever
    assert "TIMAO_BROWSER_HEADLESS=1" in str(caught.value)
    assert owner.pid is None and not (tmp_path / "profile").exists()
