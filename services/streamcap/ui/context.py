"""What every page of one browser session shares: the manager, the Flet page, and how to talk to the user.

The manager blocks (database, files), and the session runs on the StreamCap process's event loop, so every call
goes through ``call`` (a worker thread). Errors the user can fix come back as Chinese text through ``describe``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import flet as ft
from pydantic import ValidationError

from services.streamcap.errors import StreamCapError
from services.streamcap.manager import StreamCapManager

__all__ = ["UiContext", "UiPage", "describe"]

T = TypeVar("T")


def describe(exc: Exception) -> str:
    """A message for the user: our errors carry their own Chinese text; pydantic's are listed field by field."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '输入'}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, StreamCapError | ValueError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class UiPage(Protocol):
    """One page of the navigation: its view, and how it reloads what it shows."""

    title: str
    icon: ft.IconData
    live: bool  # reloaded every second while shown (else only when shown)

    @property
    def view(self) -> ft.Control: ...

    async def refresh(self) -> None: ...


@dataclass
class UiContext:
    manager: StreamCapManager
    page: ft.Page

    async def call(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    def notify(self, message: str, *, error: bool = False) -> None:
        self.page.show_dialog(
            ft.SnackBar(
                content=ft.Text(message, color=ft.Colors.WHITE),
                bgcolor=ft.Colors.RED_700 if error else ft.Colors.GREEN_700,
                duration=5000 if error else 2500,
            )
        )
