"""录制: every recording with its state, duration, size and speed, refreshed every second; start and stop."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import flet as ft

from services.streamcap.ui.context import UiContext, describe
from services.streamcap.ui.formatting import (
    PLATFORMS,
    QUALITIES,
    human_duration,
    human_size,
    human_speed,
    platform_label,
    reason_label,
    state_label,
)
from services.streamcap.ui.layout import table_page

__all__ = ["RecordingsPage"]

ACTIVE = frozenset({"starting", "recording", "stalled", "restarting"})
_STATE_COLORS = {
    "recording": ft.Colors.RED_600,
    "starting": ft.Colors.ORANGE_700,
    "stalled": ft.Colors.ORANGE_700,
    "restarting": ft.Colors.ORANGE_700,
    "stopping": ft.Colors.BLUE_GREY_600,
    "remuxing": ft.Colors.BLUE_600,
    "done": ft.Colors.GREEN_700,
    "failed": ft.Colors.RED_900,
}
COLUMNS = ("名称", "平台", "状态", "时长", "大小", "速度", "文件", "开始时间", "操作")
LIST_LIMIT = 100


class _Row:
    """One recording's table row; refreshes change the texts in place, so only changed values are sent."""

    def __init__(self, recording_id: str, on_stop: ft.ControlEventHandler[ft.IconButton]) -> None:
        self.recording_id = recording_id
        self.name = ft.Text(max_lines=1, overflow=ft.TextOverflow.ELLIPSIS, width=220)
        self.platform = ft.Text()
        self.state = ft.Text(weight=ft.FontWeight.BOLD)
        self.duration = ft.Text()
        self.size = ft.Text()
        self.speed = ft.Text()
        self.files = ft.Text()
        self.started = ft.Text()
        self.stop = ft.IconButton(
            icon=ft.Icons.STOP_CIRCLE_OUTLINED,
            tooltip="停止录制",
            data=recording_id,
            icon_color=ft.Colors.RED_600,
            on_click=on_stop,
        )
        cells = [self.name, self.platform, self.state, self.duration, self.size, self.speed, self.files, self.started]
        self.row = ft.DataRow(cells=[ft.DataCell(c) for c in [*cells, self.stop]])

    def show(self, view: dict[str, Any]) -> None:
        folder = PurePath(view["folder"]).name if view.get("folder") else ""
        self.name.value = folder or view["source"]
        self.name.tooltip = view["source"]
        self.platform.value = platform_label(view["platform"])
        state = view["state"]
        reason = reason_label(view.get("reason"))
        self.state.value = state_label(state) + (f" · {reason}" if reason and state not in ACTIVE else "")
        self.state.color = _STATE_COLORS.get(state)
        self.duration.value = human_duration(view["duration"])
        self.size.value = human_size(view["bytes"])
        self.speed.value = human_speed(view["speed"]) if state in ACTIVE else "—"
        self.files.value = str(len(view["files"]))
        started = view.get("started_at") or ""
        self.started.value = started[:19].replace("T", " ")
        self.stop.visible = state in ACTIVE


class RecordingsPage:
    title = "录制"
    icon = ft.Icons.VIDEOCAM_OUTLINED
    live = True

    def __init__(self, ctx: UiContext) -> None:
        self.ctx = ctx
        self._rows: dict[str, _Row] = {}
        self.summary = ft.Text("正在加载…")
        self.table = ft.DataTable(
            columns=[ft.DataColumn(label=ft.Text(c)) for c in COLUMNS], rows=[], column_spacing=24
        )
        self.empty = ft.Text("还没有录制。添加直播间后开播会自动录制，也可以点「新建录制」手动开始。", visible=False)
        new = ft.Button(content="新建录制", icon=ft.Icons.ADD, on_click=self._open_new)
        self._view = table_page("录制", new, [self.summary], self.table, self.empty)

    @property
    def view(self) -> ft.Control:
        return self._view

    async def refresh(self) -> None:
        views = await self.ctx.call(self.ctx.manager.list_recordings, LIST_LIMIT)
        rows: list[ft.DataRow] = []
        seen: dict[str, _Row] = {}
        for view in views:
            row = self._rows.get(view["recording_id"]) or _Row(view["recording_id"], self._stop)
            row.show(view)
            seen[row.recording_id] = row
            rows.append(row.row)
        if list(seen) != list(self._rows):
            self.table.rows = rows
        self._rows = seen
        active = sum(1 for v in views if v["state"] in ACTIVE)
        total = sum(v["bytes"] for v in views)
        self.summary.value = f"正在录制 {active} 个 · 共 {len(views)} 条记录 · 合计 {human_size(total)}"
        self.empty.visible = not views

    async def _stop(self, e: ft.Event[ft.IconButton]) -> None:
        recording_id = str(e.control.data)
        try:
            await self.ctx.call(self.ctx.manager.stop_recording, recording_id)
        except Exception as exc:  # shown to the user, who can retry
            self.ctx.notify(f"停止失败: {describe(exc)}", error=True)
            return
        self.ctx.notify("已请求停止，正在收尾文件")
        await self.refresh()

    async def _open_new(self, _e: ft.Event[ft.Button]) -> None:
        platform = ft.Dropdown(
            label="平台", value="douyin", width=260, options=[ft.DropdownOption(key=k, text=t) for k, t in PLATFORMS]
        )
        url = ft.TextField(label="直播间地址 / 房间号 / 流地址", width=420, autofocus=True)
        quality = ft.Dropdown(
            label="画质",
            value=self.ctx.manager.settings.default_quality,
            width=200,
            options=[ft.DropdownOption(key=k, text=t) for k, t in QUALITIES],
        )
        name = ft.TextField(label="名称 (可选，用作文件夹名)", width=420)
        folder = ft.TextField(label="子文件夹 (可选)", width=420, helper="录制目录下的一级文件夹名")
        error = ft.Text(color=ft.Colors.RED_700, visible=False)

        async def start(_e: ft.Event[ft.Button]) -> None:
            try:
                await self.ctx.call(
                    self.ctx.manager.start_recording,
                    platform.value or "douyin",
                    (url.value or "").strip(),
                    quality=quality.value or None,
                    name=(name.value or "").strip() or None,
                    folder=(folder.value or "").strip() or None,
                )
            except Exception as exc:  # shown in the dialog, which stays open to correct the input
                error.value, error.visible = describe(exc), True
                return
            self.ctx.page.pop_dialog()
            self.ctx.notify("已开始录制")
            await self.refresh()

        self.ctx.page.show_dialog(
            ft.AlertDialog(
                modal=True,
                title=ft.Text("新建录制"),
                content=ft.Column([platform, url, quality, name, folder, error], tight=True, width=440),
                actions=[
                    ft.TextButton(content="取消", on_click=lambda _e: self.ctx.page.pop_dialog()),
                    ft.Button(content="开始录制", icon=ft.Icons.FIBER_MANUAL_RECORD, on_click=start),
                ],
            )
        )
