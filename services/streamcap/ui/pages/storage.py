"""存储: browse the recordings folder (and only it): folders, files, sizes, free space."""

from __future__ import annotations

from datetime import datetime

import flet as ft

from services.streamcap.storage import default_free_bytes
from services.streamcap.ui.context import UiContext, describe
from services.streamcap.ui.files import Listing, list_folder
from services.streamcap.ui.formatting import human_size
from services.streamcap.ui.layout import table_page

__all__ = ["StoragePage"]

COLUMNS = ("名称", "类型", "大小", "修改时间")


class StoragePage:
    title = "存储"
    icon = ft.Icons.FOLDER_OUTLINED
    live = False

    def __init__(self, ctx: UiContext) -> None:
        self.ctx = ctx
        self.parts: tuple[str, ...] = ()
        self.crumbs = ft.Row(wrap=True, spacing=0)
        self.info = ft.Text()
        self.table = ft.DataTable(
            columns=[ft.DataColumn(label=ft.Text(c)) for c in COLUMNS], rows=[], column_spacing=28
        )
        self.empty = ft.Text("这个文件夹是空的。", visible=False)
        self.up = ft.IconButton(icon=ft.Icons.ARROW_UPWARD, tooltip="上一级", on_click=self._go_up)
        actions = ft.Row([self.up, ft.IconButton(icon=ft.Icons.REFRESH, tooltip="刷新", on_click=self._reload)])
        self._view = table_page("存储", actions, [self.crumbs, self.info], self.table, self.empty)

    @property
    def view(self) -> ft.Control:
        return self._view

    async def refresh(self) -> None:
        root = self.ctx.manager.root
        try:
            listing = await self.ctx.call(list_folder, root, self.parts)
        except Exception as exc:  # the folder went away or was refused: back to the root
            self.ctx.notify(f"无法打开文件夹: {describe(exc)}", error=True)
            self.parts = ()
            listing = await self.ctx.call(list_folder, root, ())
        free = await self.ctx.call(default_free_bytes, root)
        self._show(listing, free)

    def _show(self, listing: Listing, free: int) -> None:
        self.crumbs.controls = [
            ft.TextButton(content="录制目录", data=0, on_click=self._go_crumb),
            *[
                item
                for depth, part in enumerate(listing.parts, start=1)
                for item in (ft.Text(" / "), ft.TextButton(content=part, data=depth, on_click=self._go_crumb))
            ],
        ]
        self.up.disabled = not listing.parts
        folders = sum(1 for e in listing.entries if e.is_dir)
        files = len(listing.entries) - folders
        more = " (仅显示前 1000 项)" if listing.truncated else ""
        self.info.value = (
            f"{listing.path} · {folders} 个文件夹, {files} 个文件, {human_size(listing.total_bytes)}{more}"
            f" · 磁盘可用 {human_size(free)}"
        )
        rows = []
        for entry in listing.entries:
            icon = ft.Icons.FOLDER if entry.is_dir else ft.Icons.INSERT_DRIVE_FILE_OUTLINED
            name: ft.Control = (
                ft.TextButton(content=entry.name, icon=icon, data=entry.name, on_click=self._open)
                if entry.is_dir
                else ft.Row([ft.Icon(icon, size=18), ft.Text(entry.name, selectable=True, tooltip=entry.path)])
            )
            kind = "文件夹" if entry.is_dir else _kind(entry.name)
            modified = datetime.fromtimestamp(entry.modified).strftime("%Y-%m-%d %H:%M:%S")
            cells = [name, ft.Text(kind), ft.Text("—" if entry.is_dir else human_size(entry.size)), ft.Text(modified)]
            rows.append(ft.DataRow(cells=[ft.DataCell(c) for c in cells]))
        self.table.rows = rows
        self.empty.visible = not rows

    async def _open(self, e: ft.Event[ft.TextButton]) -> None:
        self.parts = (*self.parts, str(e.control.data))
        await self.refresh()

    async def _go_up(self, _e: ft.Event[ft.IconButton]) -> None:
        self.parts = self.parts[:-1]
        await self.refresh()

    async def _go_crumb(self, e: ft.Event[ft.TextButton]) -> None:
        depth = e.control.data
        self.parts = self.parts[: depth if isinstance(depth, int) else 0]
        await self.refresh()

    async def _reload(self, _e: ft.Event[ft.IconButton]) -> None:
        await self.refresh()


def _kind(name: str) -> str:
    return name.rsplit(".", 1)[-1].upper() if "." in name else "文件"
