"""设置: the manager's recorder settings (``StreamCapManager.settings`` / ``update_settings``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import flet as ft
from pydantic import ValidationError

from services.streamcap.manager import StreamCapSettings
from services.streamcap.ui.context import UiContext, describe
from services.streamcap.ui.formatting import QUALITIES

__all__ = ["FIELDS", "SettingsPage", "parse_form"]


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    help: str
    kind: type  # float, int, bool or str


# Every key of StreamCapSettings, in the order shown (a unit test keeps the two in step).
FIELDS: tuple[Field, ...] = (
    Field("segment_seconds", "分段时长 (秒)", "每段录像的最长时长，默认 1800 秒", float),
    Field("segment_megabytes", "分段大小 (MB)", "每段的最大体积，0 为不限", int),
    Field("default_quality", "默认画质", "新建直播间和录制时预选的画质", str),
    Field("max_recordings", "最多同时录制", "同时录制的直播间上限", int),
    Field("max_concurrent_checks", "最多同时检测", "同时检测开播状态的直播间上限", int),
    Field("min_free_gb", "最少剩余空间 (GB)", "磁盘剩余空间低于此值时不再开始新的录制，并停止正在进行的录制", float),
    Field("stall_timeout", "卡顿超时 (秒)", "没有新数据超过这个时间就重连", float),
    Field("remux_to_mp4", "转封装为 MP4", "录制结束后把 TS 分段转为 MP4 (不重新编码)", bool),
    Field("delete_ts_after_remux", "转封装后删除 TS", "MP4 校验通过后删除原 TS 文件", bool),
    Field("remux_parallel", "同时转封装数", "同时进行的转封装任务数", int),
)


def parse_form(values: dict[str, Any]) -> dict[str, Any]:
    """Form values (text from text fields, bools from switches) → changes for ``update_settings``.

    Numbers that do not parse raise ``ValueError`` naming the field; ranges are left to the settings model.
    """
    changes: dict[str, Any] = {}
    for field in FIELDS:
        raw = values.get(field.key)
        if raw is None:
            continue
        if field.kind is bool:
            changes[field.key] = bool(raw)
        elif field.kind is str:
            changes[field.key] = str(raw).strip()
        else:
            try:
                changes[field.key] = field.kind(str(raw).strip())
            except ValueError:
                raise ValueError(f"「{field.label}」需要填写{'整数' if field.kind is int else '数字'}") from None
    return changes


class SettingsPage:
    title = "设置"
    icon = ft.Icons.SETTINGS_OUTLINED
    live = False

    def __init__(self, ctx: UiContext) -> None:
        self.ctx = ctx
        self.inputs: dict[str, ft.TextField | ft.Switch | ft.Dropdown] = {}
        for field in FIELDS:
            if field.kind is bool:
                self.inputs[field.key] = ft.Switch(label=field.label, tooltip=field.help)
            elif field.key == "default_quality":
                options = [ft.DropdownOption(key=k, text=t) for k, t in QUALITIES]
                self.inputs[field.key] = ft.Dropdown(label=field.label, options=options, width=320)
            else:
                self.inputs[field.key] = ft.TextField(
                    label=field.label, helper=field.help, width=320, keyboard_type=ft.KeyboardType.NUMBER
                )
        self.status = ft.Text()
        self.root = ft.Text(selectable=True)
        self._view = ft.Column(
            [
                ft.Text("设置", size=24, weight=ft.FontWeight.BOLD),
                self.root,
                ft.Row(list(self.inputs.values()), wrap=True, spacing=24, run_spacing=16),
                ft.Row(
                    [
                        ft.Button(content="保存设置", icon=ft.Icons.SAVE, on_click=self._save),
                        ft.TextButton(content="撤销修改", icon=ft.Icons.REFRESH, on_click=self._reset),
                        self.status,
                    ]
                ),
            ],
            scroll=ft.ScrollMode.AUTO,
            expand=True,
            spacing=16,
        )

    @property
    def view(self) -> ft.Control:
        return self._view

    async def refresh(self) -> None:
        self._fill(self.ctx.manager.settings)
        self.root.value = f"录制目录: {self.ctx.manager.root}"

    def _fill(self, settings: StreamCapSettings) -> None:
        values = settings.model_dump()
        for key, control in self.inputs.items():
            value = values[key]
            if isinstance(control, ft.Switch):
                control.value = bool(value)
            elif isinstance(control, ft.Dropdown):
                control.value = str(value)
            else:
                control.value = f"{value:g}" if isinstance(value, float) else str(value)
                control.error = None

    async def _save(self, _e: ft.Event[ft.Button]) -> None:
        for control in self.inputs.values():
            if isinstance(control, ft.TextField):
                control.error = None
        try:
            changes = parse_form({k: c.value for k, c in self.inputs.items()})
            saved = await self.ctx.call(self.ctx.manager.update_settings, changes)
        except ValidationError as exc:
            for err in exc.errors():
                target = self.inputs.get(str(err["loc"][0])) if err["loc"] else None
                if isinstance(target, ft.TextField):
                    target.error = err["msg"]
            self.status.value, self.status.color = f"未保存: {describe(exc)}", ft.Colors.RED_700
            return
        except Exception as exc:  # shown to the user, the form keeps the input
            self.status.value, self.status.color = f"未保存: {describe(exc)}", ft.Colors.RED_700
            return
        self._fill(saved)
        self.status.value, self.status.color = "已保存", ft.Colors.GREEN_700
        self.ctx.notify("设置已保存")

    async def _reset(self, _e: ft.Event[ft.TextButton]) -> None:
        self.status.value = ""
        await self.refresh()
