"""The committed API reference (docs/api/) is what the gateway's code generates today."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_api_docs", ROOT / "scripts" / "gen_api_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(gen: ModuleType) -> dict[str, str]:
    files: dict[str, str] = gen.render()
    return files


def test_committed_reference_matches_the_code(rendered: dict[str, str]) -> None:
    for rel, text in rendered.items():
        path = ROOT / rel
        assert path.is_file(), f"{rel} is missing: run .venv/bin/python scripts/gen_api_docs.py"
        assert path.read_text(encoding="utf-8") == text, (
            f"{rel} is out of date with the gateway's routes: run .venv/bin/python scripts/gen_api_docs.py"
        )


def test_route_table_lists_every_route_of_the_schema(gen: ModuleType, rendered: dict[str, str]) -> None:
    schema = json.loads(rendered[gen.JSON_PATH])
    table = rendered[gen.MARKDOWN_PATH]
    assert {"/health", "/api/douyin/start", "/api/streamcap/recordings", "/api/ast/start"} <= set(schema["paths"])
    # Outside the token guard: /health, and the overlay page (it takes a read-only overlay key instead).
    assert {"/health", "/overlay/{kind}"} == gen.PUBLIC_PATHS
    for path, item in schema["paths"].items():
        for method in item:
            token = "no" if path in gen.PUBLIC_PATHS else "yes"
            assert f"| {method.upper()} | `{path}` |" in table
            row = next(line for line in table.splitlines() if line.startswith(f"| {method.upper()} | `{path}` |"))
            assert row.split(" | ")[4] == token, row
