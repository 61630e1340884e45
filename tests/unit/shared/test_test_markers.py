"""The suite's own collection rule: every test under tests/e2e carries the e2e marker (``-m "not e2e"`` is the
fast set that ``make check`` runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, pytest_collection_modifyitems


class Item:
    """The two things the hook uses of a pytest item."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.markers: list[str] = []

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.markers.append(marker.name)


def test_tests_under_e2e_get_the_e2e_marker_and_others_do_not() -> None:
    e2e = Item(PROJECT_ROOT / "tests" / "e2e" / "streamcap" / "test_recording.py")
    unit = Item(PROJECT_ROOT / "tests" / "unit" / "streamcap" / "test_api.py")
    lookalike = Item(PROJECT_ROOT / "tests" / "unit" / "e2e_helpers" / "test_x.py")
    pytest_collection_modifyitems([e2e, unit, lookalike])  # type: ignore[list-item]
    assert e2e.markers == ["e2e"]
    assert unit.markers == [] and lookalike.markers == []
