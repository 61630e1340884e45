"""Common ``main()`` for a service process: settings, logging, then the async service until it stops."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from shared.config import Settings, load_settings, private_umask
from shared.errors import EXIT_CONFIG, ConfigError
from shared.logs import setup_logging

__all__ = ["service_main"]


def service_main(name: str, run: Callable[[Settings], Coroutine[Any, Any, None]]) -> None:
    private_umask()  # before anything is created (the launcher sets it too; a service may run on its own)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    setup_logging(name, settings.log_level, secrets=settings.known_secrets())
    try:
        asyncio.run(run(settings))
    except ConfigError as exc:
        logging.getLogger(name).error("configuration error: %s", exc)
        sys.exit(EXIT_CONFIG)
    except KeyboardInterrupt:
        pass
