"""``python -m services.gateway``: the REST + WebSocket gateway on 127.0.0.1."""

from __future__ import annotations

import uvicorn

from shared.config import Settings
from shared.entry import service_main


async def _run(settings: Settings) -> None:
    from services.gateway.app import create_app

    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=settings.gateway_port,
        log_config=None,
        access_log=False,
        ws_max_size=1 << 20,
        # Every client is on this machine (the UI, OBS): compressing each /ws message cost both ends CPU for nothing
        # (about 5 % of the gateway's at 1,500 events/s).
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=3,
    )
    await uvicorn.Server(config).serve()


def main() -> None:
    service_main("gateway", _run)


if __name__ == "__main__":
    main()
