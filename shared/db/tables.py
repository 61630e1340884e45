"""Imports every table module so that ``Base.metadata`` is complete (for migrations and tests)."""

from __future__ import annotations

from shared.db import models, tables_analytics, tables_show, tables_streamcap

__all__ = ["models", "tables_analytics", "tables_show", "tables_streamcap"]
