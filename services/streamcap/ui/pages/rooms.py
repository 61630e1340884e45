"""直播间: the watched rooms with their live state (recording now, watching, paused); add, pause, remove."""

from __future__ import annotations

from dataclasses import dataclass

import flet as ft

from services.streamcap.repository import RoomRecord
from services.streamcap.ui.context import UiContext, describe
from services.streamcap.ui.formatting import PLATFORMS, QUALITIES, platform_label, quality_label
from services.streamcap.ui.layout import table_page

__all__ = ["RoomState", "RoomsPage", "room_state"]

COLUMNS = ("名称", "平台", "地址", "画质", "文件夹", "检测间隔", "录制时段", "状态", "自动录制", "操作")


@dataclass(frozen=True)
class RoomState:
    label: str
    color: ft.ColorValue


ROOM_STATES: dict[str, RoomState] = {
    "recording": RoomState("● 直播中 · 录制中", ft.Colors.RED_600),
    "checking": RoomState("检测中…", ft.Colors.BLUE_700),
    "offline": RoomState("未开播", ft.Colors.BLUE_GREY_600),
    "waiting": RoomState("监控中 · 等待检测", ft.Colors.BLUE_700),
    "outside_window": RoomState("不在录制时段", ft.Colors.AMBER_800),
    "paused": RoomState("已暂停", ft.Colors.GREY_600),
}


def room_state(status: str) -> RoomState:
    """The label of a room's status as the manager reports it (``StreamCapManager.room_status``)."""
    return ROOM_STATES.get(status, RoomState(status, ft.Colors.GREY_600))


class RoomsPage:
    title = "直播间"
    icon = ft.Icons.LIVE_TV_OUTLINED
    live = True

    def __init__(self, ctx: UiContext) -> None:
        self.ctx = ctx
        self._shown: object = None
        self.summary = ft.Text("正在加载…")
        self.table = ft.DataTable(
            columns=[ft.DataColumn(label=ft.Text(c)) for c in COLUMNS], rows=[], column_spacing=20
        )
        self.empty = ft.Text(
            "还没有直播间。点「添加直播间」填入抖音直播间地址或房间号、直链 FLV/HLS 地址。", visible=False
        )
        add = ft.Button(content="添加直播间", icon=ft.Icons.ADD, on_click=self._open_add)
        self._view = table_page("直播间", add, [self.summary], self.table, self.empty)

    @property
    def view(self) -> ft.Control:
        return self._view

    async def refresh(self) -> None:
        manager = self.ctx.manager
        rooms = await self.ctx.call(manager.list_rooms)
        pairs = [(room, manager.room_status(room)) for room in rooms]
        if pairs == self._shown:
            return  # nothing changed: keep the controls (and the switches the user may be touching)
        self._shown = pairs
        self.table.rows = [self._row(room, rid) for room, rid in pairs]
        recording = sum(1 for _room, status in pairs if status == "recording")
        watching = sum(1 for _room, status in pairs if status != "paused")
        self.summary.value = f"共 {len(rooms)} 个直播间 · 监控中 {watching} 个 · 录制中 {recording} 个"
        self.empty.visible = not rooms

    def _row(self, room: RoomRecord, status: str) -> ft.DataRow:
        state = room_state(status)
        cells: list[ft.Control] = [
            ft.Text(room.name or "—"),
            ft.Text(platform_label(room.platform)),
            ft.Text(room.url, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS, width=240, tooltip=room.url),
            ft.Text(quality_label(room.quality)),
            ft.Text(room.folder or "默认"),
            ft.Text(f"{room.check_interval:g} 秒"),
            ft.Text("、".join(room.windows) or "全天"),
            ft.Text(state.label, color=state.color, weight=ft.FontWeight.BOLD),
            ft.Switch(
                value=room.enabled and room.auto_record, data=room.id, on_change=self._toggle, tooltip="开播时自动录制"
            ),
            ft.IconButton(icon=ft.Icons.DELETE_OUTLINE, tooltip="删除直播间", data=room.id, on_click=self._remove),
        ]
        return ft.DataRow(cells=[ft.DataCell(c) for c in cells])

    async def _toggle(self, e: ft.Event[ft.Switch]) -> None:
        on = bool(e.control.value)
        changes = {"enabled": True, "auto_record": True} if on else {"enabled": False}
        try:
            await self.ctx.call(self.ctx.manager.update_room, str(e.control.data), changes)
        except Exception as exc:  # shown to the user
            self.ctx.notify(f"修改失败: {describe(exc)}", error=True)
        self._shown = None
        await self.refresh()

    async def _remove(self, e: ft.Event[ft.IconButton]) -> None:
        room_id = str(e.control.data)

        async def confirm(_e: ft.Event[ft.Button]) -> None:
            self.ctx.page.pop_dialog()
            try:
                await self.ctx.call(self.ctx.manager.remove_room, room_id)
            except Exception as exc:  # shown to the user
                self.ctx.notify(f"删除失败: {describe(exc)}", error=True)
                return
            self.ctx.notify("已删除直播间 (已录制的文件保留)")
            await self.refresh()

        self.ctx.page.show_dialog(
            ft.AlertDialog(
                modal=True,
                title=ft.Text("删除直播间？"),
                content=ft.Text("正在进行的录制会停止，已录制的文件不会删除。"),
                actions=[
                    ft.TextButton(content="取消", on_click=lambda _e: self.ctx.page.pop_dialog()),
                    ft.Button(content="删除", icon=ft.Icons.DELETE_OUTLINE, on_click=confirm),
                ],
            )
        )

    async def _open_add(self, _e: ft.Event[ft.Button]) -> None:
        settings = self.ctx.manager.settings
        platform = ft.Dropdown(
            label="平台", value="douyin", width=260, options=[ft.DropdownOption(key=k, text=t) for k, t in PLATFORMS]
        )
        url = ft.TextField(
            label="直播间地址或房间号", hint_text="https://live.douyin.com/123456789", width=420, autofocus=True
        )
        name = ft.TextField(label="名称 (可选)", width=420)
        quality = ft.Dropdown(
            label="画质",
            value=settings.default_quality,
            width=200,
            options=[ft.DropdownOption(key=k, text=t) for k, t in QUALITIES],
        )
        folder = ft.TextField(label="保存文件夹 (可选)", helper="录制目录下的一级文件夹名", width=420)
        interval = ft.TextField(label="检测间隔 (秒)", value="60", width=200, keyboard_type=ft.KeyboardType.NUMBER)
        windows = ft.TextField(label="录制时段 (可选)", hint_text="20:00-23:30，多个用逗号分隔", width=420)
        auto = ft.Switch(label="开播时自动录制", value=True)
        error = ft.Text(color=ft.Colors.RED_700, visible=False)

        async def add(_e: ft.Event[ft.Button]) -> None:
            try:
                room = RoomRecord(
                    id="",
                    platform=platform.value or "douyin",
                    url=(url.value or "").strip(),
                    name=(name.value or "").strip(),
                    quality=quality.value or None,
                    folder=(folder.value or "").strip() or None,
                    auto_record=bool(auto.value),
                    check_interval=_interval(interval.value),
                    windows=[w.strip() for w in (windows.value or "").replace("，", ",").split(",") if w.strip()],
                )
                if not room.url:
                    raise ValueError("请填写直播间地址或房间号")
                await self.ctx.call(self.ctx.manager.add_room, room)
            except Exception as exc:  # shown in the dialog, which stays open to correct the input
                error.value, error.visible = describe(exc), True
                return
            self.ctx.page.pop_dialog()
            self.ctx.notify("已添加直播间")
            self._shown = None
            await self.refresh()

        self.ctx.page.show_dialog(
            ft.AlertDialog(
                modal=True,
                title=ft.Text("添加直播间"),
                content=ft.Column(
                    [platform, url, name, quality, folder, interval, windows, auto, error],
                    tight=True,
                    width=440,
                    scroll=ft.ScrollMode.AUTO,
                ),
                actions=[
                    ft.TextButton(content="取消", on_click=lambda _e: self.ctx.page.pop_dialog()),
                    ft.Button(content="添加", icon=ft.Icons.ADD, on_click=add),
                ],
            )
        )


def _interval(text: str | None) -> float:
    try:
        value = float((text or "60").strip())
    except ValueError:
        raise ValueError("检测间隔必须是数字 (秒)") from None
    if not 5 <= value <= 86400:
        raise ValueError("检测间隔应在 5 到 86400 秒之间")
    return value
