"""What the launcher runs: a spec per service (command, health probe, dependencies, port), nothing of their code.

From source a service is ``python -m services.<name>``; in a PyInstaller build the one executable re-runs itself
with ``service <name>``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PROJECT_ROOT", "ServiceSpec", "service_argv"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class ServiceSpec:
    name: str
    argv: list[str]
    health: str  # "http" | "heartbeat" | "redis"
    port: int | None = None
    depends_on: tuple[str, ...] = ()
    # Spawned as soon as its dependencies are (starting or running) rather than once they are healthy: for a service
    # that connects to them with retries (the bus), so its imports overlap their start. Stop order is unchanged.
    starts_with_deps: bool = False
    env: dict[str, str] = field(default_factory=dict)
    stdin: bytes | None = None  # written to the child's standard input, then closed (secrets stay out of argv)


def service_argv(module: str, *args: str) -> list[str]:
    """How to start ``services.<module>`` (or any ``python -m`` target) as a child process."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "service", module, *args]
    return [sys.executable, "-m", module, *args]
