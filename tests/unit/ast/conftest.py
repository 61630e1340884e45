from __future__ import annotations

import pytest

from tests.unit.ast.ast_fixtures import MARKER, ast_models_dir, whisper_engine

__all__ = ["ast_models_dir", "whisper_engine"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
