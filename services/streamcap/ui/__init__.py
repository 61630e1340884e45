"""StreamCap's own web UI (Flet), served by the StreamCap process at ``/`` and calling its manager directly.

``mount.py`` serves Flet offline inside the FastAPI app, ``shell.py`` is one browser session (navigation, live
refresh), ``pages/`` holds one module per page (直播间, 录制, 存储, 设置), ``files.py`` the storage browser's
safe listing and ``formatting.py`` the Chinese labels and units.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI

from services.streamcap.manager import StreamCapManager
from services.streamcap.ui.mount import UI_WS_PATH, PageMain, mount_ui, ui_lifespan

__all__ = ["UI_WS_PATH", "mount_streamcap_ui", "ui_lifespan"]


def mount_streamcap_ui(
    app: FastAPI, manager: StreamCapManager, *, token: str, port: int, frame_ancestors: Iterable[str] = ()
) -> None:
    """Serve the UI for ``manager`` at ``/`` of ``app`` (after the API routes; run ``app`` with ``ui_lifespan``).

    The user signs in once with ``token`` (``mount.py``); ``port`` is the one ``app`` listens on. The pages (and
    Flet) are imported on the first UI request."""

    def make_main() -> PageMain:
        from services.streamcap.ui.shell import build_main

        return build_main(manager)

    mount_ui(app, make_main, token=token, port=port, frame_ancestors=frame_ancestors)
