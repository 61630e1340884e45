"""``python -m services.douyin_fetcher``: the Douyin live-room fetcher process."""

from __future__ import annotations

from shared.config import Settings
from shared.entry import service_main
from shared.worker import run_worker


async def _run(settings: Settings) -> None:
    from services.douyin_fetcher.app import FetcherApp

    await run_worker(FetcherApp(settings), settings)


def main() -> None:
    service_main("douyin_fetcher", _run)


if __name__ == "__main__":
    main()
