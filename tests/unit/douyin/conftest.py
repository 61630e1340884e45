from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

# Real captured Douyin traffic, kept in the repository as captured (tests/fixtures/douyin, see its README.md).
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "douyin"


def frames(case: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / "danmaku" / case / "frames.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) | {"line": n} for n, line in enumerate(lines, start=1)]


def raw(frame: dict[str, Any]) -> bytes:
    return base64.b64decode(frame["b64"])


def load(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))
