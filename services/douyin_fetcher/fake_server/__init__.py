"""The fake Douyin server (docs/protocol/douyin.md §7), for tests, demos and offline development.

Where it lives, and why (docs/protocol/douyin.md §7.8): here, beside the fetcher, and in the desktop build, because
it is also the demo's stand-in for Douyin (``timao up --demo``, ``make run``, ``timao fake-douyin``), which the built
app runs too. What only tests need stays out of this package: the test signer (``tests/fixtures/signer/
test_sign.js``), which the tests and benchmarks hand the fetcher as its ``js:`` signer. Nothing here is a signer for
the real site: the strict mode only checks the test signer's output (``signing.py``), and the demo connects unsigned.

CLI: ``timao fake-douyin [--port N] [--scenario FILE] [--demo] [--strict] [--web-rid ID] [--idle-timeout S]
[--verification] [--page-idle-timeout S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from services.douyin_fetcher.fake_server.scenario import Scenario, load_scenario
from services.douyin_fetcher.fake_server.server import FakeDouyinServer, FakeRoom, Observed

__all__ = ["FakeDouyinServer", "FakeRoom", "Observed", "Scenario", "load_scenario", "main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="timao fake-douyin", description="本地假抖音直播服务器 (fake Douyin live server)"
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--scenario", help="JSONL scenario file to play")
    parser.add_argument("--web-rid", help="room id the scenario plays in (default: the file's room or 100000000001)")
    parser.add_argument("--demo", action="store_true", help="every room id is a lively demo room, forever")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="verify the WebSocket signature (the test signer's, tests/fixtures/signer) and web/enter's a_bogus",
    )
    parser.add_argument(
        "--verification", action="store_true", help="answer with the verification (captcha) page, as under suspicion"
    )
    parser.add_argument(
        "--page-idle-timeout",
        type=float,
        default=600.0,
        help="the room page's push client closes after this long without user activity (s)",
    )
    parser.add_argument("--idle-timeout", type=float, default=25.0, help="drop connections silent this long (s)")
    parser.add_argument("--stream-base", help="stream URL prefix for every room (BASE.flv, BASE_hd.flv, BASE.m3u8 ...)")
    return parser


async def _serve(args: argparse.Namespace) -> int:
    server = FakeDouyinServer(
        args.port,
        strict=args.strict,
        demo=args.demo or not args.scenario,
        idle_timeout=args.idle_timeout,
        stream_base=args.stream_base,
        verification=args.verification,
        page_idle_timeout=args.page_idle_timeout,
    )
    port = await server.start()
    if args.scenario:
        room = server.load_scenario(load_scenario(args.scenario), args.web_rid)
        print(f"scenario room: https://live.douyin.com/{room.info.web_rid} (room_id {room.info.room_id})", flush=True)
    print(f"fake douyin listening on 127.0.0.1:{port}", flush=True)
    for key, value in server.urls.items():
        print(f"  TIMAO_{key.upper()}={value}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows has no add_signal_handler
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        print(f"observed: {server.observed.summary()}", flush=True)
        await server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0
