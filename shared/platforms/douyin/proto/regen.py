"""Regenerate ``douyin_pb2.py`` (and its ``.pyi`` stub) from ``douyin.proto`` with grpcio-tools.

Run ``python -m shared.platforms.douyin.proto.regen`` after editing the schema; ``--check`` exits 1 when the
committed files differ from what the schema generates (the unit test does the same).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROTO = HERE / "douyin.proto"
OUTPUTS = ("douyin_pb2.py", "douyin_pb2.pyi")


def generate(out_dir: Path) -> dict[str, bytes]:
    """Compile the schema into ``out_dir`` and return the generated files by name."""
    from grpc_tools import protoc  # build-time dependency only

    args = ["protoc", f"-I{HERE}", f"--python_out={out_dir}", f"--pyi_out={out_dir}", str(PROTO)]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed on {PROTO}")
    return {name: (out_dir / name).read_bytes() for name in OUTPUTS}


def differences() -> list[str]:
    """Names of committed generated files that do not match a fresh generation."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
    return [name for name, data in fresh.items() if not (HERE / name).is_file() or (HERE / name).read_bytes() != data]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--check" in argv:
        stale = differences()
        for name in stale:
            print(f"stale: {name} (run python -m shared.platforms.douyin.proto.regen)")
        return 1 if stale else 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in generate(Path(tmp)).items():
            (HERE / name).write_bytes(data)
            print(f"wrote {HERE / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
