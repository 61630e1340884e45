"""Code cites the repository's own docs, and every cited section exists.

Comments cite "docs/protocol/douyin.md §3.6" or "docs/contracts.md, Live events"; a renumbered or renamed section
must not leave them pointing nowhere. The Douyin code (shared/platforms/douyin, the fetcher and its tests) also cites
bare "§n" sections, which mean docs/protocol/douyin.md.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs"
SOURCE_DIRS = (
    "launcher",
    "services",
    "shared",
    "tests",
    "bench",
    "scripts",
    "frontend/src",
    "frontend/scripts",
    "electron/src",
)
SUFFIXES = {".py", ".proto", ".ts", ".tsx", ".js", ".mjs", ".sh"}
DOUYIN_DIRS = ("shared/platforms/douyin", "services/douyin_fetcher", "tests/unit/douyin")
SKIP_PARTS = {"node_modules", "fixtures", "__pycache__", "dist"}

SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
CONTRACTS_CITE = re.compile(r"docs/contracts\.md, ([A-Z][A-Za-z]*(?: [A-Za-z]+)*)")
OUTSIDE = re.compile(r"\.\./shared/(?:fixtures|spec|hooks)|\.parent / \"shared\"|protocol sheet|shared/spec/")


def _sources() -> list[Path]:
    files = []
    for top in SOURCE_DIRS:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in SUFFIXES and path.is_file() and not SKIP_PARTS & set(path.relative_to(ROOT).parts):
                files.append(path)
    return files


def _headings(doc: Path) -> list[str]:
    return [line.lstrip("#").strip() for line in doc.read_text(encoding="utf-8").splitlines() if line.startswith("#")]


def _douyin_sections() -> set[str]:
    found = set()
    for heading in _headings(DOCS / "protocol" / "douyin.md"):
        match = re.match(r"(\d+(?:\.\d+)*)\.? ", heading)
        if match:
            found.add(match.group(1))
    return found


def test_cited_protocol_sections_exist() -> None:
    sections = _douyin_sections()
    assert {"1", "2.4", "3.6", "3.7", "5", "7"} <= sections
    bad = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        in_douyin_code = rel.startswith(DOUYIN_DIRS)
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if "docs/protocol/douyin.md" in line or (in_douyin_code and "§" in line):
                bad += [f"{rel}:{number}: §{s}" for s in SECTION.findall(line) if s not in sections]
    assert bad == [], "sections cited but missing from docs/protocol/douyin.md:\n" + "\n".join(bad)


def test_cited_contract_sections_exist() -> None:
    headings = _headings(DOCS / "contracts.md")
    bad = []
    cited = 0
    for path in _sources():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in CONTRACTS_CITE.finditer(text):
            cited += 1
            name = match.group(1)
            if not any(name == h or name.startswith(h + " ") for h in headings):
                bad.append(f"{path.relative_to(ROOT).as_posix()}: {name!r}")
    assert cited > 0
    assert bad == [], "sections cited but missing from docs/contracts.md:\n" + "\n".join(bad)


def test_nothing_cites_or_reads_material_outside_the_repository() -> None:
    hits = []
    for path in _sources():
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(ROOT).as_posix()}:{number}: {line.strip()}")
    assert hits == [], "\n".join(hits)
