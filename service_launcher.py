"""``python service_launcher.py``: the same as ``timao up`` (what the Electron shell runs in development).

Extra arguments are passed on, so ``python service_launcher.py --demo`` is ``timao up --demo``; a first argument
that is a ``timao`` subcommand (``status``, ``stop``, ``service NAME`` ...) runs that instead, which is how the
frozen executable starts its own children.
"""

from __future__ import annotations

import sys

from launcher.cli import build_parser, main

SUBCOMMANDS = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]

if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] not in SUBCOMMANDS:
        args = ["up", *args]
    sys.exit(main(args))
