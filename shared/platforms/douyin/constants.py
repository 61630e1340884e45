"""Constants of the Douyin web client that several modules share (docs/protocol/douyin.md §1, §2)."""

from __future__ import annotations

__all__ = ["AID", "APP_NAME", "SDK_VERSION", "USER_AGENT", "VERSION_CODE"]

USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36"
)
AID = "6383"
APP_NAME = "douyin_web"
VERSION_CODE = "180800"
SDK_VERSION = "1.0.15"
