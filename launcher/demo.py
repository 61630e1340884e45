"""``timao up --demo``: stand-ins that let a newcomer see the suite work without internet.

The fake Douyin server and the synthetic live stream arrive with their own issues; until then the demo adds
nothing and says so.
"""

from __future__ import annotations

import logging

from launcher.specs import ServiceSpec
from shared.config import Settings

__all__ = ["demo_specs"]

log = logging.getLogger(__name__)


def demo_specs(settings: Settings, deps: tuple[str, ...]) -> list[ServiceSpec]:
    del settings, deps
    log.warning("demo mode: no demo services are available in this build yet")
    return []
