"""The fake Douyin server ships (the demo runs it from the desktop build); its test signer does not.

docs/protocol/douyin.md §7.8: the test signer is a fixture under tests/, so no file of the packages the build takes
(launcher, services, shared) defines a ``get_sign`` a user or a default could pick up as the real signer.
"""

from __future__ import annotations

from pathlib import Path

import build_backend
from tests.e2e.harness import PROJECT_ROOT, TEST_SIGNER_JS


def test_the_build_takes_the_fake_server_but_no_signer() -> None:
    shipped = [Path(src) for src, _dest in build_backend._package_data(PROJECT_ROOT)]
    names = {p.relative_to(PROJECT_ROOT).as_posix() for p in shipped}
    assert "services/douyin_fetcher/fake_server/sdk.js" in names  # the demo's room page script goes in
    assert not [n for n in names if n.startswith("tests/") or Path(n).name == "test_sign.js"]
    signers = [p for p in shipped if p.suffix == ".js" and "function get_sign" in p.read_text(encoding="utf-8")]
    assert signers == []
    assert "function get_sign" in TEST_SIGNER_JS.read_text(encoding="utf-8")  # the scan would see one


def test_no_package_file_defines_a_signer() -> None:
    for package in build_backend.PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.js"):
            assert "function get_sign" not in path.read_text(encoding="utf-8"), path
