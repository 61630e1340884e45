"""What the analytics routes need, built once by the gateway and kept on ``app.state.analytics``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from services.gateway.analytics.aggregator import Aggregator
from services.gateway.analytics.hotwords import MAX_WINDOW_MS, HotWords, Segmenter
from services.gateway.analytics.pdf import PdfQueue
from services.gateway.analytics.queries import AnalyticsQueries

__all__ = ["AnalyticsContext"]


@dataclass
class AnalyticsContext:
    engine: Engine
    segmenter: Segmenter
    hotwords: HotWords
    aggregator: Aggregator
    reports_dir: Path
    pdf: PdfQueue = field(default_factory=PdfQueue)

    @property
    def queries(self) -> AnalyticsQueries:
        return AnalyticsQueries(self.engine)

    @classmethod
    def create(cls, engine: Engine, reports_dir: Path) -> AnalyticsContext:
        segmenter = Segmenter()
        hotwords = HotWords(segmenter)
        return cls(engine, segmenter, hotwords, Aggregator(hotwords), reports_dir)

    def hot_words(self, session_id: str, window_s: int, limit: int) -> list[tuple[str, int]]:
        """Top words of the window; a session not in memory (restart, old show) is rebuilt from the database."""
        if self.hotwords.needs_backfill(session_id):
            queries = self.queries
            latest = queries.latest_comment_ts(session_id)
            rows = (
                queries.comments_since(session_id, latest - MAX_WINDOW_MS, self.hotwords.max_entries)
                if latest is not None
                else []
            )
            self.hotwords.backfill(session_id, rows)
        return self.hotwords.top(session_id, window_s, limit)
