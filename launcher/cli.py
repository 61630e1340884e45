"""``timao``: the suite's command line (docs/contracts.md, CLI).

timao up [--demo]          start everything and supervise it until Ctrl-C / SIGTERM / `timao stop`
timao up --role worker     only the workers (fetcher, recorder, AST) against the shared TIMAO_REDIS_URL and
                           TIMAO_DATABASE_URL: one more machine for the suite (docs/contracts.md)
timao up --role gateway    only the gateway (UI, API, the events' persister) against the same shared stores, for a
                           machine that serves the UI while every worker runs elsewhere
timao status [--json]      the running launcher's view of every service, and the workers on the shared Redis
timao stop                 stop the running suite (waits until every process is gone)
timao restart SERVICE      restart one service (also revives a `fatal` one)
timao logs SERVICE [-f]    print (and follow) a service's log
timao login douyin [--cookie-file FILE]   log in to the streamer's Douyin account (a window, or a cookie import)
timao logout douyin        log out of it (the login's browser profile is wiped)
timao fake-douyin [...]    the fake Douyin server as a standalone program
timao service NAME         run one service in this process (how a frozen build starts its children)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared.config import Settings, load_settings, private_umask
from shared.errors import ConfigError

__all__ = ["main"]

EXIT_NOT_RUNNING = 3

SERVICE_MODULES = {
    "gateway": "services.gateway",
    "streamcap": "services.streamcap",
    "douyin_fetcher": "services.douyin_fetcher",
    "ast": "services.ast",
}


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"timao: {exc}", file=sys.stderr)
        sys.exit(2)


def cmd_up(args: argparse.Namespace) -> int:
    import logging

    from launcher.runner import AlreadyRunning, run_up
    from shared.logs import setup_logging

    settings = _settings()
    settings.ensure_dirs()
    # The terminal shows the status table; the launcher's own lines go to its log file (warnings to both).
    setup_logging(
        "launcher",
        settings.log_level,
        log_file=settings.logs_dir / "launcher.log",
        console_level="WARNING",
        secrets=[settings.resolve_token(), *settings.known_secrets()],
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return run_up(settings, demo=args.demo, role=args.role, out=lambda s: print(s, flush=True))
    except AlreadyRunning as exc:
        print(f"timao: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"timao: {exc}", file=sys.stderr)
        return 2


def cmd_status(args: argparse.Namespace) -> int:
    from launcher.account_cli import account_line
    from launcher.control import LauncherNotRunning, request
    from launcher.runner import format_table
    from shared.platforms.douyin.account import account_view, load_account

    settings = _settings()
    account = load_account(settings.home)
    try:
        status = request(settings.run_dir, settings.resolve_token(), "status")
    except LauncherNotRunning as exc:
        if args.json:
            print(json.dumps({"running": False, "services": {}}))
        else:
            print(str(exc))
            print(account_line(account))
        return EXIT_NOT_RUNNING
    workers = _workers(str(status.get("redis_url") or ""))
    if args.json:
        answer = {"running": True, **status, "douyin_account": account_view(account), "workers": workers}
        print(json.dumps(answer, ensure_ascii=False))
    else:
        role = status.get("role") or "all"
        print(f"launcher pid {status['pid']} · home {status['home']}" + (f" · role {role}" if role != "all" else ""))
        print(format_table(status["services"]))
        print(account_line(account))
        print(workers_table(workers))
    return 0


def _workers(redis_url: str) -> list[dict[str, Any]] | None:
    """The live workers on the suite's Redis (docs/contracts.md, Workers on several machines); None if unreadable."""
    if not redis_url:
        return None
    import asyncio

    import redis.asyncio as aioredis
    from redis.exceptions import RedisError

    from shared.workers import list_workers

    async def read() -> list[dict[str, Any]]:
        client = aioredis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
        try:
            return await list_workers(client)
        finally:
            await client.aclose()

    try:
        return asyncio.run(read())
    except (RedisError, OSError):
        return None


def workers_table(workers: list[dict[str, Any]] | None) -> str:
    if workers is None:
        return "工作节点 workers: 无法读取 (Redis unreachable)"
    lines = [f"工作节点 workers: {len(workers)}"]
    for w in workers:
        lines.append(
            f"  {w['worker_id']:<24}{w['host']:<24}房间 rooms {len(w['rooms'])}/{w['capacity']:<8}"
            f"录制 recordings {len(w['recordings'])}  转写 jobs {len(w['jobs'])}  {w['heartbeat_at']}"
        )
    return "\n".join(lines)


def cmd_login(args: argparse.Namespace) -> int:
    from launcher.account_cli import login

    settings = _settings()
    settings.ensure_dirs()
    return login(settings, cookie_file=args.cookie_file, timeout_s=args.timeout)


def cmd_logout(_args: argparse.Namespace) -> int:
    from launcher.account_cli import logout

    return logout(_settings())


def _pid_alive(pid: int) -> bool:
    import psutil

    try:
        # An exited launcher whose parent has not reaped it yet is a zombie: gone for our purposes.
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def cmd_stop(_args: argparse.Namespace) -> int:
    from launcher.control import LauncherNotRunning, read_runfile, request

    settings = _settings()
    try:
        pid = int(read_runfile(settings.run_dir)["pid"])
        request(settings.run_dir, settings.resolve_token(), "stop")
    except LauncherNotRunning as exc:
        print(str(exc))
        return EXIT_NOT_RUNNING
    deadline = time.monotonic() + 60
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _pid_alive(pid):
        print(f"launcher pid {pid} still running after 60 s", file=sys.stderr)
        return 1
    print("TalkingCat 已停止 (stopped)")
    return 0


def cmd_restart(args: argparse.Namespace) -> int:
    from launcher.control import LauncherNotRunning, request

    settings = _settings()
    try:
        request(settings.run_dir, settings.resolve_token(), "restart", service=args.service)
    except LauncherNotRunning as exc:
        print(str(exc))
        return EXIT_NOT_RUNNING
    except RuntimeError as exc:
        print(f"timao: {exc}", file=sys.stderr)
        return 2
    print(f"{args.service}: 正在重启 (restarting)")
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    settings = _settings()
    name = args.service
    if not name.replace("_", "").isalnum():
        print(f"timao: not a service name: {name!r}", file=sys.stderr)
        return 2
    path = settings.logs_dir / f"{name}.log"
    if not path.is_file():
        known = sorted(p.stem for p in settings.logs_dir.glob("*.log")) if settings.logs_dir.is_dir() else []
        print(
            f"timao: no log for {name!r} in {settings.logs_dir} (have: {', '.join(known) or 'none'})", file=sys.stderr
        )
        return 2
    _print_log(path, follow=args.follow, lines=args.lines)
    return 0


def _print_log(path: Path, *, follow: bool, lines: int) -> None:
    with open(path, encoding="utf-8", errors="replace") as fh:
        tail = fh.readlines()[-lines:]
        sys.stdout.writelines(tail)
        sys.stdout.flush()
        if not follow:
            return
        inode = os.fstat(fh.fileno()).st_ino
        try:
            while True:
                line = fh.readline()
                if line:
                    sys.stdout.write(line)
                    sys.stdout.flush()
                    continue
                time.sleep(0.2)
                try:
                    if os.stat(path).st_ino != inode:  # rotated: continue in the new file
                        fh.close()
                        fh = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
                        inode = os.fstat(fh.fileno()).st_ino
                except FileNotFoundError:
                    continue
        except KeyboardInterrupt:
            return


def cmd_fake_douyin(args: argparse.Namespace) -> int:
    try:
        from services.douyin_fetcher.fake_server import main as fake_main
    except ImportError:
        print("timao: the fake Douyin server is not part of this build", file=sys.stderr)
        return 2
    return int(fake_main(args.rest) or 0)


def cmd_service(args: argparse.Namespace) -> int:
    import runpy

    module = SERVICE_MODULES.get(args.name, args.name)
    if not module.startswith("services."):
        print(f"timao: unknown service {args.name!r}", file=sys.stderr)
        return 2
    sys.argv = [module, *args.rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="timao", description="TalkingCat 提猫直播助手 — local live-room assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the whole suite")
    up.add_argument("--demo", action="store_true", help="also start the fake Douyin server and a synthetic live stream")
    up.add_argument(
        "--role",
        choices=("all", "worker", "gateway"),
        default="all",
        help="all: the whole suite (default); worker: only the fetcher, recorder and AST; gateway: only the gateway"
        " (UI and API), its workers elsewhere; worker and gateway run against the shared TIMAO_REDIS_URL and"
        " TIMAO_DATABASE_URL",
    )
    up.set_defaults(func=cmd_up)
    status = sub.add_parser("status", help="show every service's state")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
    sub.add_parser("stop", help="stop the running suite").set_defaults(func=cmd_stop)
    restart = sub.add_parser("restart", help="restart one service")
    restart.add_argument("service")
    restart.set_defaults(func=cmd_restart)
    logs = sub.add_parser("logs", help="print a service's log")
    logs.add_argument("service")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("-n", "--lines", type=int, default=200)
    logs.set_defaults(func=cmd_logs)
    login = sub.add_parser("login", help="log in to the streamer's Douyin account")
    login.add_argument("platform", choices=["douyin"])
    login.add_argument("--cookie-file", help="import the site's cookies from FILE ('-': standard input)")
    login.add_argument("--timeout", type=float, default=300.0, help="how long the login window waits (s)")
    login.set_defaults(func=cmd_login)
    logout = sub.add_parser("logout", help="log out of the Douyin account (wipes the login's browser profile)")
    logout.add_argument("platform", choices=["douyin"])
    logout.set_defaults(func=cmd_logout)
    fake = sub.add_parser("fake-douyin", help="run the fake Douyin server", add_help=False)
    fake.add_argument("rest", nargs=argparse.REMAINDER)
    fake.set_defaults(func=cmd_fake_douyin)
    service = sub.add_parser("service", help=argparse.SUPPRESS)
    service.add_argument("name")
    service.add_argument("rest", nargs=argparse.REMAINDER)
    service.set_defaults(func=cmd_service)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    private_umask()  # first: everything the suite writes under $TIMAO_HOME, and its children's files, owner-only
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["fake-douyin"]:  # its own parser takes all its options (REMAINDER drops a leading --option)
        return cmd_fake_douyin(argparse.Namespace(rest=argv[1:]))
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
