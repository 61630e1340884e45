"""Structured logging: one JSON object per line, every line carrying the service name.

Services log to stderr; the launcher captures each child's output into ``$TIMAO_HOME/logs/<service>.log``
(rotating), so a crash traceback lands in the same file as the service's own lines.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import time
from pathlib import Path
from typing import Any

import orjson

__all__ = ["JsonFormatter", "setup_logging"]

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is emitted as a field.
# uvicorn's ``color_message`` duplicates ``msg`` with terminal colour codes.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created)) + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def setup_logging(
    service: str, level: str = "INFO", *, log_file: Path | None = None, console_level: str | None = None
) -> None:
    """Route the root logger to stderr as JSON lines tagged with ``service`` (and to a rotating file if given)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    handler.setLevel(console_level or level)
    handlers: list[logging.Handler] = [handler]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=10 << 20, backupCount=5, encoding="utf-8"
        )
        file_handler.setFormatter(JsonFormatter(service))
        handlers.append(file_handler)
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level)
    # Access logs of every request would drown the service's own lines.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
