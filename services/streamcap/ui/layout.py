"""The layout the list pages share: a title row with its actions, lines of context, a scrollable table, and the
text shown when the table is empty."""

from __future__ import annotations

import flet as ft

__all__ = ["table_page"]


def table_page(
    title: str, actions: ft.Control, lines: list[ft.Control], table: ft.DataTable, empty: ft.Control
) -> ft.Column:
    return ft.Column(
        [
            ft.Row(
                [ft.Text(title, size=24, weight=ft.FontWeight.BOLD), actions],
                alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
            ),
            *lines,
            ft.Row([table], scroll=ft.ScrollMode.AUTO),
            empty,
        ],
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )
