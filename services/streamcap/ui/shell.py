"""The Flet page of one browser session: theme and bundled font, the navigation, and the live refresh.

The shown page is reloaded every ``REFRESH_SECONDS`` when it is a live one (rooms, recordings), so states,
durations, sizes and speeds move by themselves. The refresh task belongs to the session: it pauses while the
tab is disconnected and ends when Flet closes the session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import flet as ft

from services.streamcap.manager import StreamCapManager
from services.streamcap.ui.context import UiContext, UiPage, describe
from services.streamcap.ui.mount import FONT_FAMILY
from services.streamcap.ui.pages.recordings import RecordingsPage
from services.streamcap.ui.pages.rooms import RoomsPage
from services.streamcap.ui.pages.settings import SettingsPage
from services.streamcap.ui.pages.storage import StoragePage

__all__ = ["REFRESH_SECONDS", "Shell", "build_main"]

log = logging.getLogger(__name__)

REFRESH_SECONDS = 1.0
TITLE = "StreamCap 直播录制 · 提猫直播助手"


class Shell:
    def __init__(self, ctx: UiContext) -> None:
        self.ctx = ctx
        self.pages: list[UiPage] = [RoomsPage(ctx), RecordingsPage(ctx), StoragePage(ctx), SettingsPage(ctx)]
        self.index = 0
        self.connected = True
        self.body = ft.Container(content=self.pages[0].view, expand=True, padding=ft.Padding.all(20))
        self.rail = ft.NavigationRail(
            selected_index=0,
            label_type=ft.NavigationRailLabelType.ALL,
            min_width=88,
            leading=ft.Container(
                content=ft.Column(
                    [ft.Icon(ft.Icons.FIBER_MANUAL_RECORD, color=ft.Colors.RED_600), ft.Text("提猫录制", size=13)],
                    horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                    spacing=2,
                ),
                padding=ft.Padding.only(top=12, bottom=12),
            ),
            destinations=[ft.NavigationRailDestination(icon=p.icon, label=p.title) for p in self.pages],
            on_change=self._navigate,
        )
        self._task: asyncio.Task[None] | None = None

    @property
    def current(self) -> UiPage:
        return self.pages[self.index]

    async def start(self) -> None:
        page = self.ctx.page
        page.title = TITLE
        # The bundled CJK font is in the client's FontManifest (mount.py), loaded before the first frame.
        page.theme = ft.Theme(font_family=FONT_FAMILY, color_scheme_seed=ft.Colors.RED)
        page.theme_mode = ft.ThemeMode.LIGHT
        page.padding = 0
        page.on_connect = self._on_connect
        page.on_disconnect = self._on_disconnect
        page.on_close = self._on_close
        page.add(ft.Row([self.rail, ft.VerticalDivider(width=1), self.body], expand=True, spacing=0))
        await self._refresh_current()
        self._task = asyncio.create_task(self._refresh_loop(), name="streamcap-ui-refresh")
        self._task.add_done_callback(_log_failure)

    async def _navigate(self, e: ft.Event[ft.NavigationRail]) -> None:
        self.index = int(e.control.selected_index or 0)
        self.body.content = self.current.view
        await self._refresh_current()

    async def _refresh_current(self) -> None:
        try:
            await self.current.refresh()
        except Exception as exc:  # one failed reload (database busy...) must not end the session's refresh
            log.warning("ui page=%s refresh failed: %s", self.current.title, describe(exc))

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            if not self.connected or not self.current.live:
                continue
            await self._refresh_current()
            self.ctx.page.update()

    def _on_connect(self, _e: ft.Event[ft.Page]) -> None:
        self.connected = True

    def _on_disconnect(self, _e: ft.Event[ft.Page]) -> None:
        self.connected = False

    def _on_close(self, _e: ft.Event[ft.Page]) -> None:
        if self._task is not None:
            self._task.cancel()


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("ui refresh loop stopped", exc_info=task.exception())


def build_main(manager: StreamCapManager) -> Callable[[ft.Page], Awaitable[None]]:
    """The Flet entry point for every new browser session, bound to the process's one manager."""

    async def main(page: ft.Page) -> None:
        await Shell(UiContext(manager, page)).start()

    return main
