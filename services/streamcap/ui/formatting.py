"""How the UI writes numbers and states, in Chinese. Pure functions, no Flet."""

from __future__ import annotations

__all__ = [
    "PLATFORMS",
    "QUALITIES",
    "STATE_LABELS",
    "human_duration",
    "human_size",
    "human_speed",
    "platform_label",
    "quality_label",
    "reason_label",
    "state_label",
]

# Shown in the "add room" and "new recording" forms: (value the manager takes, label).
PLATFORMS: tuple[tuple[str, str], ...] = (
    ("douyin", "抖音直播间"),
    ("direct", "直链 (FLV / HLS)"),
    ("bilibili", "哔哩哔哩 (streamlink)"),
    ("huya", "虎牙 (streamlink)"),
    ("twitch", "Twitch (streamlink)"),
    ("youtube", "YouTube (streamlink)"),
)

# Douyin's quality names (shared/platforms/douyin/streams.py QUALITY_ORDER); streamlink knows "best"/"worst".
QUALITIES: tuple[tuple[str, str], ...] = (
    ("origin", "原画"),
    ("FULL_HD1", "蓝光"),
    ("HD1", "超清"),
    ("SD2", "高清"),
    ("SD1", "标清"),
    ("best", "最佳 (streamlink)"),
    ("worst", "最低 (streamlink)"),
)

STATE_LABELS: dict[str, str] = {
    "idle": "空闲",
    "starting": "连接中",
    "resuming": "恢复中",
    "recording": "录制中",
    "stalled": "卡顿",
    "restarting": "重连中",
    "stopping": "停止中",
    "remuxing": "转封装中",
    "done": "已完成",
    "failed": "失败",
}

_REASON_LABELS: dict[str, str] = {
    "user": "手动停止",
    "offline": "主播下播",
    "disk_full": "磁盘空间不足",
    "unreachable": "无法连接",
    "unsupported": "不支持的流",
    "error": "出错",
    "shutdown": "服务退出",
    "window_closed": "录制时段结束",
    "interrupted": "服务中断",
}


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


def reason_label(reason: str | None) -> str:
    """The stop reason in Chinese; free text after a known code (``interrupted: ...``) is kept."""
    if not reason:
        return ""
    code, sep, rest = reason.partition(":")
    label = _REASON_LABELS.get(code.strip())
    if label is None:
        return reason
    return f"{label}: {rest.strip()}" if sep and rest.strip() else label


def platform_label(platform: str) -> str:
    return dict(PLATFORMS).get(platform, platform)


def quality_label(quality: str | None) -> str:
    if not quality:
        return "默认"
    return dict(QUALITIES).get(quality, quality)


def human_size(size: float) -> str:
    """Bytes in binary units: ``0 B``, ``1.5 KB``, ``2.00 GB``."""
    value = float(max(size, 0))
    if value < 1024:
        return f"{int(value)} B"
    units = ("KB", "MB", "GB", "TB")
    index = 0
    value /= 1024
    while value >= 1024 and index < len(units) - 1:
        value /= 1024
        index += 1
    return f"{value:.{1 if index < 2 else 2}f} {units[index]}"


def human_duration(seconds: float) -> str:
    """``H:MM:SS`` (``0:00:00`` for nothing)."""
    total = int(max(seconds, 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def human_speed(speed: float) -> str:
    """ffmpeg's speed (1.0 = real time) as ``1.00x``; an idle recording shows a dash."""
    return f"{speed:.2f}x" if speed > 0 else "—"
