"""Live analytics and the post-show review: incremental aggregates, hot words, questions, reports, exports.

Pure modules (no web framework inside); the routes are in ``services/gateway/api/routes/analytics.py``.
"""

from __future__ import annotations

from services.gateway.analytics.aggregator import Aggregator
from services.gateway.analytics.background import AnalyticsWorker
from services.gateway.analytics.hotwords import HotWords, Segmenter
from services.gateway.analytics.queries import AnalyticsQueries

__all__ = ["Aggregator", "AnalyticsQueries", "AnalyticsWorker", "HotWords", "Segmenter"]
