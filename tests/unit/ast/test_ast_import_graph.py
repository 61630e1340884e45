"""The AST service's modules import each other without a cycle (the engines package counts as one module).

Imports inside functions count too: a lazy import still ties two modules together. The engines once imported the
probe for its type while the probe loads engines in its child process; the engines now name the check they need as
a protocol (engines/base.py ``ModelCheck``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import services.ast

ROOT = Path(services.ast.__file__).parent


def _graph() -> dict[str, set[str]]:
    def unit(module: str) -> str | None:
        parts = module.split(".")
        return parts[2] if len(parts) > 2 and parts[:2] == ["services", "ast"] else None

    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        src = path.relative_to(ROOT).parts[0].removesuffix(".py")
        graph.setdefault(src, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
                if node.module == "services.ast":
                    names += [f"services.ast.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                dst = unit(name)
                if dst is not None and dst != src:
                    graph[src].add(dst)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def test_the_graph_sees_the_probe_and_the_engines() -> None:
    graph = _graph()
    assert "engines" in graph["probe"]  # the probe's child loads an engine (a lazy import, still counted)
    assert "engines" in graph["jobs"]


def test_no_import_cycle_in_the_ast_service() -> None:
    assert _cycle(_graph()) is None


def test_cycle_finder_finds_one() -> None:
    assert _cycle({"engines": {"probe"}, "probe": {"engines"}}) == ["engines", "probe", "engines"]
