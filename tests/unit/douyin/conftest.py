from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

# Real captures, read-only, outside the repository (../shared/fixtures relative to the repo root).
FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "douyin"


def frames(case: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / "danmaku" / case / "frames.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) | {"line": n} for n, line in enumerate(lines, start=1)]


def raw(frame: dict[str, Any]) -> bytes:
    return base64.b64decode(frame["b64"])


def load(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))
