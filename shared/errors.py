"""The suite's error tree. Third-party errors are translated at the boundary with ``raise ... from``.

SuiteError
├── ConfigError            bad settings or a missing prerequisite (fatal: fix and restart)
├── BusError               Redis could not be reached or answered badly (transient)
│   └── CommandTimeout     a worker did not answer a command in time
├── CommandError           a worker answered a command with an error, or the command or its answer did not fit
│                          its model (carries a stable code)
└── ServiceUnavailable     the service behind a route is not running
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EXIT_CONFIG",
    "BusError",
    "CommandError",
    "CommandTimeout",
    "ConfigError",
    "ServiceUnavailable",
    "SuiteError",
]

# Exit status of a service for "fix the configuration; restarting will not help": the launcher gives up at once.
EXIT_CONFIG = 78


class SuiteError(Exception):
    """Root of every error the suite raises on purpose."""


class ConfigError(SuiteError):
    pass


class BusError(SuiteError):
    pass


class CommandTimeout(BusError):
    def __init__(self, service: str, command: str, timeout: float) -> None:
        super().__init__(f"{service} did not answer '{command}' within {timeout:g}s")
        self.service = service
        self.command = command


class CommandError(SuiteError):
    """A worker's error answer with a stable ``code``: invalid, not_found, conflict, unavailable or failed; from the
    command layer (shared/commands) bad_command, unknown_command or bad_result. ``details`` is the refused fields'
    list (pydantic's, trimmed) when the params or the result did not fit their model."""

    def __init__(self, code: str, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class ServiceUnavailable(SuiteError):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason
