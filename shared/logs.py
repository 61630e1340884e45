"""Structured logging: one JSON object per line, every line carrying the service name.

Services log to stderr; the launcher captures each child's output into ``$TIMAO_HOME/logs/<service>.log``
(rotating), so a crash traceback lands in the same file as the service's own lines.

Every line is redacted (``shared/redact.py``) before it is written: the message, the extra fields and the traceback.
The handlers sit on the root logger, and every other logger (uvicorn's, httpx's, the services') propagates to it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import orjson

from shared.redact import Redactor

__all__ = ["JsonFormatter", "setup_logging"]

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is emitted as a field.
# uvicorn's ``color_message`` duplicates ``msg`` with terminal colour codes.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.service = service
        self.redact = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created)) + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": self.redact(record.getMessage()),
        }
        extra = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS and not k.startswith("_")}
        if extra:
            entry.update(cast(dict[str, Any], self.redact.value(extra)))
        if record.exc_info:
            entry["exc"] = self.redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self.redact(self.formatStack(record.stack_info))
        return orjson.dumps(entry, default=str).decode()


def setup_logging(
    service: str,
    level: str = "INFO",
    *,
    log_file: Path | None = None,
    console_level: str | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Route the root logger to stderr as JSON lines tagged with ``service`` (and to a rotating file if given).

    ``secrets`` are values known to be credentials (the suite token): they never reach a line, wherever they appear.
    """
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service, redactor))
    handler.setLevel(console_level or level)
    handlers: list[logging.Handler] = [handler]
    if log_file is not None:
        log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=10 << 20, backupCount=5, encoding="utf-8"
        )
        # New files (rotated ones too) are owner-only through the process umask (shared.config.private_umask);
        # a file left by an older version is made so here.
        os.chmod(log_file, 0o600)
        file_handler.setFormatter(JsonFormatter(service, redactor))
        handlers.append(file_handler)
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level)
    # Access logs of every request would drown the service's own lines.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
