"""``python -m services.ast``: the speech transcription worker process."""

from __future__ import annotations

from shared.config import Settings
from shared.entry import service_main
from shared.worker import run_worker


async def _run(settings: Settings) -> None:
    from services.ast.app import AstApp

    await run_worker(AstApp(settings), settings)


def main() -> None:
    service_main("ast", _run)


if __name__ == "__main__":
    main()
